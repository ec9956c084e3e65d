"""The delivery roll-up: kept by the schedule and receipt services in their transaction, equal to
its recomputation after every change, and giving the dashboard the figures the schedules give."""

import datetime
from decimal import Decimal

import pytest

from ayni.accounts.scope import Scope
from ayni.evidence import selectors as evidence
from ayni.kitchens import deliveries, integrity, services
from ayni.kitchens.models import DeliveryRollup, DeliverySchedule
from tests.conftest import as_scope
from tests.kitchens import TODAY, days_ago, item

pytestmark = pytest.mark.django_db


def promise(kitchen, quantity, due, code="arroz"):
    return services.create_schedule(scope=as_scope(None), kitchen=kitchen, municipality=kitchen.district,
                                    item=item(code),
                                    quantity=Decimal(quantity), period_start=days_ago(60), period_end=days_ago(1),
                                    due_on=due)


def receive(schedule, quantity, on):
    return services.record_receipt(scope=as_scope(None), schedule=schedule, received_on=on, quantity=Decimal(quantity),
                                   confirm=True)


def national(world, today=TODAY, org=None):
    first = (today - datetime.timedelta(days=70)).replace(day=1)
    return evidence.Selection(scope=Scope.for_user(world.national), org=org or world.confed, place=None,
                              first=first, last=today.replace(day=1), today=today)


def from_schedules(sel) -> dict:
    """The same figures from the promised deliveries themselves (the path below a federation)."""
    schedules = DeliverySchedule.objects.filter(sel.on_kitchen("kitchen__"), due_on__gte=sel.first,
                                                due_on__lte=evidence.month_end(sel.last))
    from django.db.models import F

    return {g["code"]: g for g in deliveries.summed(schedules, sel.today, code=F("municipality_id"))}


def test_every_receipt_and_its_taking_back_keep_the_rollup_equal_to_its_schedules(world):
    on_time = promise(world.kitchen, 100, days_ago(20))
    receive(on_time, 100, days_ago(20))
    late = promise(world.olla, 100, days_ago(20), "aceite")
    first = receive(late, 30, days_ago(14))
    receive(late, 20, days_ago(10))
    promise(world.kitchen_other, 40, days_ago(5))
    promise(world.kitchen_other, 40, TODAY + datetime.timedelta(days=3))  # not due yet: not late
    assert integrity.delivery_rollup_violations() == []
    services.delete_receipt(scope=as_scope(None), receipt=first)
    assert integrity.delivery_rollup_violations() == []
    sel = national(world)
    want = from_schedules(sel)
    have = {d["code"]: d for d in evidence.deliveries(sel)}
    assert have.keys() == want.keys()
    for code, g in want.items():
        for f in ("deliveries", "promised", "received", "late", "days_late", "short", "pending", "average_days_late"):
            assert have[code][f] == g[f], (code, f)


def test_a_delivery_not_arrived_grows_later_every_day_without_a_write(world):
    promise(world.kitchen_other, 40, days_ago(5))
    for ahead in (0, 1, 30):
        today = TODAY + datetime.timedelta(days=ahead)
        [d] = evidence.deliveries(national(world, today))
        assert (d["late"], d["days_late"], d["pending"]) == (1, 5 + ahead, 1)
        assert d["days_late"] == from_schedules(national(world, today))[d["code"]]["days_late"]


def test_rebuild_writes_the_same_rows_the_services_kept(world):
    receive(promise(world.kitchen, 100, days_ago(20)), 60, days_ago(12))
    promise(world.kitchen_other, 40, days_ago(5))
    kept = sorted(DeliveryRollup.objects.values_list(*deliveries.KEY, *deliveries.COUNTS))
    DeliveryRollup.objects.update(deliveries=7)
    assert integrity.delivery_rollup_violations()
    deliveries.rebuild("")
    assert sorted(DeliveryRollup.objects.values_list(*deliveries.KEY, *deliveries.COUNTS)) == kept


def test_check_integrity_names_a_delivery_rollup_row_that_drifted(world):
    promise(world.kitchen, 100, days_ago(20))
    DeliveryRollup.objects.update(pending=0)
    [problem] = integrity.delivery_rollup_violations()
    assert "pending: 0 ≠ 1" in problem


def test_a_district_federation_reads_its_own_schedules_with_the_same_figures(world):
    receive(promise(world.kitchen, 100, days_ago(20)), 60, days_ago(12))
    promise(world.olla, 40, days_ago(5))
    deep = national(world, org=world.ves)
    assert not deep.uses_rollup
    assert {d["code"]: d["late"] for d in evidence.deliveries(deep)} == {
        d["code"]: d["late"] for d in evidence.deliveries(national(world, org=world.lima))}


def test_the_migration_fills_the_rollup_and_the_alerts_of_the_data_already_there(world):
    """An install upgraded with deliveries and stock gets the same rows as the write path keeps."""
    import importlib

    from django.apps import apps

    from ayni.kitchens.models import FoodAlert
    from tests.kitchens import move

    receive(promise(world.kitchen, 100, days_ago(20)), 60, days_ago(12))
    promise(world.kitchen_other, 40, days_ago(5))
    move(world.olla, "arroz", "purchase", 20, days_ago(6))
    move(world.olla, "arroz", "used", 14, days_ago(2))
    rollup = sorted(DeliveryRollup.objects.values_list(*deliveries.KEY, *deliveries.COUNTS))
    alerts = list(FoodAlert.objects.values_list("kitchen_id", "item_id", "computed_on", "until", "days_left"))
    assert rollup and alerts
    DeliveryRollup.objects.all().delete()
    FoodAlert.objects.all().delete()
    importlib.import_module("ayni.kitchens.migrations.0005_delivery_rollup_food_alerts").fill(apps, None)
    assert sorted(DeliveryRollup.objects.values_list(*deliveries.KEY, *deliveries.COUNTS)) == rollup
    assert list(FoodAlert.objects.values_list("kitchen_id", "item_id", "computed_on", "until", "days_left")) == alerts
