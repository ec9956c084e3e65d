"""Load: many people using Ayni at once, against gunicorn on 127.0.0.1 with PostgreSQL.

Each simulated person uses one of the demo accounts (kitchen leaders, coordinators, the national
board, a viewer) — a fifth of them log in with their password, the rest come back with the session
they left open, as sessions last two weeks — then clicks around as her role does, with a pause
between clicks: a kitchen leader mostly opens her kitchen and today's report form, a coordinator
her home page (the alerts), the dashboards and the tree; both now and then look at a socia or
search, and now and then register a new socia through the HTML form. We measure what she would
feel (errors, p50/p95 latency) and what the server pays (resident memory of each gunicorn worker).

    python bench/load.py --quick          # 20 people, 20 s, small demo (a smoke run)
    python bench/load.py                  # 200 people, 5 minutes, province demo

Budget (PRODUCT.md, issue 7): 0 errors, p95 ≤ 500 ms, ≤ 200 MB RSS per worker; people search
(«buscar persona», in every role's mix) p95 ≤ 150 ms (issue 12), reported on its own, as is the
evidence dashboard («tablero»). `bench/search.py` times search alone on the national-full demo. Threads and the
standard library's http.client rather than locust: nothing to install, and 200 people who mostly
wait are well within what threads do. Traffic goes to 127.0.0.1 only; the run is bounded in
time and in requests.
"""

import argparse
import datetime
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.cpu import PostgresBackendsCpu, ViewProfile, profile_env, server_cpu_s  # noqa: E402
from support.server import Gunicorn, Install, exit_on_sigterm, log  # noqa: E402
from support.web import Client, links  # noqa: E402

PASSWORD = "bench-clave-2026"  # noqa: S105 - demo accounts of a scratch database
# Who is online, by demo account. Leaders are most of the people; the viewer never writes.
PEOPLE = [("dirigenta", 30), ("dirigenta2", 20), ("coordinadora", 15), ("coordinadora2", 10),
          ("coord.distrital", 10), ("nacional", 10), ("observadora", 5)]
LEADERS = {"dirigenta", "dirigenta2"}
WRITERS = {"dirigenta", "dirigenta2", "coordinadora", "coordinadora2", "coord.distrital", "nacional"}
SURNAMES = ["Quispe", "Mamani", "Huamán", "Condori", "Flores", "Rojas", "Ccahuana", "Torres"]
LIMA = datetime.timezone(datetime.timedelta(hours=-5))  # the server's day (Peru has no summer time)
MAX_REQUESTS = 2_000_000  # a hard stop, whatever the other settings say


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter = Counter()
        self.requests = 0

    def add(self, kind: str, ms: float, ok: bool, why: str = "") -> None:
        with self.lock:
            self.requests += 1
            self.latency[kind].append(ms)
            if not ok:
                self.errors[f"{kind}: {why}"] += 1

    def all_latencies(self) -> list[float]:
        return [ms for values in self.latency.values() for ms in values]


