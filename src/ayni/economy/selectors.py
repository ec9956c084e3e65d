"""Scoped reads of the economy domain. Names of members are read under VIEW_PERSONAL only; under
VIEW a group shows its figures."""

import datetime

from django.db.models import QuerySet
from django.http import Http404

from ayni.accounts.scope import Can, Scope
from ayni.economy import ledger, services
from ayni.economy.models import Cycle, Entry, SavingsGroup
from ayni.orgs.models import Organisation


def visible_groups(scope: Scope) -> QuerySet[SavingsGroup]:
    return SavingsGroup.objects.filter(scope.q(Can.VIEW, prefix="organisation__")).select_related("organisation")


def groups_of(scope: Scope, organisation: Organisation) -> QuerySet[SavingsGroup]:
    return visible_groups(scope).filter(organisation=organisation).order_by("name", "pk")


def get_group(scope: Scope, organisation: Organisation, pk) -> SavingsGroup:
    """One group of the organisation, found only in the caller's sight (404 otherwise)."""
    try:
        return groups_of(scope, organisation).get(pk=pk)
    except (SavingsGroup.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_entry(scope: Scope, group: SavingsGroup, pk) -> Entry:
    try:
        return Entry.objects.filter(scope.q(Can.VIEW, prefix="group__organisation__")).select_related(
            "cycle", "member__person", "group__organisation", "meeting").get(group=group, pk=pk)
    except (Entry.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def current_cycle(group: SavingsGroup) -> Cycle | None:
    return group.cycles.order_by("-number").first()


def member_table(cycle: Cycle, on: datetime.date) -> list[dict]:
    """Per member: shares, savings, loan outstanding, interest due, arrears, days late (the caller
    has checked VIEW_PERSONAL: names are on it)."""
    rows = services.rows_of(cycle)
    books = ledger.books(rows)
    states = services.loan_states(cycle, on, rows=rows)
    out = []
    for member in cycle.group.members.select_related("person").order_by("person__paternal_surname",
                                                                          "person__given_names", "pk"):
        mine = books.members.get(member.pk, ledger.MemberBook())
        loans = [s for s in states if s.terms.member == member.pk]
        out.append({"member": member, "book": mine, "outstanding": sum(s.outstanding for s in loans),
                    "interest_due": sum(s.interest_due for s in loans), "owed": sum(s.owed for s in loans),
                    "arrears": sum(s.arrears for s in loans), "days_late": max([s.days_late for s in loans] or [0])})
    return out


def group_figures(cycle: Cycle, on: datetime.date) -> dict:
    rows = services.rows_of(cycle)
    books = ledger.books(rows)
    at_risk, total = ledger.portfolio_at_risk(services.loan_states(cycle, on, rows=rows))
    last_count = cycle.meetings.filter(box_counted__isnull=False).order_by("-on").first()
    return {"books": books, "box": books.box, "social_fund": books.social_fund,
            "loan_fund": books.box - books.social_fund, "loans_outstanding": books.loans_outstanding,
            "at_risk": at_risk, "par": (at_risk * 100 / total) if total else 0, "last_count": last_count}


def recent_entries(cycle: Cycle, limit: int = 30):
    return (Entry.objects.filter(cycle=cycle).select_related("member__person", "reverses")
            .order_by("-pk")[:limit])
