"""People search: a name or a DNI typed into *Buscar personas*, on the national demo's 800,000 people.

A scratch database gets `ayni demo --scale national-full` (or the scale given), or the benchmark
reads one you already have (`--database-url`, left as it was). We time the search page as a person
gets it (the Django test client: the view, its queries, the template) for the national board, a
provincial coordinator and a kitchen leader, over common surnames, two words, a rare name, a DNI
prefix and a three-letter word, p50 and p95, with the server's CPU per search (this process's,
and on PostgreSQL its backend's). In the same run the same searches' queries are timed as the
page runs them (the trigram index, `ayni.people.search`, and the first 1,000 found, limit first:
`people.selectors.find_people`) and as search was before — the plain `LIKE '%word%'` over every
name, every match counted and sorted for the first page (PostgreSQL: the index dropped inside a
transaction rolled back) — and the ratio is printed.

    python bench/search.py --quick                  # small demo, PostgreSQL: a smoke run
    python bench/search.py                          # national-full demo (about 7 min to generate)
    python bench/search.py --database-url postgres://postgres@127.0.0.1:5432/ayni_full

Budget (issue 12, item 14): search p95 ≤ 150 ms on national-full. The last line is `RESULT {json}`.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.cpu import InProcessCpu  # noqa: E402
from support.server import Install, exit_on_sigterm, log  # noqa: E402

PASSWORD = "bench-clave-2026"  # noqa: S105 - demo accounts of a scratch database
USERS = ["nacional", "coordinadora", "dirigenta"]
QUERIES = ["quispe", "mamani", "huamán", "condori", "flores", "rojas", "ccahuana", "torres", "maría quispe",
           "rosa mamani huamán", "yupanqui", "4567", "qui"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def child(rounds: int) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ayni.settings")
    django.setup()
    from django.core.paginator import Paginator
    from django.db import connection, transaction
    from django.db.models import Q
    from django.test import Client

    from ayni.accounts.models import User
    from ayni.accounts.scope import Scope
    from ayni.people import search, selectors
    from ayni.people.models import Person

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")  # after the demo's bulk load: autovacuum is off on the bench server
    out = {"people": Person.objects.count(), "page_ms": {}, "query_ms": {}, "query_before_ms": {}, "found": {},
           "cpu_ms": {}}
    page_times: list[float] = []
    cpu = InProcessCpu(connection)
    for username in USERS:
        user = User.objects.get(username=username)
        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(user)
        client.get("/personas/", {"q": "quispe"})  # warm: templates, the session
        times, cpu_start = [], cpu.seconds()
        for _r in range(rounds):
            for q in QUERIES:
                t0 = time.perf_counter()
                response = client.get("/personas/", {"q": q})
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (username, q, response.status_code)
        out["cpu_ms"][username] = round((cpu.seconds() - cpu_start) * 1000 / len(times), 1)  # per page, mean
        out["page_ms"][username] = {"p50": round(statistics.median(times), 1), "p95": round(percentile(times, 95), 1)}
        page_times += times

        # The queries the page runs (count and first page), with the index and without it.
        scope = Scope.for_user(user)

        def run(scope=scope):
            """What the page runs now: the first 1,000 found, then the first page among them."""
            found, ms = {}, []
            for q in QUERIES:
                t0 = time.perf_counter()
                page = Paginator(selectors.find_people(scope, q), 50).get_page(1)
                list(page)
                ms.append((time.perf_counter() - t0) * 1000)
                found[q] = page.paginator.count
            return found, ms

        def run_before(scope=scope):
            """Search as it was: every match counted, and sorted for the first page."""
            found, ms = {}, []
            for q in QUERIES:
                t0 = time.perf_counter()
                page = Paginator(selectors.search_people(scope, q).select_related("district"), 50).get_page(1)
                list(page)
                ms.append((time.perf_counter() - t0) * 1000)
                found[q] = page.paginator.count
            return found, ms

        found, with_index = run()
        plain = selectors.names_contain
        selectors.names_contain = lambda words, **_kw: Q(*[Q(search_name__contains=word) for word in words])
        try:
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    with connection.cursor() as cur:
                        cur.execute(f"DROP INDEX {search.POSTGRES_INDEX}")
                before, without = run_before()
                transaction.set_rollback(True)
        finally:
            selectors.names_contain = plain
        # The same people either way, counted up to the limit.
        assert found == {q: min(n, selectors.SEARCH_LIMIT) for q, n in before.items()}, (username, before, found)
        out["query_ms"][username] = round(statistics.median(with_index), 1)
        out["query_before_ms"][username] = round(statistics.median(without), 1)
        out["found"][username] = before
    out["page_p50_ms"] = round(statistics.median(page_times), 1)
    out["page_p95_ms"] = round(percentile(page_times, 95), 1)
    out["vendor"] = connection.vendor
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small demo, 2 rounds")
    parser.add_argument("--scale", default="national-full", choices=["small", "province", "national", "national-full"])
    parser.add_argument("--engine", default="postgres", choices=["postgres", "sqlite"])
    parser.add_argument("--database-url", help="an existing database with a demo (read only)")
    parser.add_argument("--rounds", type=int, default=5, help="times each search is asked per person")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.rounds)))
        return
    exit_on_sigterm()
    if args.quick:
        args.scale, args.rounds = "small", 2
    with tempfile.TemporaryDirectory(prefix="ayni-search-") as tmp:
        install = Install(engine=args.engine, name="ayni_bench_search", workdir=Path(tmp))
        try:
            if args.database_url:
                install.env["DATABASE_URL"] = args.database_url
                install.ayni("collectstatic", "--no-input", "-v", "0")  # the page runs as in production
            else:
                started = time.monotonic()
                install.prepare(scale=args.scale, password=PASSWORD)
                log(f"demo {args.scale} ({args.engine}) en {time.monotonic() - started:.0f} s")
            command = [sys.executable, __file__, "--child", "--rounds", str(args.rounds)]
            result = subprocess.run(command, env=install.env,
                                    capture_output=True, text=True, timeout=3600)
            if result.returncode != 0:
                raise SystemExit(result.stderr[-4000:])
            out = json.loads(result.stdout.strip().splitlines()[-1])
        finally:
            if not args.database_url:
                install.drop()
    print(f"\nBuscar personas: {out['people']:,} personas ({out['vendor']}), {len(QUERIES)} búsquedas × "
          f"{args.rounds} por persona")
    for username in USERS:
        page, q, before = out["page_ms"][username], out["query_ms"][username], out["query_before_ms"][username]
        print(f"  {username:14} página p50 {page['p50']:7.1f} ms  p95 {page['p95']:7.1f} ms  "
              f"CPU {out['cpu_ms'][username]:6.1f} ms | consultas (mediana): "
              f"ahora {q:7.1f} ms, sin índice ni límite (antes) {before:7.1f} ms (×{before / max(q, 0.1):.1f})")
    print(f"  {'todas':14} página p50 {out['page_p50_ms']:7.1f} ms  p95 {out['page_p95_ms']:7.1f} ms  "
          f"(presupuesto p95 ≤ 150 ms); carga del sistema {os.getloadavg()[0]:.1f}")
    print("RESULT " + json.dumps({
        "people": out["people"], "engine": out["vendor"], "search_p50_ms": out["page_p50_ms"],
        "search_p95_ms": out["page_p95_ms"], "query_ms": out["query_ms"], "query_before_ms": out["query_before_ms"],
        "cpu_ms_per_search": out["cpu_ms"],
        "load_avg": round(os.getloadavg()[0], 1),
    }))


if __name__ == "__main__":
    main()
