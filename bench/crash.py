"""Crash consistency: SIGKILL the server in the middle of every kind of write, restart, check.

Writers do what the product's users do, over HTTP: register organisations and socias, edit and
move organisations, save daily reports, record stock movements, confirm roll imports (uploaded
beforehand), merge duplicate pairs (suggested beforehand) and send API sync batches of movements
and roll entries — while a killer sends SIGKILL to gunicorn's whole process group at random
moments, as a power cut or the OOM killer would, and starts it again. Afterwards:

- `ayni replay-inbound` finishes the API items stored but not processed when the server died;
- `ayni check-integrity`: organisation paths, no orphan row behind any foreign key, no
  half-applied import or merge, a revision per report version, stock balances and monthly
  summaries equal to their rows, an audit entry for every change;
- the run's own checks (bench/support/registry_invariants.py): every registered person has her
  membership, every change of this run has its audit entry;
- nothing acknowledged is lost: each write the server answered as done (a redirect, or an API
  item `accepted`) is in the database.

    python bench/crash.py --quick                  # 3 kills on SQLite and on PostgreSQL
    python bench/crash.py --engine sqlite --kills 50

Exits non-zero on any violation or lost write. The last line is `RESULT {...}`.
"""

import argparse
import http.client
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.server import BIN, Gunicorn, Install, exit_on_sigterm, log  # noqa: E402
from support.web import Client  # noqa: E402

PASSWORD = "bench-clave-2026"  # noqa: S105 - demo accounts of a scratch database
WRITER_ACCOUNT = "nacional"  # the national board may register, edit and move anywhere below her
# The targets, and what the writers will confirm or decide: roll imports uploaded (not applied),
# duplicate pairs suggested (not decided), and an API key for the writer.
TARGETS = """
import datetime, json, secrets
from ayni.accounts.models import User
from ayni.accounts.scope import Scope
from ayni.capture.models import ApiToken
from ayni.orgs.models import Organisation
from ayni.rolls.imports import read_import, upload_import
from ayni.people.models import DuplicatePair
from ayni.rolls.models import Category
from ayni.rolls.services import register_entry, suggest_pair
kitchens = list(Organisation.objects.filter(kind__is_kitchen=True).order_by("pk").values_list("pk", flat=True)[:60])
districts = list(Organisation.objects.filter(kind__level=3).values_list("pk", flat=True)[:30])
orgs = {o.pk: o for o in Organisation.objects.filter(pk__in=kitchens)}
user = User.objects.get(username=WRITER)
key = secrets.token_urlsafe(32)
ApiToken.objects.create(user=user, name="crash", prefix=key[:8], key_hash=ApiToken.hash(key))
today = datetime.date.today()
imports, pairs = [], []
system = Scope.system("preparación de la prueba de caídas (bench/crash.py)")
for i in range(N):
    rows = "".join(f"Importada;{MARKER};I{i} F{j};Otro\\n" for j in range(5))
    csv = "Apellido paterno;Apellido materno;Nombres;Categoría\\n" + rows
    batch = upload_import(scope=system, kitchen=orgs[kitchens[i % len(kitchens)]], filename=f"p{i}.csv",
                          content=csv.encode())
    read_import(batch_id=batch.pk, reading=batch.reading)  # as the task worker does: the preview is ready
    imports.append(batch.pk)
    people = [register_entry(scope=system, kitchen=orgs[kitchens[(i + k) % len(kitchens)]],
                             category=Category.objects.get(code="otro"), given_names=f"D{i} {MARKER}",
                             paternal_surname="Duplicada", maternal_surname=name, consent_on=today,
                             consent_method="signed").person for k, name in ((0, "Apaza"), (1, "Apasa"))]
    pair = suggest_pair(a=people[0], b=people[1], kind=DuplicatePair.Kind.NAMES, score=95, reason="crash")
    pairs.append([pair.pk, pair.person_a_id])
print(json.dumps({"kitchens": kitchens, "districts": districts, "key": key, "imports": imports, "pairs": pairs}))
"""


