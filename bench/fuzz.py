"""The long fuzzing pass: schemathesis against docs/openapi.json with thousands of examples.

It runs the suite's own schemathesis test (tests/test_schemathesis.py) — every operation,
authenticated with a leader's key, through Django's WSGI handler on a test database — with
many more examples, a fresh seed each run unless one is given, and no shrinking (a failure is
reported as found; rerun with the printed seed to shrink it). The checks are the same: no 5xx,
no batch item failed inside the server, every answer a documented one (status, content type,
body). Prints operations × examples × failures per engine; last line `RESULT {...}`.

    python bench/fuzz.py --quick                     # 100 examples per operation, SQLite
    python bench/fuzz.py --examples 5000 --engine both --seed 42
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET  # noqa: S405 - our own pytest's report
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.server import BIN, PG_SERVER, REPO, exit_on_sigterm, log  # noqa: E402

TEST = "tests/test_schemathesis.py::test_the_api_answers_only_what_its_schema_documents"


def run_engine(engine: str, *, examples: int, seed: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"ayni-bench-fuzz-{engine}-"))
    report, junit = workdir / "fuzz.jsonl", workdir / "junit.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AYNI_", "DJANGO_", "PYTEST"))}
    env.update(AYNI_TESTING="1", AYNI_FUZZ_EXAMPLES=str(examples), AYNI_FUZZ_REPORT=str(report),
               AYNI_FUZZ_SEED=str(seed))
    if engine == "postgres":
        # pytest-django makes (and drops) test_<name> next to it: a name of our own.
        env["DATABASE_URL"] = urlunsplit(urlsplit(PG_SERVER)._replace(path="/ayni_bench_fuzz"))
    else:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'fuzz.sqlite3'}"
    started = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "python"), "-m", "pytest", TEST, "-p", "no:warnings", "-q", "--create-db",
         f"--hypothesis-seed={seed}", f"--junitxml={junit}"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=6 * 3600, check=False,
    )
    seconds = time.perf_counter() - started
    if not junit.exists():
        raise RuntimeError(f"pytest did not run ({engine}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    rows = {}
    for line in report.read_text().splitlines() if report.exists() else []:
        row = json.loads(line)
        rows[row["operation"]] = {**row, "kinds": [], "failures": 0}
    for case in ET.parse(junit).getroot().iter("testcase"):  # noqa: S314 - our own pytest's report
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        if failure is None:
            continue
        text = (failure.get("message") or "") + (failure.text or "")
        log(f"FALLA ({engine}):\n{text[:4000]}")
        # Schemathesis names the operation and lists each distinct failure as "- ST… title".
        operation = re.search(r"operation='([^']+)'", text)
        label = operation.group(1) if operation else "?"
        kinds = sorted(set(re.findall(r"^[\s|]*- (ST\d+ [^\n]+)$", text, re.MULTILINE))) or ["?"]
        row = rows.setdefault(label, {"operation": label, "examples": 0, "statuses": {}, "kinds": [], "failures": 0})
        row["kinds"] = sorted(set(row["kinds"]) | set(kinds))
        row["failures"] = len(row["kinds"])
    return {"engine": engine, "seconds": round(seconds, 1), "operations": sorted(rows.values(),
                                                                               key=lambda r: r["operation"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", default="both", choices=["sqlite", "postgres", "both"])
    parser.add_argument("--examples", type=int, default=2000, help="examples per operation")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    parser.add_argument("--quick", action="store_true", help="100 examples per operation, SQLite only")
    args = parser.parse_args()
    exit_on_sigterm()
    if args.quick:
        args.examples, args.engine = min(args.examples, 100), "sqlite"
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    log(f"semilla {args.seed}, {args.examples} ejemplos por operación")
    results = [run_engine(e, examples=args.examples, seed=args.seed) for e in engines]

    print(f"\n{'engine':>8}  {'operation':<42} {'examples':>8} {'failures':>8}  statuses")
    for result in results:
        for row in result["operations"]:
            statuses = ", ".join(f"{k}: {v}" for k, v in row["statuses"].items())
            print(f"{result['engine']:>8}  {row['operation']:<42} {row['examples']:>8} {row['failures']:>8}  "
                  f"{statuses}")
            for kind in row["kinds"]:
                print(f"{'':>10}falla: {kind}")
    total = {
        "engines": engines, "seed": args.seed, "examples_per_operation": args.examples,
        "operations": len({row["operation"] for r in results for row in r["operations"]}),
        "examples": sum(row["examples"] for r in results for row in r["operations"]),
        "failures": sum(row["failures"] for r in results for row in r["operations"]),
        "seconds": {r["engine"]: r["seconds"] for r in results},
    }
    print("RESULT " + json.dumps(total))
    if total["failures"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
