"""After any sequence of movements, refusals, reversals and a share-out, money is conserved to the
céntimo — what came in = what is in the box + what is on loan + what was paid out — every balance
equals a recomputation, a refused movement leaves nothing behind, and the share-out equals its
recomputation from the ledger."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from hypothesis import given, settings
from hypothesis import strategies as st

from ayni.economy import integrity, ledger, services
from ayni.economy.models import Entry, EntryKind, InterestMethod
from ayni.people.services import register_person
from tests.economy_helpers import SYSTEM, days_ago

pytestmark = pytest.mark.django_db

OPS = ["shares", "social", "fine", "loan", "repay", "withdraw", "reverse"]
STEP = st.tuples(st.sampled_from(OPS), st.integers(0, 2), st.integers(1, 40000), st.integers(0, 25))


def _db_books(cycle):
    """The same figures by the database's own sums, not by `ledger.books`."""
    per = {}
    for row in Entry.objects.filter(cycle=cycle).values("member_id", "kind").annotate(a=Sum("amount"), s=Sum("shares")):
        per[(row["member_id"], row["kind"])] = (row["a"], row["s"])
    return per


@pytest.mark.parametrize("method", [InterestMethod.FLAT, InterestMethod.DECLINING])
def test_money_is_conserved_after_any_sequence(world, method):
    people = [register_person(scope=SYSTEM, organisation=world.kitchen, given_names=f"P{i}", paternal_surname="Q")
              for i in range(3)]

    seen = {"kinds": set(), "share_outs": 0, "reversals": 0}

    @settings(max_examples=40)
    @given(st.lists(STEP, max_size=18), st.booleans())
    def run(steps, finish):
        group = services.create_group(scope=SYSTEM, organisation=world.kitchen, name="G", starts_on=days_ago(400),
                                      ends_on=days_ago(40), interest_method=method, interest_rate=Decimal("7.5"),
                                      shares_min=1, shares_max=5, share_value=1050, lend_in_arrears=True)
        cycle = group.cycles.get()
        members = [services.add_member(scope=SYSTEM, group=group, person=p, joined_on=days_ago(400)) for p in people]
        day = days_ago(390)
        opening = services.hold_meeting(scope=SYSTEM, cycle=cycle, on=day)
        for member in members:  # the first meeting's savings, so that loans are possible at all
            services.buy_shares(scope=SYSTEM, meeting=opening, member=member, shares=5)
        for op, who, amount, advance in steps:
            day = min(day + datetime.timedelta(days=advance), days_ago(2))
            meeting = services.hold_meeting(scope=SYSTEM, cycle=cycle, on=day)
            member = members[who]
            before = Entry.objects.filter(cycle=cycle).count()
            try:
                if op == "shares":
                    services.buy_shares(scope=SYSTEM, meeting=meeting, member=member, shares=amount % 6)
                elif op == "social":
                    services.pay_social_fund(scope=SYSTEM, meeting=meeting, member=member)
                elif op == "fine":
                    services.pay_fine(scope=SYSTEM, meeting=meeting, member=member, reason="otra", amount=amount % 500)
                elif op == "loan":
                    services.disburse_loan(scope=SYSTEM, meeting=meeting, member=member, principal=1 + amount % 8000,
                                           term_months=1 + amount % 3)
                elif op == "repay":
                    services.repay(scope=SYSTEM, meeting=meeting, member=member, amount=1 + amount % 4000)
                elif op == "withdraw":
                    services.withdraw(scope=SYSTEM, meeting=meeting, member=member, shares=amount % 4)
                else:
                    entries = list(Entry.objects.filter(cycle=cycle, reverses__isnull=True).order_by("pk"))
                    if entries:
                        services.reverse(scope=SYSTEM, entry=entries[amount % len(entries)], reason="error")
            except ValidationError:
                assert Entry.objects.filter(cycle=cycle).count() == before  # nothing half-saved
            books = ledger.books(services.rows_of(cycle))
            assert books.box >= 0 and books.loans_outstanding >= 0
            assert all(b.shares >= 0 and b.loan_outstanding >= 0 for b in books.members.values())
        if finish:
            try:
                services.share_out(scope=SYSTEM, cycle=cycle, on=days_ago(1))
            except ValidationError as exc:
                assert "No hay acciones" in str(exc) or "no alcanza" in str(exc)
        books = ledger.books(services.rows_of(cycle))
        # Conservation, to the céntimo.
        assert books.came_in == books.box + books.loans_outstanding + books.paid_out
        # Every member's balance equals the database's own sums.
        db = _db_books(cycle)
        for member in members:
            mine = books.members[member.pk]
            bought = db.get((member.pk, EntryKind.SHARES), (0, 0))
            back = db.get((member.pk, EntryKind.WITHDRAWAL), (0, 0))
            assert mine.savings == bought[0] - back[0] and mine.shares == bought[1] - back[1]
            assert mine.loan_outstanding == (db.get((member.pk, EntryKind.LOAN), (0, 0))[0]
                                             - db.get((member.pk, EntryKind.REPAYMENT), (0, 0))[0])
        cycle.refresh_from_db()
        seen["kinds"] |= set(Entry.objects.filter(cycle=cycle).values_list("kind", flat=True))
        seen["reversals"] += Entry.objects.filter(cycle=cycle, reverses__isnull=False).count()
        if hasattr(cycle, "share_out"):
            seen["share_outs"] += 1
            plan = services.plan_share_out(cycle, cycle.share_out.on)
            assert plan.box - plan.social_fund + plan.recovered == plan.distributable
            assert sum(x.gross for x in plan.lines) + plan.remainder == plan.distributable
            assert 0 <= plan.remainder < max(1, len(plan.lines))
            assert books.box == plan.social_fund + plan.remainder
            assert all(x.paid >= 0 and x.netted <= x.owed for x in plan.lines)
        assert integrity.economy_violations() == [], integrity.economy_violations()

    run()
    # The examples did reach every kind of movement, reversals and share-outs.
    assert seen["kinds"] >= {EntryKind.SHARES, EntryKind.LOAN, EntryKind.REPAYMENT, EntryKind.SHARE_OUT}, seen
    assert seen["share_outs"] and seen["reversals"], seen