class Person(threading.Thread):
    def __init__(self, n: int, base: str, username: str, stats: Stats, start_at: float, deadline: float,
                 think: float, write_share: float, seed: int, session: dict | None = None):
        super().__init__(daemon=True, name=f"persona-{n}")
        self.n, self.base, self.username, self.stats = n, base, username, stats
        self.session = session
        self.start_at, self.deadline, self.think, self.write_share = start_at, deadline, think, write_share
        self.rng = random.Random(seed)
        self.orgs: list[int] = []
        self.people: list[int] = []
        self.kitchens: list[int] = []
        self.overviews: list[int] = []
        self.writes = 0

    def hit(self, client: Client, kind: str, path: str, expect=(200,)):
        start = time.perf_counter()
        try:
            response = client.get(path)
        except OSError as exc:
            # A timeout counts with the time she waited, not as an instant.
            self.stats.add(kind, (time.perf_counter() - start) * 1000, False, type(exc).__name__)
            client.close()
            return None
        ok = response.status in expect
        self.stats.add(kind, response.ms, ok, str(response.status))
        return response if ok else None

    def learn(self, html: str) -> None:
        # Follow the links on the page, as a person would: only what she was shown.
        for pk in links(html, r"/organizaciones/(\d+)/"):
            if pk not in self.orgs:
                self.orgs.append(pk)
        for pk in links(html, r"/personas/(\d+)/"):
            if pk not in self.people:
                self.people.append(pk)
        for pk in links(html, r"/cocina/(\d+)/"):
            if pk not in self.kitchens:
                self.kitchens.append(pk)
        for pk in links(html, r"/cocina/resumen/(\d+)/"):
            if pk not in self.overviews:
                self.overviews.append(pk)
        del self.orgs[:-200], self.people[:-200], self.kitchens[:-200], self.overviews[:-20]

    def run(self) -> None:
        time.sleep(max(0.0, self.start_at - time.monotonic()))
        client = Client(self.base)
        if self.session:
            client.cookies.update(self.session)
        try:
            start = time.perf_counter()
            try:
                ok = bool(self.session) or client.login(self.username, PASSWORD)
                if not self.session:
                    self.stats.add("ingreso", (time.perf_counter() - start) * 1000, ok, "no ingresó")
            except OSError as exc:
                self.stats.add("ingreso", (time.perf_counter() - start) * 1000, False, type(exc).__name__)
                return
            if not ok:
                return
            page = self.hit(client, "inicio", "/")
            if page:
                self.learn(page.body)
            while time.monotonic() < self.deadline and self.stats.requests < MAX_REQUESTS:
                # The pause between two clicks on a phone: the page arrives, she reads it (a
                # kitchen's stock, a list of alerts) or types a search, then taps. Exponential,
                # as the time between a crowd's clicks is, cut at 10 s so that one long pause does
                # not idle a simulated person: with the default mean of 10 s the pauses average
                # 6.3 s. Reading a page or filling in the day's figures takes a person longer
                # than that; the cut keeps the load on the server the heavier side of real.
                time.sleep(min(10.0, self.rng.expovariate(1 / self.think)))
                if time.monotonic() >= self.deadline:
                    break
                self.click(client)
        finally:
            client.close()

    def click(self, client: Client) -> None:
        r, page = self.rng.random(), None
        if self.username in WRITERS and self.orgs and r < self.write_share:
            self.register_member(client)
            return
        r = self.rng.random()
        if self.username in LEADERS:
            page = self.leader_click(client, r)
        else:
            page = self.coordinator_click(client, r)
        if page:
            self.learn(page.body)

    def leader_click(self, client: Client, r: float):
        """A kitchen leader's day: her kitchen (stock, days of food left) and the day's report
        form, her home page; her socias and the organisation now and then."""
        if r < 0.30 and self.kitchens:
            return self.hit(client, "cocina", f"/cocina/{self.rng.choice(self.kitchens)}/")
        if r < 0.55 and self.kitchens:
            day = datetime.datetime.now(LIMA).date() - datetime.timedelta(days=self.rng.choice([0, 0, 0, 1, 2]))
            return self.hit(client, "parte del día", f"/cocina/{self.rng.choice(self.kitchens)}/dia/{day}/")
        if r < 0.70 or not self.orgs:
            return self.hit(client, "inicio", "/")
        if r < 0.82:
            return self.hit(client, "organización", f"/organizaciones/{self.rng.choice(self.orgs)}/")
        if r < 0.92 and self.people:
            return self.hit(client, "persona", f"/personas/{self.rng.choice(self.people)}/")
        return self.hit(client, "buscar persona", "/personas/?q=" + quote(self.rng.choice(SURNAMES).lower()))

    def coordinator_click(self, client: Client, r: float):
        """A coordinator (or the national board, or the viewer): the home page with its alerts,
        the dashboards, the tree and its organisations, a kitchen from an alert, people."""
        if r < 0.18 or not self.orgs:
            return self.hit(client, "inicio", "/")
        if r < 0.30:
            return self.hit(client, "tablero", "/evidencia/")
        if r < 0.35:
            return self.hit(client, "tablero cocinas", "/evidencia/cocinas/")
        if r < 0.40 and self.overviews:
            return self.hit(client, "resumen cocinas", f"/cocina/resumen/{self.rng.choice(self.overviews)}/")
        if r < 0.47 and self.kitchens:
            return self.hit(client, "cocina", f"/cocina/{self.rng.choice(self.kitchens)}/")
        if r < 0.57:
            return self.hit(client, "árbol", "/organizaciones/")
        if r < 0.75:
            return self.hit(client, "organización", f"/organizaciones/{self.rng.choice(self.orgs)}/")
        if r < 0.80:
            return self.hit(client, "buscar org.", "/organizaciones/?q=" + self.rng.choice(["comedor", "olla", "club"]))
        if r < 0.90 and self.people:
            return self.hit(client, "persona", f"/personas/{self.rng.choice(self.people)}/")
        return self.hit(client, "buscar persona", "/personas/?q=" + quote(self.rng.choice(SURNAMES).lower()))

    def register_member(self, client: Client) -> None:
        org = self.rng.choice(self.orgs)
        path = f"/organizaciones/{org}/socias/nueva/"
        self.writes += 1
        name = {"given_names": f"Carga {self.n}-{self.writes}", "paternal_surname": self.rng.choice(SURNAMES)}
        start = time.perf_counter()
        try:
            page, response = client.submit(path, name)
        except OSError as exc:
            self.stats.add("registrar socia", (time.perf_counter() - start) * 1000, False, type(exc).__name__)
            client.close()
            return
        if page.status in (403, 404):
            # Not every organisation she sees is one she may edit (a federation above her).
            self.stats.add("formulario", page.ms, True)
            self.orgs.remove(org)
            return
        self.stats.add("formulario", page.ms, page.status == 200, str(page.status))
        if page is not response:
            self.stats.add("registrar socia", response.ms, response.status == 302, str(response.status))


