"""Savings groups at scale: generation, the share-out of every group, the national SAVIX
indicators and the family-farming share of every municipality.

A scratch SQLite database (or PostgreSQL with --database-url) gets G groups × 25 members × a
12-month cycle of weekly meetings: one share purchase per member per meeting, five loans per
group with repayments (one of them left in arrears), written in bulk as the ledger's rows. Then
every group's share-out is done through the service, 500 groups per call
(`economy.services.share_out_many`: the ledgers read in two queries, the plans, the netting
repayments, the payouts and the audit entries written in bulk) and checked against a recomputation from
the ledger (`economy.integrity.share_out_violations`), to the céntimo. The national indicators
(`economy.indicators.indicators`) and the family-farming share per municipality and programme
(`economy.producers.family_farm_shares`, one purchase set per district of Peru, read from the
purchases' roll-up) are timed, p50 and p95: computed (cache emptied) and served from the cache.

    python bench/savings.py --quick   # 100 groups (130,000 entries)
    python bench/savings.py           # 2,000 groups (2.6 million entries)
    BENCH_DB_PREFIX=ayni_me_ python bench/savings.py --postgres   # in ayni_me_bench_savings

Budget (issue 18): share-out of all groups ≤ 30 s on SQLite, exact; indicators p95 ≤ 200 ms on
SQLite and PostgreSQL; the 30 % indicator p95 ≤ 200 ms. Last line: `RESULT {json}`.
"""

