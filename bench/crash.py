"""Crash consistency: SIGKILL the server in the middle of registry writes, restart, check.

Writers register organisations, register socias (person + membership), edit organisations and
move them between federations, all through the HTML forms over HTTP, while a killer sends
SIGKILL to gunicorn's whole process group at random moments — as a power cut or the OOM killer
would — and starts it again. Afterwards:

- `ayni check-integrity`, when the installed apps provide it;
- the registry's own invariants (bench/support/registry_invariants.py): every organisation's
  path is its parent's path plus its own segment, no membership or position pointing at nothing,
  every registered person has her membership, every change of this run has its audit entry;
- nothing acknowledged is lost: each write the server answered with a redirect is in the database.

    python bench/crash.py --quick                  # 3 kills on SQLite and on PostgreSQL
    python bench/crash.py --engine sqlite --kills 50

Exits non-zero on any violation or lost write. The last line is `RESULT {...}`.
"""

import argparse
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.server import BIN, Gunicorn, Install, exit_on_sigterm, log  # noqa: E402
from support.web import Client  # noqa: E402

PASSWORD = "bench-clave-2026"  # noqa: S105 - demo accounts of a scratch database
WRITER_ACCOUNT = "nacional"  # the national board may register, edit and move anywhere below her
TARGETS = """
import json
from ayni.orgs.models import Organisation
kitchens = list(Organisation.objects.filter(kind__is_kitchen=True).values_list("pk", flat=True)[:60])
districts = list(Organisation.objects.filter(kind__level=3).values_list("pk", flat=True)[:30])
print(json.dumps({"kitchens": kitchens, "districts": districts}))
"""


class Writer(threading.Thread):
    def __init__(self, n: int, server: Gunicorn, targets: dict, marker: str, stop: threading.Event, seed: int):
        super().__init__(daemon=True, name=f"escritora-{n}")
        self.n, self.server, self.targets, self.marker, self.stop = n, server, targets, marker, stop
        self.rng = random.Random(seed)
        self.acknowledged: list[dict] = []
        self.created_orgs: list[int] = []
        self.interrupted = 0
        self.refused = 0
        self.i = 0

    def run(self) -> None:
        client = Client(self.server.base, timeout=15)
        while not self.stop.is_set():
            try:
                if "sessionid" not in client.cookies and not client.login(WRITER_ACCOUNT, PASSWORD):
                    time.sleep(0.2)
                    continue
                self.write(client)
            except ConnectionRefusedError:
                # Nobody listening (the server is restarting): the request was never sent.
                client.close()
                time.sleep(0.1)
            except OSError:
                # The server died under this request: its outcome is unknown, and either outcome
                # is fine as long as it is all or nothing — which the checks afterwards verify.
                self.interrupted += 1
                client.close()
                time.sleep(0.1)

    def write(self, client: Client) -> None:
        self.i += 1
        tag = f"{self.marker} {self.n}-{self.i}"
        r = self.rng.random()
        if r < 0.35:
            parent = self.rng.choice(self.targets["districts"])
            _page, response = client.submit(f"/organizaciones/{parent}/nueva/", {"name": tag})
            if self.ok(response):
                self.acknowledged.append({"kind": "org", "name": tag})
                pk = response.location.rstrip("/").rsplit("/", 1)[-1]
                if pk.isdigit():
                    self.created_orgs.append(int(pk))
        elif r < 0.75:
            kitchen = self.rng.choice(self.targets["kitchens"])
            _page, response = client.submit(f"/organizaciones/{kitchen}/socias/nueva/",
                                            {"given_names": tag, "paternal_surname": "Quispe"})
            if self.ok(response):
                self.acknowledged.append({"kind": "person", "name": tag})
        elif r < 0.90 or not self.created_orgs:
            kitchen = self.rng.choice(self.targets["kitchens"])
            address = f"Jr. {tag}"
            _page, response = client.submit(f"/organizaciones/{kitchen}/editar/", {"address": address})
            if self.ok(response):
                self.acknowledged.append({"kind": "edit", "org": kitchen, "address": address})
        else:
            org = self.rng.choice(self.created_orgs)
            parent = self.rng.choice(self.targets["districts"])
            _page, response = client.submit(f"/organizaciones/{org}/mover/", {"new_parent": str(parent)})
            if self.ok(response):
                self.acknowledged.append({"kind": "move", "org": org, "parent": parent})

    def ok(self, response) -> bool:
        if response.status == 302 and "/cuenta/ingresar/" in (response.location or ""):
            return False
        if response.status == 302:
            return True
        if response.status >= 500:
            self.interrupted += 1  # e.g. a worker killed while the master still answered
        else:
            self.refused += 1  # a form error (a move onto the same parent, a full form): not a write
        return False


