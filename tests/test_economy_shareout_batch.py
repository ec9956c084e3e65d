"""The share-out of many groups at once (`services.share_out_many`, what the bench and the demo
use): each group's sheet is the one it would have had alone, to the céntimo, with its debts
netted and its payouts written; one group that cannot be shared out refuses the batch, naming
it, and nothing is half-saved; one audit entry per share-out."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ayni.audit.models import AuditEntry
from ayni.economy import integrity, ledger, services
from ayni.economy.models import Cycle, Entry, EntryKind, ShareOut
from tests.economy_helpers import SYSTEM, days_ago, meeting, savings_group

pytestmark = pytest.mark.django_db


def busy_group(org, shares, *, loan=0):
    group, cycle, members = savings_group(org, n=len(shares), interest_rate=Decimal(10), phones=False)
    m = meeting(cycle, 250)
    for member, n in zip(members, shares, strict=True):
        services.buy_shares(scope=SYSTEM, meeting=m, member=member, shares=n)
    services.pay_social_fund(scope=SYSTEM, meeting=m, member=members[0])
    if loan:
        services.disburse_loan(scope=SYSTEM, meeting=m, member=members[-1], principal=loan, term_months=1)
        services.repay(scope=SYSTEM, meeting=meeting(cycle, 220), member=members[-1], amount=700)
    return cycle


def test_a_batch_gives_each_group_the_sheet_it_would_have_alone(world):
    cycles = [
        busy_group(world.kitchen, (5, 3, 1), loan=2000),
        busy_group(world.olla, (2, 2, 4, 1)),
        busy_group(world.kitchen_other, (1, 5), loan=1500),
    ]
    on = days_ago(200)
    alone = {c.pk: services.plan_share_out(c, on) for c in cycles}
    done = services.share_out_many(scope=SYSTEM, cycles=cycles, on=on)
    assert len(done) == 3 and Cycle.objects.filter(status=Cycle.Status.CLOSED).count() == 3
    for sheet in done:
        plan = alone[sheet.cycle_id]
        assert (sheet.distributable, sheet.remainder, sheet.recovered) == (
            plan.distributable,
            plan.remainder,
            plan.recovered,
        )
        mine = Entry.objects.filter(share_out=sheet)
        assert sum(e.amount for e in mine if e.kind == EntryKind.SHARE_OUT) == sum(x.gross for x in plan.lines)
        assert sum(e.amount for e in mine if e.kind != EntryKind.SHARE_OUT) == plan.recovered
        assert ledger.books(services.rows_of(sheet.cycle)).box == plan.social_fund + plan.remainder
    assert any(s.recovered for s in done)  # the debts were netted
    assert AuditEntry.objects.filter(action="savings.share_out").count() == 3
    assert integrity.economy_violations() == []


def test_one_group_that_cannot_be_shared_refuses_the_batch_and_names_it(world):
    good = busy_group(world.kitchen, (2, 2))
    _g, empty, _m = savings_group(world.olla, n=2, phones=False)
    with pytest.raises(ValidationError, match="Banquito Las Emprendedoras: No hay acciones"):
        services.share_out_many(scope=SYSTEM, cycles=[good, empty], on=days_ago(1))
    assert not ShareOut.objects.exists() and Cycle.objects.filter(status=Cycle.Status.OPEN).count() == 2
    assert not Entry.objects.filter(kind=EntryKind.SHARE_OUT).exists()


def test_the_batch_reads_the_ledgers_in_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    cycles = [busy_group(org, (2, 3), loan=1000) for org in (world.kitchen, world.olla, world.kitchen_other)]
    with django_assert_max_num_queries(14):
        services.share_out_many(scope=SYSTEM, cycles=cycles, on=days_ago(200))
