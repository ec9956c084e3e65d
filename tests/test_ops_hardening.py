"""Production defaults: `check --deploy` is clean, sessions expire, and logs carry no personal data."""

import io
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from ayni.lib.logging import MaskPersonalData, mask

REPO = Path(__file__).resolve().parent.parent


def production_env(tmp_path, **extra):
    # A clean environment: the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AYNI_", "PYTEST", "DJANGO_")) and k != "DATABASE_URL"}
    env.update(AYNI_DEBUG="0", AYNI_SECRET_KEY=secrets.token_urlsafe(50), AYNI_VAR_DIR=str(tmp_path),
               AYNI_ALLOWED_HOSTS="ayni.example.org", **extra)
    return env


def ayni(env, *args):
    return subprocess.run([sys.executable, "-m", "ayni.cli", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def test_deploy_check_is_clean_under_production_settings(tmp_path):
    result = ayni(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout and "WARNINGS" not in result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["AYNI_SECRET_KEY"]
    result = ayni(env, "check")
    assert result.returncode != 0 and "AYNI_SECRET_KEY" in result.stderr


def test_production_cookies_are_secure_and_sessions_expire(tmp_path):
    code = ("from django.conf import settings as s; "
            "print(s.SESSION_COOKIE_AGE, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
            "s.SECURE_HSTS_SECONDS > 0, s.PASSWORD_HASHERS[0].endswith('Argon2PasswordHasher'))")
    result = ayni(production_env(tmp_path, AYNI_SESSION_SECONDS="3600"), "shell", "-c", code)
    last_line = result.stdout.strip().splitlines()[-1]
    assert last_line.split() == ["3600", "True", "True", "True", "True", "True"], result.stderr
    default = ayni(production_env(tmp_path), "shell", "-c", code)
    assert default.stdout.strip().splitlines()[-1].split()[0] == str(14 * 24 * 3600)


@pytest.mark.parametrize("text, expected", [
    ("DNI 45678912 duplicado", "DNI [dni] duplicado"),
    ("Key (dni)=(45678912) already exists.", "Key (dni)=([dni]) already exists."),
    ("dni 45678912-K", "dni [dni]"),
    ("llamar al 987654321", "llamar al [celular]"),
    ("llamar al +51 987 654 321 hoy", "llamar al [celular] hoy"),
    ("llamar al 987-654-321", "llamar al [celular]"),
    ("escribir a rosa.quispe@example.org", "escribir a [correo]"),
    ("GET /organizaciones/42/ 200 1234 bytes", "GET /organizaciones/42/ 200 1234 bytes"),
    ("2026-11-23 10:00:00,123 INFO", "2026-11-23 10:00:00,123 INFO"),
])
def test_personal_numbers_are_masked(text, expected):
    assert mask(text) == expected


def test_log_arguments_and_tracebacks_are_masked():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskPersonalData())
    logger = logging.getLogger("ayni.test.masking")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("Persona %s con celular %s", "45678912", 987654321)
        try:
            raise ValueError("Key (dni)=(23456781) already exists")
        except ValueError:
            logger.exception("No se pudo guardar")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert "45678912" not in out and "987654321" not in out and "23456781" not in out
    assert "Persona [dni] con celular [celular]" in out and "Key (dni)=([dni])" in out


def test_the_settings_mask_every_log_line_on_the_console():
    handler = next(h for h in logging.getLogger().handlers if any(
        isinstance(f, MaskPersonalData) for f in h.filters))
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        logging.getLogger("django.request").error("Not Found: /personas/?dni=45678912")
    finally:
        handler.setStream(old)
    assert "[dni]" in stream.getvalue() and "45678912" not in stream.getvalue()


def test_an_empty_database_url_means_the_sqlite_file_in_var(tmp_path):
    # The env templates leave DATABASE_URL= empty; systemd passes that on as an empty string.
    code = "from django.conf import settings as s; print(s.DATABASES['default']['NAME'])"
    result = ayni(production_env(tmp_path, DATABASE_URL=""), "shell", "-c", code)
    assert result.stdout.strip().splitlines()[-1] == str(tmp_path / "ayni.sqlite3"), result.stderr


def test_every_setting_read_from_the_environment_is_in_env_example():
    import re

    # A technician configures what .env.example shows her; a variable missing there is one she
    # will not know to set (or to keep secret).
    read = set()
    for folder in ("src", "deploy"):
        for path in (REPO / folder).rglob("*.py"):
            read |= set(re.findall(r'(?:env_(?:str|bool|int|list)|environ\.get)\("(AYNI_[A-Z_]+)"', path.read_text()))
    listed = set(re.findall(r"^(AYNI_[A-Z_]+)=", (REPO / ".env.example").read_text(), re.MULTILINE))
    assert read and read - listed == set()


def test_no_secret_key_is_committed_in_the_env_templates():
    for name in (".env.example", "deploy/ayni.env.example"):
        for line in (REPO / name).read_text().splitlines():
            if line.startswith("AYNI_SECRET_KEY="):
                assert line.split("=", 1)[1] in ("", "CHANGE-ME"), name


@pytest.mark.django_db
def test_sqlite_fsyncs_every_commit_so_a_power_cut_loses_nothing_acknowledged():
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1


@pytest.mark.parametrize("text, expected", [
    # Every pack's identity number, as stored (its country in front) and as typed.
    ("Key (dni)=(BO-4870123) already exists.", "Key (dni)=([documento]) already exists."),
    ("Key (dni)=(EC-1710034065) already exists.", "Key (dni)=([documento]) already exists."),
    ("persona BR-52998224725", "persona [documento]"),
    ("cédula 1710034065 duplicada", "cédula [documento] duplicada"),
    ("CPF 529.982.247-25", "CPF [documento]"),
    ("CI 4870123 LP", "CI [documento]"),
    ("CI 1234567-1A", "CI [documento]"),
    ("CI 4870123", "CI [documento]"),
    ("llamar al +591 71234567", "llamar al [celular]"),
    ("llamar al +593 98 765 4321", "llamar al [celular]"),
    # Ten digits that fail the cédula's checksum (a timestamp) are left alone.
    ("ts 1764432000 epoch", "ts 1764432000 epoch"),
    # A record's id in a URL's path stays readable; a number searched for does not.
    ("Not Found: /proteccion/caso/999999/", "Not Found: /proteccion/caso/999999/"),
    ("GET /personas/buscar/?q=4870123", "GET /personas/buscar/?q=[documento]"),
])
def test_every_packs_identity_numbers_and_phones_are_masked(text, expected):
    assert mask(text) == expected


def test_every_identity_scheme_has_a_mask():
    from ayni.lib.identity import SCHEMES
    from ayni.lib.logging import TYPED

    assert set(SCHEMES) - {"PE"} <= set(TYPED)  # a new pack's number must not reach a log