def run_engine(engine: str, *, kills: int, writers: int, workers: int, seed: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"ayni-bench-crash-{engine}-"))
    install = Install(engine=engine, name="ayni_bench_crash", workdir=workdir)
    install.prepare(scale="small", password=PASSWORD)
    targets = json.loads(install.ayni("shell", "-c", TARGETS).stdout.strip().splitlines()[-1])
    server = Gunicorn(install, workers=workers)
    server.start()
    marker = f"Choque{seed}"
    stop = threading.Event()
    team = [Writer(i, server, targets, marker, stop, seed * 100 + i) for i in range(writers)]
    rng = random.Random(seed)
    done = 0
    try:
        for writer in team:
            writer.start()
        time.sleep(1.0)
        for done in range(1, kills + 1):  # noqa: B007 - `done` is reported after the loop
            time.sleep(rng.uniform(0.5, 2.5))  # long enough for writes to be under way
            server.kill9()
            server.start()
        time.sleep(1.0)
    finally:
        stop.set()
        for writer in team:
            writer.join(timeout=30)
        server.stop()

    acknowledged = [w for writer in team for w in writer.acknowledged]
    acknowledged_file = workdir / "acknowledged.json"
    acknowledged_file.write_text(json.dumps(acknowledged))
    integrity = "absent"
    if install.has_command("check-integrity"):
        result = install.ayni("check-integrity", check=False)
        integrity = "ok" if result.returncode == 0 else "failed"
        if result.returncode:
            log(f"check-integrity:\n{result.stdout}{result.stderr}")
    checked = subprocess.run(
        [str(BIN / "python"), str(Path(__file__).resolve().parent / "support" / "registry_invariants.py"),
         marker, str(acknowledged_file)],
        env=install.env, cwd=workdir, capture_output=True, text=True, timeout=600, check=False,
    )
    if checked.returncode != 0:
        raise RuntimeError(f"registry_invariants falló:\n{checked.stderr[-3000:]}")
    report = json.loads(checked.stdout.strip().splitlines()[-1])
    for violation in report["violations"][:20]:
        log(f"VIOLACIÓN ({engine}): {violation}")
    for write in report["lost"][:20]:
        log(f"PERDIDO ({engine}): {write}")
    install.drop()
    return {
        "engine": engine, "kills": done, "writes_acknowledged": len(acknowledged),
        "writes_interrupted": sum(w.interrupted for w in team), "writes_refused": sum(w.refused for w in team),
        "lost": len(report["lost"]), "violations": len(report["violations"]), "check_integrity": integrity,
        "organisations": report["counts"]["organisations"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", default="both", choices=["sqlite", "postgres", "both"])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    parser.add_argument("--quick", action="store_true", help="3 kills per engine")
    args = parser.parse_args()
    exit_on_sigterm()
    if args.quick:
        args.kills = min(args.kills, 3)
    args.kills = max(1, min(args.kills, 500))
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    log(f"semilla {args.seed}")
    results = [run_engine(e, kills=args.kills, writers=args.writers, workers=args.workers, seed=args.seed)
               for e in engines]

    columns = ["engine", "kills", "writes_acknowledged", "writes_interrupted", "writes_refused", "lost",
               "violations", "check_integrity"]
    print("\n" + "  ".join(f"{c:>19}" for c in columns))
    for row in results:
        print("  ".join(f"{row[c]!s:>19}" for c in columns))
    total = {
        "engines": engines, "kills": sum(r["kills"] for r in results),
        "writes_acknowledged": sum(r["writes_acknowledged"] for r in results),
        "writes_interrupted": sum(r["writes_interrupted"] for r in results),
        "lost": sum(r["lost"] for r in results), "violations": sum(r["violations"] for r in results),
        "check_integrity": {r["engine"]: r["check_integrity"] for r in results}, "seed": args.seed,
    }
    print("RESULT " + json.dumps(total))
    if total["lost"] or total["violations"] or "failed" in total["check_integrity"].values():
        sys.exit(1)


if __name__ == "__main__":
    main()