import argparse
import datetime
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--groups", type=int)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--postgres", action="store_true",
                        help="a fresh PostgreSQL database on 127.0.0.1, named after BENCH_DB_PREFIX")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--batch", type=int, default=500, help="cycles shared out per transaction")
    args = parser.parse_args()
    groups = args.groups or (100 if args.quick else 2000)
    scratch = tempfile.mkdtemp(prefix="ayni-savings-")
    if args.postgres:  # dropped and created again: every run starts from the same empty database
        import psycopg

        name = os.environ.get("BENCH_DB_PREFIX", "ayni_") + "bench_savings"
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{name}"')
            pg.execute(f'CREATE DATABASE "{name}"')
        args.database_url = f"postgres://postgres@127.0.0.1:5432/{name}"
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{scratch}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ayni.settings")
    os.environ.setdefault("AYNI_TESTING", "1")
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from ayni.accounts.scope import Scope
    from ayni.economy import indicators, integrity, producers, services
    from ayni.economy.models import Cycle, Entry, EntryKind, GroupMember, Loan, Meeting, Purchase, SavingsGroup
    from ayni.geo.models import District
    from ayni.orgs.models import OrgKind
    from ayni.orgs.services import create_organisation
    from ayni.people.models import Person

    rng = random.Random(18)
    system = Scope.system("banco de pruebas de banquitos")
    today = timezone.localdate()
    start = today - datetime.timedelta(days=7 * 52 + 10)
    district = District.objects.get(code="150142")
    # The ledger's rows are written straight to the table (COPY on PostgreSQL, one executemany per
    # group on SQLite): 2.6 million model instances through bulk_create would take most of the run
    # in Django's per-field compilation, and what is measured here is the share-out, not the load.
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    adapt_date = connection.ops.adapt_datefield_value
    columns = ("group_id", "cycle_id", "meeting_id", "member_id", "loan_id", "kind", "amount", "shares", "on",
               "note", "channel", "client_id", "created_at")

    def entry(group_id, cycle_id, meeting_id, member_id, loan_id, kind, amount, shares, on):
        return (group_id, cycle_id, meeting_id, member_id, loan_id, str(kind), amount, shares, on, "", "system", "",
                now)

    def insert_entries(rows):
        table = connection.ops.quote_name(Entry._meta.db_table)
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                # Names from the model, values as parameters: nothing from outside goes into the text.
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608

    print(f"{connection.vendor}: {groups} groups × 25 members × 52 weekly meetings", flush=True)

    t0 = time.monotonic()
    with transaction.atomic():
        fed = create_organisation(scope=system, kind=OrgKind.objects.get(code="confederacion"), parent=None,
                                  name="Confederación del banco de pruebas", district=district)
        for level in ("federacion-provincial", "federacion-distrital"):
            fed = create_organisation(scope=system, kind=OrgKind.objects.get(code=level), parent=fed,
                                      name=f"Federación {level}", district=district)
        kind = OrgKind.objects.get(code="comedor-popular")
        entries_total = 0
        for g in range(groups):
            org = create_organisation(scope=system, kind=kind, parent=fed, name=f"Comedor {g:05}", district=district)
            group = SavingsGroup.objects.create(organisation=org, name=f"Banquito {g:05}")
            cycle = Cycle.objects.create(group=group, number=1, starts_on=start, ends_on=today, share_value=1000,
                                         shares_max=3, interest_rate=5)
            people = Person.objects.bulk_create([Person(given_names=f"Socia {i}", paternal_surname=f"G{g}",
                                                        search_name=f"socia {i} g{g}") for i in range(25)])
            members = GroupMember.objects.bulk_create([GroupMember(group=group, person=p, joined_on=start)
                                                       for p in people])
            meetings = Meeting.objects.bulk_create([Meeting(cycle=cycle, on=start + datetime.timedelta(days=7 * w))
                                                    for w in range(52)])
            rows = []
            for meeting in meetings:
                day = adapt_date(meeting.on)
                for m in members:
                    n = rng.randint(1, 3)
                    rows.append(entry(group.pk, cycle.pk, meeting.pk, m.pk, None, EntryKind.SHARES, n * 1000, n, day))
            for k, m in enumerate(members[:5]):
                on = meetings[8].on
                loan = Loan.objects.create(cycle=cycle, member=m, disbursed_on=on, principal=20000, term_months=2,
                                           interest_rate=5, interest_method="flat")
                rows.append(entry(group.pk, cycle.pk, meetings[8].pk, m.pk, loan.pk, EntryKind.LOAN, 20000, 0,
                                  adapt_date(on)))
                if k:  # the first one never repays: in arrears at the share-out
                    for w, (interest, principal) in ((13, (2000, 10000)), (17, (0, 10000))):
                        day = adapt_date(meetings[w].on)
                        if interest:
                            rows.append(entry(group.pk, cycle.pk, meetings[w].pk, m.pk, loan.pk, EntryKind.INTEREST,
                                              interest, 0, day))
                        rows.append(entry(group.pk, cycle.pk, meetings[w].pk, m.pk, loan.pk, EntryKind.REPAYMENT,
                                          principal, 0, day))
            insert_entries(rows)
            entries_total += len(rows)
    generation_s = time.monotonic() - t0

    def analyze():  # autovacuum is off on the bench's PostgreSQL: the planner needs fresh statistics
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

    analyze()
    print(f"generation: {entries_total:,} entries in {generation_s:.1f} s", flush=True)

    # The share-out of every group, a federation's batch at a time (`services.share_out_many`:
    # the ledgers read in one query, the entries and the audit written in bulk).
    t0, c0 = time.monotonic(), time.process_time()
    cycles = list(Cycle.objects.select_related("group__organisation").order_by("pk"))
    for i in range(0, len(cycles), args.batch):
        services.share_out_many(scope=system, cycles=cycles[i:i + args.batch], on=today)
    share_out_s, share_out_cpu_s = time.monotonic() - t0, time.process_time() - c0
    t0 = time.monotonic()
    problems = integrity.share_out_violations() + integrity.conservation_violations()
    recompute_s = time.monotonic() - t0
    print(f"share-out CPU {share_out_cpu_s:.1f} s ({share_out_cpu_s * 1000 / groups:.2f} ms per group)", flush=True)
    print(f"share-out of {groups} groups: {share_out_s:.1f} s (goal ≤ 30 s on SQLite); recomputation from the "
          f"ledger {recompute_s:.1f} s: {'equal to the céntimo' if not problems else problems[:3]}", flush=True)

    # The indicators read open cycles: open a second cycle with a month of meetings per group.
    Cycle.objects.update(status="closed")  # (already closed by the share-out)
    with transaction.atomic():
        second_start = today - datetime.timedelta(days=30)
        cycles = Cycle.objects.bulk_create([Cycle(group_id=g, number=2, starts_on=second_start, ends_on=today
                                                  + datetime.timedelta(days=300)) for g in
                                            SavingsGroup.objects.values_list("pk", flat=True)])
        rows = []
        members_of = {}
        for gid, mid in GroupMember.objects.values_list("group_id", "pk"):
            members_of.setdefault(gid, []).append(mid)
        day = adapt_date(second_start)
        for cycle in cycles:
            for mid in members_of[cycle.group_id]:
                rows.append(entry(cycle.group_id, cycle.pk, None, mid, None, EntryKind.SHARES, 2000, 2, day))
        insert_entries(rows)
    analyze()
    timings, cpu = [], []
    for _ in range(args.requests):
        t0, c0 = time.monotonic(), time.process_time()
        national = indicators.indicators(system)
        timings.append((time.monotonic() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    ind_cpu_p95 = percentile(cpu, 95)
    assert national["groups"] == groups and national["savings"] == 2000 * 25 * groups, national
    ind_p50, ind_p95 = statistics.median(timings), percentile(timings, 95)
    print(f"national SAVIX indicators: p50 {ind_p50:.0f} ms, p95 {ind_p95:.0f} ms (goal ≤ 200 ms)", flush=True)

    # The family-farming share: a year of purchases in every district of Peru.
    year = today.year
    districts = list(District.objects.values_list("pk", flat=True))
    with transaction.atomic():
        Purchase.objects.bulk_create([
            Purchase(buyer=fed, programme=rng.choice(["kitchen", "pca"]), municipality_id=d,
                     on=datetime.date(year, 1, 1) + datetime.timedelta(days=rng.randint(0, 300)),
                     amount=rng.randint(1000, 100000),
                     family_farm=rng.random() < 0.25) for d in districts for _ in range(5)], batch_size=5000)
        # Loaded around the services: the roll-up the share is read from is written again from them.
        cells = producers.rebuild_rollup()
    analyze()
    rollup_ok = not producers.rollup_violations()
    print(f"purchases' roll-up: {cells:,} rows, {'equal' if rollup_ok else 'NOT equal'} to a recomputation",
          flush=True)
    # Computed: the cache emptied before each call, so every one reads the roll-up (what the
    # first reader after a purchase pays). Served: the list kept under the cells' revision.
    timings, cpu, served, served_cpu = [], [], [], []
    for _ in range(args.requests):
        cache.clear()
        t0, c0 = time.monotonic(), time.process_time()
        shares = producers.family_farm_shares(system, year)
        timings.append((time.monotonic() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    for _ in range(args.requests):
        t0, c0 = time.monotonic(), time.process_time()
        assert producers.family_farm_shares(system, year) == shares
        served.append((time.monotonic() - t0) * 1000)
        served_cpu.append((time.process_time() - c0) * 1000)
    ff_p50, ff_p95, ff_cpu_p95 = statistics.median(timings), percentile(timings, 95), percentile(cpu, 95)
    ff_cpu_p50 = statistics.median(cpu)
    print(f"family-farming share CPU p50 {ff_cpu_p50:.0f} ms, p95 {ff_cpu_p95:.0f} ms", flush=True)
    print(f"family-farming share, {len({s.municipality_code for s in shares})} municipalities, {len(shares)} rows: "
          f"p50 {ff_p50:.0f} ms, p95 {ff_p95:.0f} ms (goal ≤ 200 ms); from the cache p95 "
          f"{percentile(served, 95):.1f} ms (CPU {percentile(served_cpu, 95):.1f} ms)", flush=True)
    print("RESULT " + json.dumps({
        "engine": connection.vendor, "groups": groups, "entries": entries_total,
        "generation_s": round(generation_s, 1), "share_out_s": round(share_out_s, 1),
        "share_out_cpu_s": round(share_out_cpu_s, 2), "share_out_cpu_ms_per_group": round(
            share_out_cpu_s * 1000 / groups, 2),
        "recompute_s": round(recompute_s, 1), "share_out_exact": not problems,
        "indicators_p50_ms": round(ind_p50, 1), "indicators_p95_ms": round(ind_p95, 1),
        "indicators_cpu_p95_ms": round(ind_cpu_p95, 1),
        "family_farm_p50_ms": round(ff_p50, 1), "family_farm_p95_ms": round(ff_p95, 1),
        "family_farm_cpu_p50_ms": round(ff_cpu_p50, 1), "family_farm_cpu_p95_ms": round(ff_cpu_p95, 1),
        "family_farm_cached_p95_ms": round(percentile(served, 95), 1),
        "family_farm_cached_cpu_p95_ms": round(percentile(served_cpu, 95), 1),
        "family_farm_rollup_rows": cells, "family_farm_rollup_exact": rollup_ok,
        "family_farm_p95_ratio_to_goal": round(ff_p95 / 200, 2),
        "indicators_p95_ratio_to_goal": round(ind_p95 / 200, 2),
        "share_out_ratio_to_goal": round(share_out_s / 30, 2), "loadavg_1m": round(os.getloadavg()[0], 1)}))


if __name__ == "__main__":
    main()
