"""Days of food left and the coordinators' alert list."""

from decimal import Decimal

import pytest

from ayni.kitchens import selectors
from ayni.kitchens.selectors import days_left
from ayni.orgs.services import set_status
from tests.kitchens import TODAY, days_ago, move, report

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("balance,used,expected", [
    (Decimal(70), Decimal(140), Decimal(7)),  # 10 a day over 14 days: 7 days left
    (Decimal(10), Decimal(14), Decimal(10)),
    (Decimal(5), Decimal(3), Decimal("23.3")),
    (Decimal(0), Decimal(14), Decimal(0)),
    (Decimal(-2), Decimal(0), Decimal(0)),  # used more than the book: nothing left
    (Decimal(30), Decimal(0), None),  # not being eaten: no estimate
])
def test_days_left_is_balance_over_average_daily_use_of_the_last_14_days(balance, used, expected):
    assert days_left(balance, used) == expected


def test_only_use_within_the_window_counts(world):
    move(world.kitchen, "arroz", "state", 200, days_ago(30))
    move(world.kitchen, "arroz", "used", 100, days_ago(20))  # too old to count as recent
    move(world.kitchen, "arroz", "used", 28, days_ago(13))
    move(world.kitchen, "arroz", "lost", 2, days_ago(1))  # a loss is not use
    line = next(s for s in selectors.stock_of(world.kitchen, TODAY) if s.item.code == "arroz")
    assert (line.balance, line.used_recently, line.days_left) == (Decimal(70), Decimal(28), Decimal(35))


def kitchen_names(alerts):
    return [(a.kitchen.name, a.item.code, a.days_left) for a in alerts]


def test_a_coordinator_sees_the_kitchen_out_of_rice_and_the_one_with_a_week_left(world):
    move(world.kitchen, "arroz", "state", 100, days_ago(10))
    move(world.kitchen, "arroz", "used", 100, days_ago(1))  # out of rice
    move(world.olla, "aceite", "state", 17, days_ago(10))
    move(world.olla, "aceite", "used", 14, days_ago(2))  # 3 litres at 1 a day: 3 days
    move(world.olla, "arroz", "state", 80, days_ago(10))
    move(world.olla, "arroz", "used", 70, days_ago(2))  # 10 kg at 5 a day: 2 days
    move(world.olla, "avena", "state", 1, days_ago(10))
    move(world.olla, "avena", "used", 1, days_ago(2))  # oats are not a staple: no alert
    scope = world_scope(world.coordinator)
    assert kitchen_names(selectors.low_stock_alerts(scope, TODAY)) == [
        ("Comedor Popular Santa Rosa", "arroz", Decimal(0)),
        ("Olla Común Los Jardines", "arroz", Decimal(2)),
        ("Olla Común Los Jardines", "aceite", Decimal(3)),
    ]
    assert selectors.low_stock_alerts(world_scope(world.coordinator_other), TODAY) == []


def test_the_threshold_is_seven_days_inclusive(world):
    move(world.kitchen, "arroz", "state", 84, days_ago(10))
    move(world.kitchen, "arroz", "used", 14, days_ago(1))  # 70 left at 1 a day
    assert selectors.low_stock_alerts(world_scope(world.coordinator), TODAY) == []
    move(world.kitchen, "arroz", "used", 56, days_ago(1))  # 14 left at 5 a day: 2.8
    move(world.kitchen, "arroz", "purchase", "21", TODAY)  # 35 left at 5 a day: exactly 7
    assert kitchen_names(selectors.low_stock_alerts(world_scope(world.coordinator), TODAY)) == [
        ("Comedor Popular Santa Rosa", "arroz", Decimal(7))]


def test_kitchens_with_no_report_for_three_days_are_listed(world):
    report(world.kitchen, days_ago(2))  # reported within the last three days
    report(world.olla, days_ago(3))  # last report three days ago: silent
    silent = selectors.silent_kitchens(world_scope(world.coordinator), TODAY)
    assert [(k.name, k.last_report) for k in silent] == [("Olla Común Los Jardines", days_ago(3))]
    national = [k.name for k in selectors.silent_kitchens(world_scope(world.national), TODAY)]
    assert national == ["Comedor Virgen de Belén", "Olla Común Los Jardines"]


def test_an_inactive_kitchen_raises_no_alert(world):
    set_status(actor=None, organisation=world.olla, status="inactive", on=TODAY, reason="Cerró")
    assert [k.name for k in selectors.silent_kitchens(world_scope(world.coordinator), TODAY)] == [
        "Comedor Popular Santa Rosa"]


def test_leaders_and_viewers_get_no_alert_list(world):
    assert selectors.kitchen_alerts(world_scope(world.leader), TODAY) is None
    assert selectors.kitchen_alerts(world_scope(world.viewer), TODAY) is None
    assert selectors.kitchen_alerts(world_scope(world.coordinator), TODAY)["silent_count"] == 2


def world_scope(user):
    from ayni.accounts.scope import Scope

    return Scope.for_user(user)