def walk(people: list[Person], deadline: float) -> None:
    """Every simulated person on her way, and back (a minute's grace after the deadline for the
    last request); `bench/scale.py` runs its loads with it too."""
    for person in people:
        person.start()
    for person in people:
        person.join(timeout=max(1.0, deadline + 60 - time.monotonic()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--workers", type=int, default=max(2, 2 * (os.cpu_count() or 1)))
    parser.add_argument("--scale", default="province", choices=["small", "province", "national", "national-full"])
    parser.add_argument("--engine", default="postgres", choices=["postgres", "sqlite"])
    # A leader on a phone reads the page and types before the next click (see Person.run).
    parser.add_argument("--think", type=float, default=10.0,
                        help="mean of the pause between clicks before its cut at 10 s, seconds")
    parser.add_argument("--write-share", type=float, default=0.05, help="share of clicks that register a socia")
    parser.add_argument("--login-share", type=float, default=0.2,
                        help="share of people who log in with their password during the run")
    parser.add_argument("--quick", action="store_true", help="20 people, 20 s, small demo")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    args = parser.parse_args()
    exit_on_sigterm()
    if args.quick:
        args.users, args.seconds, args.scale = min(args.users, 20), min(args.seconds, 20), "small"
        args.think = min(args.think, 2.0)  # enough clicks in 20 s to see every page
    args.users = max(1, min(args.users, 1000))
    args.seconds = max(5, min(args.seconds, 3600))

    workdir = Path(tempfile.mkdtemp(prefix="ayni-bench-load-"))
    install = Install(engine=args.engine, name="ayni_bench_load", workdir=workdir)
    install.prepare(scale=args.scale, password=PASSWORD)
    install.env.update(profile_env(workdir))  # each request's CPU, queries and template, by view
    server = Gunicorn(install, workers=args.workers)
    server.start()
    log(f"gunicorn {args.workers} workers en {server.base}; {args.users} personas durante {args.seconds} s")

    # Sessions last AYNI_SESSION_SECONDS (14 days): most people of a day come back still logged
    # in, so only `--login-share` of them type their password during the run; the others reuse
    # a session of their account opened before the clock starts.
    sessions = {}
    for username, _w in PEOPLE:
        opener = Client(server.base, timeout=120)
        if not opener.login(username, PASSWORD):
            raise SystemExit(f"no se pudo ingresar como {username}")
        sessions[username] = dict(opener.cookies)
        opener.close()

    stats = Stats()
    profile = ViewProfile.of(install.env)
    profile.mark()  # the sessions opened above are not the run's
    database_cpu = PostgresBackendsCpu(install.admin_url, install.name) if args.engine == "postgres" else None
    if database_cpu:
        database_cpu.sample()
    server_cpu = server_cpu_s(server)
    rss_max: dict[int, float] = {}
    stop = threading.Event()

    def sample_memory():
        while not stop.wait(1.0):
            for pid, mb in server.rss_mb().items():
                rss_max[pid] = max(rss_max.get(pid, 0.0), mb)
            if database_cpu:
                database_cpu.sample()

    sampler = threading.Thread(target=sample_memory, daemon=True)
    sampler.start()
    weights = [w for _u, w in PEOPLE]
    rng = random.Random(7)
    # People arrive over the first minute, not all in one second: a login costs a good part of a second of CPU
    # and 100 MB (argon2), and a whole federation does not press "Ingresar" at once.
    ramp = min(60.0, args.seconds / 5)
    t0 = time.monotonic()
    deadline = t0 + args.seconds
    people = []
    for i in range(args.users):
        username = rng.choices([u for u, _w in PEOPLE], weights)[0]
        session = sessions[username] if rng.random() >= args.login_share else None
        people.append(Person(i, server.base, username, stats, t0 + ramp * i / args.users, deadline, args.think,
                             args.write_share, seed=i, session=session))
    try:
        walk(people, deadline)
        elapsed = time.monotonic() - t0
    finally:
        stop.set()
        sampler.join()
        for pid, mb in server.rss_mb().items():
            rss_max[pid] = max(rss_max.get(pid, 0.0), mb)
        server_cpu = server_cpu_s(server) - server_cpu  # before stopping: the workers' CPU goes with them
        if database_cpu:
            database_cpu.sample()
        server.stop()
        if not args.keep:
            install.drop()

    all_ms = stats.all_latencies()
    errors = sum(stats.errors.values())
    print(f"\n{'página':<18}{'pedidos':>9}{'p50 ms':>9}{'p95 ms':>9}{'máx ms':>9}")
    for kind, values in sorted(stats.latency.items(), key=lambda kv: -len(kv[1])):
        print(f"{kind:<18}{len(values):>9}{percentile(values, 50):>9.0f}{percentile(values, 95):>9.0f}"
              f"{max(values):>9.0f}")
    print(f"{'total':<18}{len(all_ms):>9}{percentile(all_ms, 50):>9.0f}{percentile(all_ms, 95):>9.0f}"
          f"{max(all_ms or [0]):>9.0f}")
    # The machine's load tells whether the figures are the server's or a busy neighbour's.
    print(f"\nmotor {args.engine}, demo {args.scale}, {args.workers} workers, ingresan {args.login_share:.0%}, "
          f"pausa media {args.think:.0f} s, {len(all_ms) / elapsed:.1f} pedidos/s, "
          f"{os.cpu_count()} núcleos, carga del sistema {os.getloadavg()[0]:.1f}")
    print("RSS máx. por worker (MB): " + ", ".join(f"{mb:.0f}" for mb in sorted(rss_max.values())))
    for why, n in stats.errors.most_common(10):
        print(f"error: {why} × {n}")
    # Where the server's CPU went: gunicorn's processes by /proc, each view by the middleware.
    served = len(profile.read())
    login_cpu, other_cpu = profile.cpu_ms_per_request(login=True), profile.cpu_ms_per_request()
    db_cpu = database_cpu.seconds() if database_cpu else None
    print(f"\nCPU del servidor: gunicorn {server_cpu:.1f} s para {served} pedidos = "
          f"{server_cpu * 1000 / max(served, 1):.1f} ms por pedido"
          + (f"; PostgreSQL {db_cpu:.1f} s = {db_cpu * 1000 / max(served, 1):.1f} ms por pedido" if db_cpu else ""))
    print(f"CPU por pedido en la vista (proceso del worker): mediana {percentile(other_cpu, 50):.1f} ms, "
          f"p95 {percentile(other_cpu, 95):.1f} ms; ingreso con contraseña (argon2, aparte): "
          f"mediana {percentile(login_cpu, 50):.1f} ms en {len(login_cpu)} ingresos")
    print(profile.table())
    result = {
        "users": args.users, "seconds": round(elapsed, 1), "requests": stats.requests, "errors": errors,
        "p50_ms": round(percentile(all_ms, 50), 1), "p95_ms": round(percentile(all_ms, 95), 1),
        "rss_mb_max": round(max(rss_max.values() or [0.0]), 1),
        # Two pages with budgets of their own (issue 12): people search, and the evidence dashboard.
        "search_p95_ms": round(percentile(stats.latency.get("buscar persona", []), 95), 1),
        "dashboard_p95_ms": round(percentile(stats.latency.get("tablero", []), 95), 1),
        "server_cpu_ms_per_request": round(server_cpu * 1000 / max(served, 1), 2),
        "db_cpu_ms_per_request": round(db_cpu * 1000 / max(served, 1), 2) if db_cpu is not None else None,
        "view_cpu_ms_p50": round(percentile(other_cpu, 50), 2), "view_cpu_ms_p95": round(percentile(other_cpu, 95), 2),
        "login_cpu_ms_p50": round(percentile(login_cpu, 50), 1),
        "cpu_by_view": profile.summary(),
    }
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
