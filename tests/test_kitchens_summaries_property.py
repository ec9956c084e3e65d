"""Property: whatever sequence of creates, edits and deletes of reports, movements, counts and
subsidies happens (refused ones included), with kitchens moving to another federation or
district in between, the incrementally kept monthly summaries, their roll-up per federation
and district, and the stock balances equal a from-scratch recomputation."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ayni.geo.models import District
from ayni.kitchens import integrity, services
from ayni.kitchens.models import DailyReport, MonthlyRollup, MonthlySummary, StockMovement, SubsidyPayment
from ayni.orgs.services import move_organisation, update_organisation
from tests.conftest import as_scope
from tests.kitchens import TODAY, item

pytestmark = pytest.mark.django_db

KINDS = ["state", "municipal", "purchase", "donation", "harvest", "transfer_in", "used", "lost", "transfer_out"]
days = st.integers(min_value=0, max_value=75)
kitchens = st.integers(min_value=0, max_value=1)
money = st.decimals(min_value=0, max_value=500, places=2)
qty = st.decimals(min_value=Decimal("0.5"), max_value=200, places=1)

ops = st.one_of(
    st.tuples(st.just("report"), kitchens, days, st.integers(0, 80), st.integers(0, 80), st.integers(0, 20),
              st.integers(0, 10), money, st.booleans()),
    st.tuples(st.just("delete_report"), kitchens, days),
    st.tuples(st.just("move"), kitchens, days, st.sampled_from(["arroz", "aceite", "gas"]), st.sampled_from(KINDS),
              qty, money),
    st.tuples(st.just("delete_move"), st.integers(0, 30)),
    st.tuples(st.just("count"), kitchens, days, st.sampled_from(["arroz", "aceite"]), qty),
    st.tuples(st.just("subsidy"), kitchens, days, money),
    st.tuples(st.just("delete_subsidy"), st.integers(0, 10)),
    st.tuples(st.just("close"), kitchens, days),
    st.tuples(st.just("review"), kitchens, days, st.booleans()),
    # Another provincial federation (another roll-up row) and back; another district.
    st.tuples(st.just("transfer"), kitchens, st.booleans()),
    st.tuples(st.just("relocate"), kitchens, st.sampled_from(["150142", "150143", "080108"])),
)


def run(world, op):
    kitchen = [world.kitchen, world.olla][op[1]] if op[0] not in ("delete_move", "delete_subsidy") else None
    if kitchen is not None:
        kitchen.refresh_from_db()  # a transfer rewrote its path
    day = TODAY - datetime.timedelta(days=op[2]) if kitchen and op[0] not in ("transfer", "relocate") else None
    match op:
        case ("report", _, _, paying, subsidised, free, extra, cash, closed):
            existing = DailyReport.objects.filter(kitchen=kitchen, date=day).first()
            services.save_daily_report(
                scope=as_scope(None), kitchen=kitchen, date=day, version=existing.version if existing else 0,
                confirm=True,
                is_closed=closed, closed_reason="Sin gas" if closed else "", served_paying=paying,
                served_subsidised=subsidised, served_free=free, rations_prepared=paying + subsidised + free + extra,
                cash_received=cash, price_per_ration=Decimal("3.00"))
        case ("delete_report", _, _):
            existing = DailyReport.objects.filter(kitchen=kitchen, date=day).first()
            if existing:
                services.delete_daily_report(scope=as_scope(None), report=existing)
        case ("move", _, _, code, kind, quantity, price):
            services.record_movement(scope=as_scope(None), kitchen=kitchen, item=item(code), date=day, kind=kind,
                                     quantity=quantity, unit_price=price, party="Mercado")
        case ("delete_move", n):
            lines = list(StockMovement.objects.exclude(kind="count").order_by("pk"))
            if lines:
                services.delete_movement(scope=as_scope(None), movement=lines[n % len(lines)])
        case ("count", _, _, code, counted):
            services.record_count(scope=as_scope(None), kitchen=kitchen, item=item(code), date=day, counted=counted)
        case ("subsidy", _, _, amount):
            if amount > 0:
                services.record_subsidy(scope=as_scope(None), kitchen=kitchen, month=day, amount=amount,
                                        received_on=day)
        case ("delete_subsidy", n):
            payments = list(SubsidyPayment.objects.order_by("pk"))
            if payments:
                services.delete_subsidy(scope=as_scope(None), payment=payments[n % len(payments)])
        case ("close", _, _):
            services.close_month(scope=as_scope(None), kitchen=kitchen, month=day)
        case ("review", _, _, validate):
            if validate:
                services.validate_month(scope=as_scope(None), kitchen=kitchen, month=day)
            else:
                services.return_month(scope=as_scope(None), kitchen=kitchen, month=day, comment="Revisar")
        case ("transfer", _, away):
            move_organisation(scope=as_scope(None), organisation=kitchen,
                              new_parent=world.santiago if away else world.ves)
        case ("relocate", _, code):
            update_organisation(scope=as_scope(None), organisation=kitchen, district=District.objects.get(code=code))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(sequence=st.lists(ops, max_size=30))
def test_summaries_and_balances_always_equal_a_recomputation(world, sequence):
    with transaction.atomic():
        for op in sequence:
            try:
                run(world, op)
            except ValidationError:
                pass  # refused (closed month, bad input): it must leave nothing half-saved
        assert integrity.violations() == []
        # The subtree's totals read from the summaries equal the raw rows too.
        from tests.evidence_helpers import subtree_totals

        first = (TODAY - datetime.timedelta(days=80)).replace(day=1)
        totals = subtree_totals(world.confed, first, TODAY)
        raw = DailyReport.objects.filter(kitchen__path__startswith=world.confed.path)
        assert totals["rations_prepared"] == sum(r.rations_prepared for r in raw)
        assert totals["days_reported"] == raw.count()
        assert MonthlySummary.objects.exclude(path__startswith=world.confed.path).count() == 0
        # And the roll-up rows, summed, equal the raw rows.
        assert sum(r.days_reported for r in MonthlyRollup.objects.all()) == raw.count()
        transaction.set_rollback(True)
