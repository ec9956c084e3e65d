"""The savings groups' indicators in the sector's shape — the SAVIX set (the Savings Groups
Information Exchange) — per group and rolled up through the tree, for the open cycles: a
handful of grouped queries over the ledger, whatever the size of the subtree.

The CSV's column names are SAVIX's own (English), so that a file can be compared with the
sector's reports; the page shows them in Spanish."""

import datetime
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum
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

    entries = Entry.objects.filter(cycle__in=cycles)
    money = grouped(entries, key, **{k: Sum("amount", filter=Q(kind=k)) for k in (
        EntryKind.SHARES, EntryKind.WITHDRAWAL, EntryKind.INTEREST, EntryKind.FINE, EntryKind.LOAN,
        EntryKind.REPAYMENT)})
    group_field = "group_id" if by_group else None
    members = grouped(GroupMember.objects.filter(group__cycles__in=cycles), group_field,
                      members=Count("pk", filter=Q(left_on__isnull=True), distinct=True),
                      women=Count("pk", filter=Q(left_on__isnull=True, person__sex="F"), distinct=True),
                      left=Count("pk", filter=Q(left_on__isnull=False), distinct=True))
    attendance = grouped(Attendance.objects.filter(meeting__cycle__in=cycles),
                         "meeting__cycle__group_id" if by_group else None,
                         present=Count("pk", filter=Q(present=True)), marked=Count("pk"))
    # Portfolio at risk: each loan's scheduled principal by today against what was repaid.
    at_risk, loans_count = defaultdict(int), defaultdict(int)
    repaid = {lid: (d or 0, r or 0) for lid, d, r in Entry.objects.filter(
        cycle__in=cycles, kind__in=[EntryKind.LOAN, EntryKind.REPAYMENT]).values("loan_id").annotate(
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


def csv_rows(scope: Scope, under: str, names: dict[int, str]):
    for group_id, row in sorted(indicators(scope, under=under, by_group=True).items(),
                                key=lambda kv: names.get(kv[0], "")):
        yield [names.get(group_id, ""), *(Decimal(row[k]) / 100 if k in MONEY else row[k] for k, _n, _l in COLUMNS)]
