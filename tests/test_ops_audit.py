"""`.ci/audit.py` (pip-audit in CI): a known vulnerability fails the run; a service that cannot be
reached, or that answers for no package, is a loud warning and not a pass in silence."""

import json
import subprocess
import sys
from pathlib import Path

AUDIT = Path(__file__).resolve().parent.parent / ".ci" / "audit.py"


def decide(tmp_path, dependencies):
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"dependencies": dependencies, "fixes": []}))
    done = subprocess.run([sys.executable, str(AUDIT), "--report", str(report)], capture_output=True, text=True,
                          check=False)
    return done.returncode, done.stdout


def test_a_known_vulnerability_fails_the_run_and_is_named(tmp_path):
    code, out = decide(tmp_path, [
        {"name": "django", "version": "3.2.0", "vulns": [
            {"id": "PYSEC-2021-98", "fix_versions": ["3.2.4"], "aliases": ["CVE-2021-33203"], "description": "…"}]},
        {"name": "rapidfuzz", "version": "3.14.6", "vulns": []},
    ])
    assert code == 1
    assert "VULNERABLE: django 3.2.0: PYSEC-2021-98 (CVE-2021-33203); corregida en: 3.2.4" in out


def test_a_clean_environment_passes(tmp_path):
    code, out = decide(tmp_path, [{"name": "django", "version": "5.2.19", "vulns": []}])
    assert code == 0 and "1 paquete(s) revisados" in out and "AVISO" not in out


def test_packages_that_could_not_be_checked_are_a_warning_not_a_failure(tmp_path):
    code, out = decide(tmp_path, [
        {"name": "django", "version": "5.2.19", "vulns": []},
        {"name": "tqdm", "version": "4.70.1", "skip_reason": "Dependency not found on PyPI and could not be audited"},
    ])
    assert code == 0 and "AVISO pip-audit: 1 de 2 paquetes no se pudieron revisar" in out
