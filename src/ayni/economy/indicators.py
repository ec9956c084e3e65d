"""The savings groups' indicators in the sector's shape — the SAVIX set (the Savings Groups
Information Exchange) — per group and rolled up through the tree, for the open cycles: a
handful of grouped queries over the ledger, whatever the size of the subtree.

The CSV's column names are SAVIX's own (English), so that a file can be compared with the
sector's reports; the page shows them in Spanish."""

import datetime
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ayni.accounts.scope import Can, Scope
from ayni.economy import ledger
from ayni.economy.models import Attendance, Cycle, Entry, EntryKind, GroupMember, Loan

# (key, SAVIX name, Spanish label)
COLUMNS = [
    ("groups", "Number of groups", _("Banquitos")),
    ("members", "Number of members", _("Socias")),
    ("women", "Number of women members", _("Socias mujeres")),
    ("attendance", "Attendance rate (%)", _("Asistencia (%)")),
    ("savings", "Value of savings this cycle", _("Ahorro del ciclo (S/)")),
    ("loans_outstanding", "Value of loans outstanding", _("Préstamos por cobrar (S/)")),
    ("loans_count", "Number of loans outstanding", _("Préstamos vigentes")),
    ("par", "Portfolio at risk (%)", _("Cartera en riesgo (%)")),
    ("return_on_savings", "Return on savings (%)", _("Rendimiento del ahorro (%)")),
    ("dropouts", "Drop-out rate (%)", _("Socias que se retiraron (%)")),
]
MONEY = {"savings", "loans_outstanding"}


def _pct(part, whole) -> Decimal:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), ROUND_HALF_UP) if whole else Decimal(0)


def indicators(scope: Scope, *, under: str = "", by_group: bool = False, on: datetime.date | None = None):
    """The SAVIX figures of the open cycles of the groups in the caller's sight under the path
    `under` ("" for all): one dict, or one per group (`by_group`)."""
    if connection.vendor != "postgresql":
        return _indicators(scope, under=under, by_group=by_group, on=on)
    with transaction.atomic(), connection.cursor() as cursor:
        # The planner expects ~1,100 entries per cycle (the closed cycles' year of meetings), and
        # above that cost PostgreSQL compiles each query (JIT): 1.0 s of compiling for a 0.1 s
        # probe of 2,000 open cycles, 0.2 s for the members' count. Off for this transaction only
        # (inside a request's transaction it lasts to that one's end: harmless, the same trade).
        cursor.execute("SET LOCAL jit = off")
        return _indicators(scope, under=under, by_group=by_group, on=on)


