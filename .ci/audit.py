"""Known vulnerabilities in the installed packages (pip-audit), for .ci/run.

    .venv/bin/python .ci/audit.py                 # audit the environment this Python runs in
    .venv/bin/python .ci/audit.py --report FILE   # decide on a report pip-audit already wrote

Asks OSV first, then PyPI's own advisory data. A known vulnerability fails the run (exit 1) and
is named with the versions that fix it. When neither service answers — no network on the CI
machine, a mirror that does not serve PyPI's per-version JSON — the packages could not be
checked: that is a warning (exit 0), so an outage never blocks a release, but it is printed
loudly, with how many packages went unchecked, because "no vulnerabilities found" would be a lie.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

SERVICES = ("osv", "pypi")


def run_pip_audit(service: str) -> tuple[dict | None, str]:
    """pip-audit's JSON report from one service, or None and why not."""
    done = subprocess.run(
        [sys.executable, "-m", "pip_audit", "--local", "--skip-editable", "--format", "json",
         "--progress-spinner", "off", "--vulnerability-service", service],
        capture_output=True, text=True, timeout=900, check=False,
    )
    try:
        return json.loads(done.stdout), ""
    except json.JSONDecodeError:
        # pip-audit writes no report when the service cannot be reached at all.
        last = (done.stderr.strip().splitlines() or ["(sin salida)"])[-1]
        return None, last[:300]


def decide(report: dict) -> tuple[int, list[str]]:
    """(exit code, lines to print) for one report."""
    lines, vulnerable, skipped = [], [], []
    deps = report.get("dependencies", [])
    for dep in deps:
        if dep.get("skip_reason"):
            skipped.append(dep)
        for vuln in dep.get("vulns", []):
            vulnerable.append(dep)
            fixes = ", ".join(vuln.get("fix_versions") or []) or "sin versión corregida"
            aliases = ", ".join(vuln.get("aliases") or [])
            lines.append(f"VULNERABLE: {dep['name']} {dep['version']}: {vuln['id']}"
                         f"{f' ({aliases})' if aliases else ''}; corregida en: {fixes}")
    audited = len(deps) - len(skipped)
    if vulnerable:
        lines.append(f"pip-audit: {len({d['name'] for d in vulnerable})} paquete(s) con vulnerabilidades conocidas.")
        return 1, lines
    if skipped:
        lines.append(f"AVISO pip-audit: {len(skipped)} de {len(deps)} paquetes no se pudieron revisar "
                     f"(p. ej. {skipped[0]['name']}: {skipped[0]['skip_reason']}).")
    lines.append(f"pip-audit: {audited} paquete(s) revisados, ninguna vulnerabilidad conocida.")
    return 0, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", type=Path, help="a report from `pip-audit --format json`")
    args = parser.parse_args()
    if args.report:
        code, lines = decide(json.loads(args.report.read_text()))
        print("\n".join(lines))
        return code
    problems = []
    for service in SERVICES:
        report, why = run_pip_audit(service)
        if report is None:
            problems.append(f"{service}: {why}")
            continue
        code, lines = decide(report)
        # A service that answered for nothing (every package skipped) is no answer: try the next.
        audited = sum(1 for dep in report.get("dependencies", []) if not dep.get("skip_reason"))
        if code == 0 and audited == 0 and report.get("dependencies"):
            problems.append(f"{service}: {lines[0]}")
            continue
        print(f"pip-audit (servicio {service}):")
        print("\n".join(lines))
        return code
    print("AVISO pip-audit: no se pudo consultar ningún servicio de vulnerabilidades; NO se revisaron los "
          "paquetes.\n  " + "\n  ".join(problems))
    return 0


if __name__ == "__main__":
    sys.exit(main())