class Writer(threading.Thread):
    def __init__(self, n: int, server: Gunicorn, targets: dict, marker: str, stop: threading.Event, seed: int,
                 writers: int):
        super().__init__(daemon=True, name=f"escritora-{n}")
        self.n, self.server, self.targets, self.marker, self.stop = n, server, targets, marker, stop
        self.rng = random.Random(seed)
        # Each writer confirms its own share of the uploads and pairs: two writers on the same
        # one would only test the "already applied" message.
        self.imports = list(targets["imports"][n::writers])
        self.pairs = list(targets["pairs"][n::writers])
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
        if r < 0.16:
            self.write_report(client, tag)
        elif r < 0.32:
            kitchen = self.rng.choice(self.targets["kitchens"])
            _page, response = client.submit(f"/cocina/{kitchen}/movimiento/", {
                "kind": "donation", "item": "arroz", "quantity": "3", "party": tag, "unit_price": "",
                "date": time.strftime("%Y-%m-%d")})
            if self.ok(response):
                self.acknowledged.append({"kind": "movement", "party": tag})
        elif r < 0.40 and self.imports:
            batch = self.imports.pop()
            _page, response = client.submit(f"/padron/importacion/{batch}/", {})
            if self.ok(response):
                self.acknowledged.append({"kind": "import", "batch": batch})
        elif r < 0.48 and self.pairs:
            pair, keep = self.pairs.pop()
            _page, response = client.submit(f"/padron/duplicados/{pair}/", {"decision": "same", "keep": str(keep)})
            if self.ok(response):
                self.acknowledged.append({"kind": "merge", "pair": pair})
        elif r < 0.60:
            self.write_batch(tag)
        else:
            self.write_registry(client, tag)

    def write_report(self, client: Client, tag: str) -> None:
        kitchen = self.rng.choice(self.targets["kitchens"])
        day = time.strftime("%Y-%m-%d", time.localtime(time.time() - 86400 * self.rng.randint(0, 20)))
        _page, response = client.submit(f"/cocina/{kitchen}/dia/{day}/", {
            "is_closed": "", "rations_prepared": "60", "served_paying": "20", "served_subsidised": "25",
            "served_free": "5", "price_per_ration": "3.00", "menu": tag, "confirm": "on"})
        if self.ok(response):
            self.acknowledged.append({"kind": "report", "menu": tag})

    def write_batch(self, tag: str) -> None:
        """An API sync batch of movements and roll entries, as the phone's outbox sends it."""
        kitchen = self.rng.choice(self.targets["kitchens"])
        today = time.strftime("%Y-%m-%d")
        items = []
        for j in range(self.rng.randint(1, 12)):
            name = f"Sinc {tag}.{j}"  # not the run's marker first: they are not socias
            if j % 2:
                items.append({"type": "movement", "client_id": name,
                              "data": {"date": today, "item": "aceite", "kind": "donation", "quantity": "1",
                                       "party": name}})
            else:
                items.append({"type": "roll_entry", "client_id": name,
                              "data": {"given_names": name, "paternal_surname": "Sincronizada", "sex": "F",
                                       "category": "otro", "ration": "subsidised", "since": today,
                                       "consent_method": "signed", "consent_on": today}})
        conn = http.client.HTTPConnection("127.0.0.1", int(self.server.base.rsplit(":", 1)[1].strip("/")),
                                          timeout=30)
        try:
            conn.request("POST", f"/api/v1/kitchens/{kitchen}/batch", body=json.dumps({"items": items}),
                         headers={"Authorization": f"Bearer {self.targets['key']}", "Host": "127.0.0.1",
                                  "Content-Type": "application/json", "Accept-Encoding": "identity"})
            raw = conn.getresponse()
            body = raw.read()
        except http.client.HTTPException as exc:
            raise ConnectionError(str(exc)) from exc
        finally:
            conn.close()
        if raw.status >= 500:
            self.interrupted += 1
            return
        if raw.status != 200:
            self.refused += 1
            return
        for result in json.loads(body)["results"]:
            item = next(i for i in items if i["client_id"] == result["client_id"])
            if result["status"] == "accepted":
                self.acknowledged.append({"kind": f"api_{item['type']}", "name": result["client_id"]})
            elif result["status"] == "failed":
                self.interrupted += 1
            else:
                self.refused += 1

    def write_registry(self, client: Client, tag: str) -> None:
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
    uploads = max(8, kills * 3)
    workdir = Path(tempfile.mkdtemp(prefix=f"ayni-bench-crash-{engine}-"))
    install = Install(engine=engine, name="ayni_bench_crash", workdir=workdir)
    install.prepare(scale="small", password=PASSWORD)
    marker = f"Choque{seed}"
    setup = f"WRITER, MARKER, N = {WRITER_ACCOUNT!r}, {marker!r}, {uploads}\n" + TARGETS
    targets = json.loads(install.ayni("shell", "-c", setup).stdout.strip().splitlines()[-1])
    server = Gunicorn(install, workers=workers)
    server.start()
    stop = threading.Event()
    team = [Writer(i, server, targets, marker, stop, seed * 100 + i, writers) for i in range(writers)]
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
    # What the server stored but had no time to process is finished now, as the operator would.
    replayed = install.ayni("replay-inbound", check=False).stdout.strip().splitlines()[-1:] or [""]
    log(f"replay-inbound: {replayed[0]}")
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
        "organisations": report["counts"]["organisations"], "replayed": replayed[0],
        "by_kind": dict(sorted(Counter(w["kind"] for w in acknowledged).items())),
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
    for row in results:
        print(f"{row['engine']}: acknowledged by kind {row['by_kind']}")
    total = {
        "engines": engines, "kills": sum(r["kills"] for r in results),
        "writes_acknowledged": sum(r["writes_acknowledged"] for r in results),
        "writes_interrupted": sum(r["writes_interrupted"] for r in results),
        "lost": sum(r["lost"] for r in results), "violations": sum(r["violations"] for r in results),
        "check_integrity": {r["engine"]: r["check_integrity"] for r in results}, "seed": args.seed,
        "acknowledged_by_kind": dict(sum((Counter(r["by_kind"]) for r in results), Counter())),
    }
    print("RESULT " + json.dumps(total))
    if total["lost"] or total["violations"] or "failed" in total["check_integrity"].values():
        sys.exit(1)


if __name__ == "__main__":
    main()
