"""The savings group's ledger: shares, loans, interest both ways, fines, arrears, limits,
reversals, the box count and the share-out, each refused in Spanish when the rules say no."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ayni.economy import integrity, ledger, services
from ayni.economy.models import Cycle, Entry, EntryKind, InterestMethod
from tests.economy_helpers import SYSTEM, days_ago, meeting, savings_group

pytestmark = pytest.mark.django_db


def book(cycle):
    return ledger.books(services.rows_of(cycle))


def test_shares_social_fund_and_fines_fill_the_box(world):
    group, cycle, (ana, bea, *_rest) = savings_group(world.kitchen)
    m = meeting(cycle, 200)
    services.buy_shares(scope=SYSTEM, meeting=m, member=ana, shares=3)
    services.buy_shares(scope=SYSTEM, meeting=m, member=bea, shares=5)
    services.pay_social_fund(scope=SYSTEM, meeting=m, member=ana)
    services.pay_fine(scope=SYSTEM, meeting=m, member=bea, reason="late")
    b = book(cycle)
    assert b.members[ana.pk].shares == 3 and b.members[ana.pk].savings == 3000
    assert b.members[bea.pk].savings == 5000 and b.members[bea.pk].fines == 100
    assert b.box == 3000 + 5000 + 100 + 100 and b.social_fund == 100
    assert integrity.economy_violations() == []


def test_shares_outside_the_rule_are_refused(world):
    _g, cycle, (ana, *_r) = savings_group(world.kitchen, shares_min=1, shares_max=5)
    m = meeting(cycle, 200)
    services.buy_shares(scope=SYSTEM, meeting=m, member=ana, shares=4)
    with pytest.raises(ValidationError, match="de 1 a 5 acciones; con estas serían 6"):
        services.buy_shares(scope=SYSTEM, meeting=m, member=ana, shares=2)
    _g2, cycle2, (bea, *_r2) = savings_group(world.olla, shares_min=2, shares_max=4)
    with pytest.raises(ValidationError, match="de 2 a 4 acciones; con estas serían 1"):
        services.buy_shares(scope=SYSTEM, meeting=meeting(cycle2, 200), member=bea, shares=1)


def _saved(cycle, member, days_back=250, shares=5):
    m = meeting(cycle, days_back)
    services.buy_shares(scope=SYSTEM, meeting=m, member=member, shares=shares)
    return m


def test_loan_limit_arrears_and_cash_are_checked(world):
    _g, cycle, (ana, bea, cira, *_r) = savings_group(world.kitchen, loan_multiple=Decimal(2), max_term_months=3)
    first = _saved(cycle, ana)
    services.buy_shares(scope=SYSTEM, meeting=first, member=bea, shares=5)
    services.buy_shares(scope=SYSTEM, meeting=first, member=cira, shares=5)
    with pytest.raises(ValidationError, match="Puede prestarse hasta S/ 100.00"):
        services.disburse_loan(scope=SYSTEM, meeting=first, member=ana, principal=10001, term_months=2)
    with pytest.raises(ValidationError, match="1 a 3 meses"):
        services.disburse_loan(scope=SYSTEM, meeting=first, member=ana, principal=5000, term_months=4)
    services.disburse_loan(scope=SYSTEM, meeting=first, member=ana, principal=10000, term_months=2)
    with pytest.raises(ValidationError, match="no alcanza para S/ 60.00"):
        services.disburse_loan(scope=SYSTEM, meeting=first, member=bea, principal=6000, term_months=1)
    # Two months and more later nothing is repaid: she is in arrears, and the rule refuses a new loan.
    later = meeting(cycle, 170)
    state = services.loan_states(cycle, later.on, member=ana)[0]
    assert state.arrears == 10000 and state.days_late == 50  # the first instalment was due on day 30
    services.buy_shares(scope=SYSTEM, meeting=later, member=bea, shares=5)
    with pytest.raises(ValidationError, match="cuotas atrasadas"):
        services.disburse_loan(scope=SYSTEM, meeting=later, member=ana, principal=100, term_months=1)
    at_risk, total = ledger.portfolio_at_risk(services.loan_states(cycle, later.on))
    assert (at_risk, total) == (10000, 10000)


def test_lending_in_arrears_when_the_rule_allows(world):
    _g, cycle, (ana, bea, *_r) = savings_group(world.kitchen, lend_in_arrears=True)
    first = _saved(cycle, ana)
    services.buy_shares(scope=SYSTEM, meeting=first, member=bea, shares=5)
    services.disburse_loan(scope=SYSTEM, meeting=first, member=ana, principal=3000, term_months=1)
    later = meeting(cycle, 200)
    services.disburse_loan(scope=SYSTEM, meeting=later, member=ana, principal=1000, term_months=1)
    assert book(cycle).loans_outstanding == 4000


def test_flat_interest_is_on_the_amount_lent_per_month_begun(world):
    _g, cycle, (ana, bea, *_r) = savings_group(world.kitchen, interest_rate=Decimal(5))
    first = _saved(cycle, ana)
    services.buy_shares(scope=SYSTEM, meeting=first, member=bea, shares=5)
    services.disburse_loan(scope=SYSTEM, meeting=first, member=ana, principal=10000, term_months=3)
    # 31 days later: two months begun, 5 % of S/ 100 each.
    m = meeting(cycle, 219)
    state = services.loan_states(cycle, m.on, member=ana)[0]
    assert state.interest_due == 1000 and state.owed == 11000
    entries = services.repay(scope=SYSTEM, meeting=m, member=ana, amount=4000)
    assert [(e.kind, e.amount) for e in entries] == [(EntryKind.INTEREST, 1000), (EntryKind.REPAYMENT, 3000)]
    # Flat: still on the whole S/ 100 lent, whatever she repaid.
    m2 = meeting(cycle, 185)
    state = services.loan_states(cycle, m2.on, member=ana)[0]
    assert state.interest_accrued == 1500 and state.interest_due == 500 and state.outstanding == 7000
    with pytest.raises(ValidationError, match="debe S/ 75.00 en total"):
        services.repay(scope=SYSTEM, meeting=m2, member=ana, amount=7501)
    services.repay(scope=SYSTEM, meeting=m2, member=ana, amount=7500)
    assert services.loan_states(cycle, days_ago(10), member=ana)[0].owed == 0


def test_declining_interest_is_on_what_is_still_owed(world):
    _g, cycle, (ana, bea, *_r) = savings_group(world.kitchen, interest_rate=Decimal(10),
                                               interest_method=InterestMethod.DECLINING)
    first = _saved(cycle, ana)
    services.buy_shares(scope=SYSTEM, meeting=first, member=bea, shares=5)
    services.disburse_loan(scope=SYSTEM, meeting=first, member=ana, principal=10000, term_months=3)
    m = meeting(cycle, 220)  # 30 days: 10 % of 100.00
    assert services.loan_states(cycle, m.on, member=ana)[0].interest_due == 1000
    services.repay(scope=SYSTEM, meeting=m, member=ana, amount=6000)  # 10.00 interest, 50.00 principal
    m2 = meeting(cycle, 205)  # 15 more days on 50.00: 2.50
    state = services.loan_states(cycle, m2.on, member=ana)[0]
    assert state.outstanding == 5000 and state.interest_due == 250
    services.repay(scope=SYSTEM, meeting=m2, member=ana, amount=5250)
    state = services.loan_states(cycle, days_ago(1), member=ana)[0]
    assert state.owed == 0 and state.interest_paid == 1250


def test_a_mistake_is_corrected_by_a_reversing_entry_never_by_an_edit(world):
    _g, cycle, (ana, *_r) = savings_group(world.kitchen)
    m = meeting(cycle, 200)
    wrong = services.buy_shares(scope=SYSTEM, meeting=m, member=ana, shares=5)
    with pytest.raises(TypeError):
        wrong.save()
    with pytest.raises(TypeError):
        Entry.objects.filter(pk=wrong.pk).update(amount=1)
    with pytest.raises(TypeError):
        wrong.delete()
    back = services.reverse(scope=SYSTEM, entry=wrong, reason="Eran 3 acciones")
    assert (back.amount, back.shares, back.reverses_id) == (-5000, -5, wrong.pk)
    with pytest.raises(ValidationError, match="ya fue anulado"):
        services.reverse(scope=SYSTEM, entry=wrong, reason="otra vez")
    with pytest.raises(ValidationError, match="ya es una anulación"):
        services.reverse(scope=SYSTEM, entry=back, reason="otra vez")
    services.buy_shares(scope=SYSTEM, meeting=meeting(cycle, 199), member=ana, shares=3)
    assert book(cycle).members[ana.pk].shares == 3 and book(cycle).box == 3000
    assert integrity.economy_violations() == []


def test_a_loan_with_payments_cannot_be_reversed_alone(world):
    _g, cycle, (ana, bea, *_r) = savings_group(world.kitchen)
    m = _saved(cycle, ana)
    services.buy_shares(scope=SYSTEM, meeting=m, member=bea, shares=5)
    loan = services.disburse_loan(scope=SYSTEM, meeting=m, member=ana, principal=2000, term_months=1)
    paid = services.repay(scope=SYSTEM, meeting=meeting(cycle, 240), member=ana, amount=500)
    with pytest.raises(ValidationError, match="anule primero los pagos"):
        services.reverse(scope=SYSTEM, entry=loan, reason="error")
    for e in paid:
        services.reverse(scope=SYSTEM, entry=e, reason="error")
    services.reverse(scope=SYSTEM, entry=loan, reason="error")
    assert book(cycle).loans_outstanding == 0 and integrity.economy_violations() == []


def test_the_box_count_keeps_the_difference(world):
    _g, cycle, (ana, *_r) = savings_group(world.kitchen)
    m = _saved(cycle, ana)
    counted = services.count_box(scope=SYSTEM, meeting=m, counted=4950)
    assert (counted.box_expected, counted.box_counted, counted.box_difference) == (5000, 4950, -50)
    assert book(cycle).box == 5000  # never adjusted to the count


def test_a_closed_cycle_takes_no_more_entries(world):
    _g, cycle, (ana, bea, *_r) = savings_group(world.kitchen)
    m = _saved(cycle, ana)
    services.buy_shares(scope=SYSTEM, meeting=m, member=bea, shares=2)
    services.share_out(scope=SYSTEM, cycle=cycle, on=days_ago(5))
    with pytest.raises(ValidationError, match="ya se cerró con el reparto"):
        services.buy_shares(scope=SYSTEM, meeting=m, member=ana, shares=1)


def test_share_out_to_the_centimo_with_arrears_netted(world):
    _g, cycle, (ana, bea, cira, *_r) = savings_group(world.kitchen, interest_rate=Decimal(10))
    m = meeting(cycle, 250)
    for member, n in ((ana, 5), (bea, 3), (cira, 1)):
        services.buy_shares(scope=SYSTEM, meeting=m, member=member, shares=n)
    services.pay_social_fund(scope=SYSTEM, meeting=m, member=ana)
    services.disburse_loan(scope=SYSTEM, meeting=m, member=cira, principal=2000, term_months=1)
    services.repay(scope=SYSTEM, meeting=meeting(cycle, 220), member=cira, amount=700)  # 200 interest, 500 principal
    on = days_ago(200)  # 50 days after the loan: 2 months begun, 400 interest; 200 already paid
    plan = services.plan_share_out(cycle, on)
    lines = {line.member: line for line in plan.lines}
    # Box: 9000 shares + 100 social − 2000 lent + 700 repaid = 7800; social 100 stays.
    assert plan.box == 7800 and plan.social_fund == 100
    # Cira owes 1500 principal + 200 interest: more than her part of the fund, so all her part is
    # taken (a fixed point: her part counts in the fund only as far as it is recovered).
    assert lines[cira.pk].owed == 1700 and plan.total_shares == 9
    assert plan.recovered == lines[cira.pk].gross == lines[cira.pk].netted == 962 and lines[cira.pk].paid == 0
    assert plan.distributable == 7800 - 100 + 962 == 8662
    assert lines[cira.pk].gross == 8662 // 9
    assert lines[ana.pk].gross == 8662 * 5 // 9 and lines[bea.pk].gross == 8662 * 3 // 9
    assert plan.remainder == plan.distributable - sum(x.gross for x in plan.lines)
    done = services.share_out(scope=SYSTEM, cycle=cycle, on=on)
    assert Cycle.objects.get(pk=cycle.pk).status == Cycle.Status.CLOSED
    assert done.distributable == plan.distributable and done.remainder == plan.remainder
    after = book(cycle)
    assert after.box == plan.social_fund + plan.remainder
    assert integrity.economy_violations() == []


def test_share_out_remainder_rule(world):
    """Three members with one share each and 100.00 to share: 33.33 each, 0.01 stays in the box."""
    _g, cycle, members = savings_group(world.kitchen, n=3, share_value=3333, shares_min=1)
    m = meeting(cycle, 100)
    for member in members:
        services.buy_shares(scope=SYSTEM, meeting=m, member=member, shares=1)
    services.pay_fine(scope=SYSTEM, meeting=m, member=members[0], reason="Otra", amount=1)
    plan = services.plan_share_out(cycle, days_ago(1))
    assert plan.distributable == 10000 and [x.paid for x in plan.lines] == [3333, 3333, 3333]
    assert plan.remainder == 1


def test_a_cycle_is_opened_with_the_last_rules_after_the_share_out(world):
    group, cycle, (ana, *_r) = savings_group(world.kitchen, share_value=500)
    with pytest.raises(ValidationError, match="sigue abierto"):
        services.open_cycle(scope=SYSTEM, group=group, starts_on=days_ago(1), ends_on=days_ago(-300))
    _saved(cycle, ana)
    services.share_out(scope=SYSTEM, cycle=cycle, on=days_ago(3))
    nxt = services.open_cycle(scope=SYSTEM, group=group, starts_on=days_ago(2), ends_on=days_ago(-300))
    assert (nxt.number, nxt.share_value) == (2, 500)


def test_a_resend_with_the_same_client_id_is_one_entry(world):
    _g, cycle, (ana, *_r) = savings_group(world.kitchen)
    m = meeting(cycle, 10)
    a = services.buy_shares(scope=SYSTEM, meeting=m, member=ana, shares=2, client_id="x1")
    b = services.buy_shares(scope=SYSTEM, meeting=m, member=ana, shares=2, client_id="x1")
    assert a.pk == b.pk and Entry.objects.count() == 1


def test_integrity_names_a_tampered_share_out(world):
    from ayni.economy.models import ShareOutLine

    _g, cycle, (ana, bea, *_r) = savings_group(world.kitchen)
    m = _saved(cycle, ana)
    services.buy_shares(scope=SYSTEM, meeting=m, member=bea, shares=1)
    services.share_out(scope=SYSTEM, cycle=cycle, on=days_ago(1))
    ShareOutLine.objects.filter(member=ana).update(paid=1)
    assert any("no coincide" in v for v in integrity.economy_violations())


def test_the_group_needs_edit_on_its_organisation(world):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from ayni.accounts.scope import Scope

    _g, cycle, (ana, *_r) = savings_group(world.kitchen)
    m = meeting(cycle, 10)
    with pytest.raises((PermissionDenied, Http404)):
        services.buy_shares(scope=Scope.for_user(world.leader_other), meeting=m, member=ana, shares=1)
    with pytest.raises((PermissionDenied, Http404)):
        services.buy_shares(scope=Scope.for_user(world.viewer), meeting=m, member=ana, shares=1)
    assert services.buy_shares(scope=Scope.for_user(world.leader), meeting=m, member=ana, shares=1).amount == 1000


def test_dates(world):
    _g, cycle, _m = savings_group(world.kitchen)
    with pytest.raises(ValidationError, match="futura"):
        services.hold_meeting(scope=SYSTEM, cycle=cycle, on=days_ago(-1))
    with pytest.raises(ValidationError, match="antes del inicio"):
        services.hold_meeting(scope=SYSTEM, cycle=cycle, on=cycle.starts_on - datetime.timedelta(days=1))
