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
(`economy.producers.family_farm_shares`, one purchase set per district of Peru) are timed, p50
and p95.

    python bench/savings.py --quick   # 100 groups (130,000 entries)
    python bench/savings.py           # 2,000 groups (2.6 million entries)

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
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--batch", type=int, default=500, help="cycles shared out per transaction")
    args = parser.parse_args()
    groups = args.groups or (100 if args.quick else 2000)
    scratch = tempfile.mkdtemp(prefix="ayni-savings-")
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{scratch}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ayni.settings")
    os.environ.setdefault("AYNI_TESTING", "1")
    import django

    django.setup()
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
                for m in members:
                    n = rng.randint(1, 3)
                    rows.append(Entry(group=group, cycle=cycle, meeting=meeting, member=m, kind=EntryKind.SHARES,
                                      amount=n * 1000, shares=n, on=meeting.on, channel="system"))
            for k, m in enumerate(members[:5]):
                on = meetings[8].on
                loan = Loan.objects.create(cycle=cycle, member=m, disbursed_on=on, principal=20000, term_months=2,
                                           interest_rate=5, interest_method="flat")
                rows.append(Entry(group=group, cycle=cycle, meeting=meetings[8], member=m, loan=loan,
                                  kind=EntryKind.LOAN, amount=20000, on=on, channel="system"))
                if k:  # the first one never repays: in arrears at the share-out
                    for w, (interest, principal) in ((13, (2000, 10000)), (17, (0, 10000))):
                        rows.append(Entry(group=group, cycle=cycle, meeting=meetings[w], member=m, loan=loan,
                                          kind=EntryKind.INTEREST, amount=interest, on=meetings[w].on,
                                          channel="system") if interest else None)
                        rows.append(Entry(group=group, cycle=cycle, meeting=meetings[w], member=m, loan=loan,
                                          kind=EntryKind.REPAYMENT, amount=principal, on=meetings[w].on,
                                          channel="system"))
            rows = [r for r in rows if r is not None]
            Entry.objects.bulk_create(rows, batch_size=5000)
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
        for cycle in cycles:
            for mid in members_of[cycle.group_id]:
                rows.append(Entry(group_id=cycle.group_id, cycle=cycle, member_id=mid, kind=EntryKind.SHARES,
                                  amount=2000, shares=2, on=second_start, channel="system"))
        Entry.objects.bulk_create(rows, batch_size=5000)
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
    analyze()
    timings, cpu = [], []
    for _ in range(args.requests):
        t0, c0 = time.monotonic(), time.process_time()
        shares = producers.family_farm_shares(system, year)
        timings.append((time.monotonic() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    ff_p50, ff_p95, ff_cpu_p95 = statistics.median(timings), percentile(timings, 95), percentile(cpu, 95)
    ff_cpu_p50 = statistics.median(cpu)
    print(f"family-farming share CPU p50 {ff_cpu_p50:.0f} ms, p95 {ff_cpu_p95:.0f} ms", flush=True)
    print(f"family-farming share, {len({s.municipality_code for s in shares})} municipalities: p50 {ff_p50:.0f} ms, "
          f"p95 {ff_p95:.0f} ms (goal ≤ 200 ms)", flush=True)
    print("RESULT " + json.dumps({
        "engine": connection.vendor, "groups": groups, "entries": entries_total,
        "generation_s": round(generation_s, 1), "share_out_s": round(share_out_s, 1),
        "share_out_cpu_s": round(share_out_cpu_s, 2), "share_out_cpu_ms_per_group": round(
            share_out_cpu_s * 1000 / groups, 2),
        "recompute_s": round(recompute_s, 1), "share_out_exact": not problems,
        "indicators_p50_ms": round(ind_p50, 1), "indicators_p95_ms": round(ind_p95, 1),
        "indicators_cpu_p95_ms": round(ind_cpu_p95, 1),
        "family_farm_p50_ms": round(ff_p50, 1), "family_farm_p95_ms": round(ff_p95, 1),
        "family_farm_cpu_p50_ms": round(ff_cpu_p50, 1), "family_farm_cpu_p95_ms": round(ff_cpu_p95, 1)}))


if __name__ == "__main__":
    main()