def _indicators(scope: Scope, *, under: str, by_group: bool, on: datetime.date | None):
    on = on or timezone.localdate()
    cycles = Cycle.objects.filter(scope.q(Can.VIEW, prefix="group__organisation__"), status=Cycle.Status.OPEN,
                                  group__organisation__path__startswith=under)
    key = "cycle__group_id" if by_group else None

    def grouped(qs, field, **aggs):
        out = defaultdict(lambda: defaultdict(int))
        rows = qs.values(field).annotate(**aggs) if by_group else [qs.aggregate(**aggs)]
        for row in rows:
            out[row.get(field) if by_group else None].update({k: row[k] or 0 for k in aggs})
        return out

    kinds = (EntryKind.SHARES, EntryKind.WITHDRAWAL, EntryKind.INTEREST, EntryKind.FINE, EntryKind.LOAN,
             EntryKind.REPAYMENT)
    if connection.vendor == "postgresql":
        money = _money_per_cycle(cycles, kinds, by_group)
    else:  # SQLite walks the (cycle, member, kind) index from the open cycles by itself
        money = grouped(Entry.objects.filter(cycle__in=cycles), key,
                        **{k: Sum("amount", filter=Q(kind=k)) for k in kinds})
    group_field = "group_id" if by_group else None
    # Through the open cycles' groups, not a join to the cycles: no member counted twice, no DISTINCT.
    members = grouped(GroupMember.objects.filter(group_id__in=cycles.values("group_id")), group_field,
                      members=Count("pk", filter=Q(left_on__isnull=True)),
                      women=Count("pk", filter=Q(left_on__isnull=True, person__sex="F")),
                      left=Count("pk", filter=Q(left_on__isnull=False)))
    attendance = grouped(Attendance.objects.filter(meeting__cycle__in=cycles),
                         "meeting__cycle__group_id" if by_group else None,
                         present=Count("pk", filter=Q(present=True)), marked=Count("pk"))
    # Portfolio at risk: each loan's scheduled principal by today against what was repaid.
    at_risk, loans_count = defaultdict(int), defaultdict(int)
    # By the loans of the open cycles (the loan index), not by their cycles: see _money_per_cycle.
    repaid = {lid: (d or 0, r or 0) for lid, d, r in Entry.objects.filter(
        loan__in=Loan.objects.filter(cycle__in=cycles).values("pk"),
        kind__in=[EntryKind.LOAN, EntryKind.REPAYMENT]).values("loan_id").annotate(
        d=Sum("amount", filter=Q(kind=EntryKind.LOAN)), r=Sum("amount", filter=Q(kind=EntryKind.REPAYMENT))
    ).values_list("loan_id", "d", "r")}
    for pk, group_id, principal, term, disbursed_on in Loan.objects.filter(cycle__in=cycles).values_list(
            "pk", "cycle__group_id", "principal", "term_months", "disbursed_on").iterator(chunk_size=5000):
        d, r = repaid.get(pk, (0, 0))
        if d - r <= 0:
            continue
        k = group_id if by_group else None
        loans_count[k] += 1
        terms = ledger.LoanTerms(pk=pk, member=0, disbursed_on=disbursed_on, principal=principal, term_months=term,
                                 interest_rate=Decimal(0), interest_method="flat")
        if ledger.scheduled_principal(terms, max(0, (on - disbursed_on).days) // ledger.MONTH_DAYS) > r:
            at_risk[k] += d - r
    keys = set(money) | set(members) if by_group else {None}
    out = {}
    for k in keys:
        m, p, a = money[k], members[k], attendance[k]
        savings = m[EntryKind.SHARES] - m[EntryKind.WITHDRAWAL]
        outstanding = m[EntryKind.LOAN] - m[EntryKind.REPAYMENT]
        everyone = p["members"] + p["left"]
        out[k] = {"groups": 1 if by_group else cycles.count(), "members": p["members"], "women": p["women"],
                  "attendance": _pct(a["present"], a["marked"]), "savings": savings,
                  "loans_outstanding": outstanding, "loans_count": loans_count[k],
                  "par": _pct(at_risk[k], outstanding), "return_on_savings": _pct(
                      m[EntryKind.INTEREST] + m[EntryKind.FINE], savings), "dropouts": _pct(p["left"], everyone)}
    return out if by_group else out[None]


def _money_per_cycle(cycles, kinds, by_group: bool):
    """The sums of each kind of entry in the open cycles, on PostgreSQL: one index probe per
    cycle (LATERAL). Closed cycles hold a year of meetings each and an open one a few weeks, so
    the planner, which knows only the average entries per cycle, expects half the ledger and
    reads all of it (2.6 million rows, 0.7-1.6 s for the national figures); per cycle, it reads
    only the open cycles' own entries (about 40 µs a cycle)."""
    cycle_sql, params = cycles.order_by().annotate(cid=F("pk"), gid=F("group_id")).values("cid", "gid").query \
        .sql_with_params()
    inner = ", ".join(f"SUM(e.amount) FILTER (WHERE e.kind = %s) AS k{i}" for i in range(len(kinds)))
    outer = ", ".join(f"SUM(x.k{i})" for i in range(len(kinds)))
    table = Entry._meta.db_table
    # Table and column names are the models' own; every value is a parameter.
    sql = (f"SELECT {'c.gid' if by_group else 'NULL'}, {outer} FROM ({cycle_sql}) c "  # noqa: S608
           f"CROSS JOIN LATERAL (SELECT {inner} FROM {table} e WHERE e.cycle_id = c.cid) x"
           + (" GROUP BY c.gid" if by_group else ""))
    out = defaultdict(lambda: defaultdict(int))
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *(str(k) for k in kinds)])
        for gid, *values in cursor.fetchall():
            out[gid].update({k: int(v or 0) for k, v in zip(kinds, values, strict=True)})  # numeric -> int
    return out


def csv_rows(scope: Scope, under: str, names: dict[int, str]):
    for group_id, row in sorted(indicators(scope, under=under, by_group=True).items(),
                                key=lambda kv: names.get(kv[0], "")):
        yield [names.get(group_id, ""), *(Decimal(row[k]) / 100 if k in MONEY else row[k] for k, _n, _l in COLUMNS)]
