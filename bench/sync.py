"""Offline sync: 10,000 queued daily reports from 200 simulated phones, replayed against a
live server (gunicorn on 127.0.0.1) through /api/v1/, with random disconnects and resends.

Each phone holds the reports of its own kitchen and sends them in order, in batches, each item
with its client id, as the offline outbox does. Some responses are cut off on purpose (the
request goes out, the answer never comes back) and the phone sends the same batch again; some
requests fail before they leave. Then the same again while gunicorn is killed with SIGKILL and
restarted 5 times mid-run. Afterwards the database must hold exactly one report per queued
item: 0 lost, 0 duplicated, and no resend may come back as a conflict.

    python bench/sync.py --quick       # 2,000 reports from 40 phones, 2 kills
    python bench/sync.py               # 10,000 reports from 200 phones, 5 kills

The last line is `RESULT {...}`.
"""

import argparse
import datetime
import http.client
import json
import random
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.cpu import server_cpu_s  # noqa: E402
from support.server import Gunicorn, Install, exit_on_sigterm, log  # noqa: E402

LIMA = ZoneInfo("America/Lima")

SETUP = """
import json, secrets
from ayni.accounts.models import Role, RoleGrant, User
from ayni.accounts.scope import Scope
from ayni.capture.models import ApiToken
from ayni.geo.models import District
from ayni.orgs.models import OrgKind
from ayni.orgs.services import create_organisation
d = District.objects.get(code="150142")
kind = OrgKind.objects.get
system = Scope.system("banco de pruebas")
confed = create_organisation(scope=system, kind=kind(code="confederacion"), parent=None, name="Banco", district=d)
fed = create_organisation(scope=system, kind=kind(code="federacion-provincial"), parent=confed, name="Fed", district=d)
kitchens = [create_organisation(scope=system, kind=kind(code="comedor-popular"), parent=fed, name=f"Comedor {i}",
                                district=d).pk for i in range(PHONES * 2)]
out = {"kitchens": kitchens, "keys": []}
for i in range(PHONES * 2):
    user = User.objects.create_user(f"celular{i}")  # no password: the phones use API keys (and argon2 is slow)
    RoleGrant.objects.create(user=user, organisation_id=kitchens[i], role=Role.LEADER)
    key = secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name="banco", prefix=key[:8], key_hash=ApiToken.hash(key))
    out["keys"].append(key)
print(json.dumps(out))
"""

COUNT = """
import json
from django.db.models import Count
from ayni.capture.models import Inbound
from ayni.kitchens.models import DailyReport
ids = KITCHENS
reports = DailyReport.objects.filter(kitchen_id__in=ids)
print(json.dumps({
    "stored": reports.count(),
    "saved_twice": reports.filter(version__gt=1).count(),
    "inbound": Inbound.objects.filter(kitchen_id__in=ids).count(),
    "inbound_not_accepted": Inbound.objects.filter(kitchen_id__in=ids).exclude(status="accepted").count(),
}))
"""


class Phone(threading.Thread):
    """One leader's phone: her queue of reports, sent in order, resent until answered."""

    def __init__(self, n: int, server: Gunicorn, kitchen: int, key: str, reports: int, batch: int,
                 drop: float, seed: int):
        super().__init__(daemon=True, name=f"celular-{n}")
        self.server, self.kitchen, self.key, self.batch, self.drop = server, kitchen, key, batch, drop
        self.rng = random.Random(seed)
        today = datetime.datetime.now(LIMA).date()  # the server's day: reports are never future
        self.queue = [{"type": "report", "client_id": str(uuid.UUID(int=self.rng.getrandbits(128))), "data": {
            "date": (today - datetime.timedelta(days=d + 1)).isoformat(), "version": 0,
            "rations_prepared": 90, "served_paying": 60, "served_subsidised": 20, "served_free": 5 + d % 3,
            "price_per_ration": "3.50", "menu": "Arroz con lentejas"}} for d in range(reports)]
        self.accepted = 0
        self.conflicts = 0
        self.other = 0
        self.resends = 0
        self.dropped = 0
        self.errors = 0

    def post(self, body: bytes, cut: bool):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        try:
            conn.request("POST", f"/api/v1/kitchens/{self.kitchen}/batch", body=body, headers={
                "Content-Type": "application/json", "Authorization": f"Bearer {self.key}"})
            if cut:  # the signal goes as the request leaves: no answer reaches the phone
                return None
            response = conn.getresponse()
            data = response.read()
            return json.loads(data) if response.status == 200 else None
        finally:
            conn.close()

    def run(self) -> None:
        i = 0
        while i < len(self.queue):
            chunk = self.queue[i:i + self.batch]
            cut = self.rng.random() < self.drop
            try:
                answer = self.post(json.dumps({"items": chunk}).encode(), cut)
            except (OSError, http.client.HTTPException, ValueError):
                answer = None
                self.errors += 1
            if answer is None:
                self.dropped += cut
                self.resends += 1
                time.sleep(self.rng.uniform(0.05, 0.3) if not cut else 0)
                continue
            for result in answer["results"]:
                status = result["status"]
                self.accepted += status == "accepted"
                self.conflicts += status in ("conflict", "id_reused")
                self.other += status not in ("accepted", "conflict", "id_reused")
            i += self.batch


