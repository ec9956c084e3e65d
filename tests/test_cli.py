"""The `ayni` command as a newcomer meets it: after `make demo` it works with nothing set (the
key the Makefile made in var/secret-key), and without a key it says in one Spanish line what to
set instead of a traceback. `make bench` installs the benchmarks' side-by-side references."""

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Every command the README shows (`ayni <command>` in backquotes), asked for its help: read from
# the README itself, so a command added there is checked without anyone updating a list here.
README_COMMANDS = sorted(set(re.findall(r"`ayni ([a-z][a-z_-]*)", (REPO / "README.md").read_text())))


def bare_env(var_dir: Path) -> dict:
    """The environment of a fresh shell: none of Ayni's variables (the tests set AYNI_TESTING),
    this worktree's code, and var/ in a folder of the test's own."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AYNI_", "PYTEST", "DJANGO_")) and k != "DATABASE_URL"}
    env.update(PYTHONPATH=str(REPO / "src"), AYNI_VAR_DIR=str(var_dir))
    return env


def ayni(env, *args):
    # `python -m ayni.cli` runs ayni.cli:main, the entry point the installed `ayni` script calls.
    return subprocess.run([sys.executable, "-m", "ayni.cli", *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=120)


def test_after_make_demo_every_readme_command_works_with_nothing_set(tmp_path):
    (tmp_path / "secret-key").write_text("clave-local-de-prueba-" + "x" * 40 + "\n")
    env = bare_env(tmp_path)
    for command in README_COMMANDS:
        result = ayni(env, command, "--help")
        assert result.returncode == 0, f"ayni {command} --help:\n{result.stderr}"
        assert "usage:" in result.stdout and "Traceback" not in result.stderr
    assert "--scale" in ayni(env, "demo", "--help").stdout
    assert {"check-integrity", "demo", "load-country-pack", "leadership-keys"} <= set(README_COMMANDS)


def test_without_a_key_ayni_says_in_one_spanish_line_what_to_set(tmp_path):
    result = ayni(bare_env(tmp_path), "demo", "--help")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "falta la clave secreta" in result.stderr and "AYNI_SECRET_KEY" in result.stderr
    assert "make demo" in result.stderr


def test_a_key_set_in_the_environment_wins_over_the_local_file(tmp_path):
    (tmp_path / "secret-key").write_text("la-del-archivo")
    env = {**bare_env(tmp_path), "AYNI_SECRET_KEY": "la-del-entorno-" + "y" * 40}
    result = ayni(env, "shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY)")
    assert result.stdout.strip().splitlines()[-1] == env["AYNI_SECRET_KEY"], result.stderr


def make_dry_run(target: str, tmp_path) -> list[str]:
    """What `make TARGET` would run on a machine with no virtualenv yet (nothing is run)."""
    result = subprocess.run(["make", "-n", target, f"VENV={tmp_path / '.venv'}"], cwd=REPO, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_make_bench_installs_the_side_by_side_references_before_running(tmp_path):
    for target in ("bench", "bench-quick"):
        lines = make_dry_run(target, tmp_path)
        install = next(i for i, line in enumerate(lines) if "pip install" in line and "bench]" in line)
        run = next(i for i, line in enumerate(lines) if "for b in bench/*.py" in line)
        assert install < run, target
