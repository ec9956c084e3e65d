"""Food alerts kept beside the stock: after every stock change they equal the alerts computed
from the balances and the last 14 days' use, and they fade as the use leaves the window."""

import datetime
from decimal import Decimal

import pytest

from ayni.accounts.scope import Scope
from ayni.evidence import selectors as evidence
from ayni.kitchens import food_alerts, integrity, services
from ayni.kitchens.models import FoodAlert, StockCount
from tests.conftest import as_scope
from tests.kitchens import TODAY, days_ago, move

pytestmark = pytest.mark.django_db


def alerts(world, today=TODAY):
    sel = evidence.Selection(scope=Scope.for_user(world.national), org=world.confed, place=None,
                             first=TODAY.replace(day=1), last=TODAY.replace(day=1), today=today)
    return {(a["pk"], str(a["days_left"])) for a in evidence.food_alerts(sel)}


def test_alerts_follow_movements_counts_and_their_taking_back(world):
    move(world.kitchen, "arroz", "purchase", 20, days_ago(6))
    used = move(world.kitchen, "arroz", "used", 14, days_ago(2))  # 6 kg left, 1 kg a day: 6.0 days
    move(world.olla, "arroz", "purchase", 100, days_ago(6))
    move(world.olla, "arroz", "used", 7, days_ago(1))  # 200 days: no alert
    move(world.olla, "aceite", "purchase", 10, days_ago(1))  # not eaten: no estimate, no alert
    assert alerts(world) == {(world.kitchen.pk, "6.0")}
    assert integrity.food_alert_violations() == []
    services.record_count(scope=as_scope(None), kitchen=world.kitchen, item=used.item, date=TODAY, counted=Decimal(0))
    assert alerts(world) == {(world.kitchen.pk, "0")}
    services.delete_count(scope=as_scope(None), count=StockCount.objects.get())
    services.delete_movement(scope=as_scope(None), movement=used)
    assert alerts(world) == set()
    assert integrity.food_alert_violations() == []


def test_an_alert_fades_as_the_use_leaves_the_window(world):
    move(world.kitchen, "arroz", "purchase", 20, days_ago(6))
    move(world.kitchen, "arroz", "used", 14, days_ago(2))
    assert alerts(world, TODAY + datetime.timedelta(days=11)) == {(world.kitchen.pk, "6.0")}
    assert alerts(world, TODAY + datetime.timedelta(days=12)) == set()  # the use left the window
    assert FoodAlert.objects.get().until == days_ago(2) + datetime.timedelta(days=14)


def test_nothing_left_is_an_alert_until_food_comes_in(world):
    move(world.kitchen, "arroz", "purchase", 5, days_ago(20))
    move(world.kitchen, "arroz", "used", 5, days_ago(19), confirm=True)
    assert alerts(world, TODAY + datetime.timedelta(days=100)) == {(world.kitchen.pk, "0")}
    move(world.kitchen, "arroz", "purchase", 50)
    assert alerts(world) == set()


def test_rebuild_writes_the_alerts_the_services_kept(world):
    move(world.kitchen, "arroz", "purchase", 20, days_ago(6))
    move(world.kitchen, "arroz", "used", 14, days_ago(2))
    kept = list(FoodAlert.objects.values_list("kitchen_id", "item_id", "computed_on", "until", "days_left"))
    FoodAlert.objects.all().delete()
    assert integrity.food_alert_violations()
    food_alerts.rebuild("")
    assert list(FoodAlert.objects.values_list("kitchen_id", "item_id", "computed_on", "until", "days_left")) == kept