def run(install: Install, server: Gunicorn, kitchens: list[int], keys: list[str], *, per_phone: int, batch: int,
        drop: float, kills: int, seed: int) -> dict:
    phones = [Phone(n, server, k, key, per_phone, batch, drop, seed * 1000 + n)
              for n, (k, key) in enumerate(zip(kitchens, keys, strict=True))]
    rng = random.Random(seed)
    started, cpu = time.perf_counter(), server_cpu_s(server)
    for phone in phones:
        phone.start()
    done = 0
    if kills:
        for done in range(1, kills + 1):  # noqa: B007 - reported after the loop
            time.sleep(rng.uniform(0.5, 1.5))
            log(f"SIGKILL {done}/{kills}")
            server.kill9()
            server.start()
    for phone in phones:
        phone.join()
    seconds = time.perf_counter() - started
    cpu = server_cpu_s(server) - cpu if not kills else None  # a killed server's CPU is lost with it
    counted = json.loads(install.ayni("shell", "-c", COUNT.replace("KITCHENS", json.dumps(kitchens)))
                         .stdout.strip().splitlines()[-1])
    queued = per_phone * len(phones)
    return {
        "reports": queued, "seconds": round(seconds, 2), "stored": counted["stored"],
        "duplicates": counted["saved_twice"] + sum(p.conflicts for p in phones),
        "lost": queued - counted["stored"], "kills": done,
        "acknowledged": sum(p.accepted for p in phones), "other_results": sum(p.other for p in phones),
        "resends": sum(p.resends for p in phones), "cut_responses": sum(p.dropped for p in phones),
        "inbound_rows": counted["inbound"], "server_cpu_s": round(cpu, 2) if cpu is not None else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--per-phone", type=int, default=50)
    # What the outbox sends per request (capture/static/capture/outbox.js, `run.length < 100`).
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--drop", type=float, default=0.1, help="share of responses cut off")
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    parser.add_argument("--quick", action="store_true", help="2,000 reports from 40 phones, 2 kills")
    args = parser.parse_args()
    exit_on_sigterm()
    if args.quick:
        args.phones, args.kills = min(args.phones, 40), min(args.kills, 2)
    log(f"semilla {args.seed}")
    workdir = Path(tempfile.mkdtemp(prefix="ayni-bench-sync-"))
    install = Install(engine=args.engine, name="ayni_bench_sync", workdir=workdir)
    install.create()
    install.ayni("migrate", "--no-input", "-v", "0")
    log(f"{args.phones * 2} cocinas y celulares")
    setup = json.loads(install.ayni("shell", "-c", SETUP.replace("PHONES", str(args.phones)))
                       .stdout.strip().splitlines()[-1])
    kitchens, keys = setup["kitchens"], setup["keys"]
    server = Gunicorn(install, workers=args.workers)
    server.start()
    try:
        log("sin cortes del servidor")
        calm = run(install, server, kitchens[:args.phones], keys[:args.phones], per_phone=args.per_phone,
                   batch=args.batch, drop=args.drop, kills=0, seed=args.seed)
        log(json.dumps(calm))
        log(f"con {args.kills} SIGKILL del servidor")
        killed = run(install, server, kitchens[args.phones:], keys[args.phones:], per_phone=args.per_phone,
                     batch=args.batch, drop=args.drop, kills=args.kills, seed=args.seed + 1)
        log(json.dumps(killed))
    finally:
        server.stop()
        install.drop()
    print(f"calm:   {calm['reports']} reports in {calm['seconds']} s "
          f"({calm['reports'] / calm['seconds']:.0f}/s), stored {calm['stored']}, duplicates {calm['duplicates']}, "
          f"resends {calm['resends']} (target for 10,000: <= 10 s)")
    print(f"server: {calm['server_cpu_s']} CPU s, {calm['server_cpu_s'] * 1000 / calm['reports']:.2f} ms per report")
    print(f"killed: {killed['reports']} reports in {killed['seconds']} s with {killed['kills']} SIGKILL, "
          f"stored {killed['stored']}, duplicates {killed['duplicates']}, lost {killed['lost']}")
    result = {"reports": calm["reports"], "seconds": calm["seconds"], "stored": calm["stored"],
              "duplicates": calm["duplicates"], "kill_restarts": killed["kills"], "kill_stored": killed["stored"],
              "kill_duplicates": killed["duplicates"], "engine": args.engine, "phones": args.phones,
              "resends": calm["resends"] + killed["resends"], "server_cpu_s": calm["server_cpu_s"],
              "server_cpu_ms_per_report": round(calm["server_cpu_s"] * 1000 / calm["reports"], 3)}
    print("RESULT " + json.dumps(result))
    if calm["stored"] != calm["reports"] or killed["stored"] != killed["reports"] or result["duplicates"] \
            or result["kill_duplicates"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
