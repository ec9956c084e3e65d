"""Days of food left and the coordinators' alert list."""

from decimal import Decimal

import pytest

from ayni.kitchens import selectors
from ayni.kitchens.selectors import days_left
from ayni.orgs.services import set_status
from tests.conftest import as_scope
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
    set_status(scope=as_scope(None), organisation=world.olla, status="inactive", on=TODAY, reason="Cerró")
    assert [k.name for k in selectors.silent_kitchens(world_scope(world.coordinator), TODAY)] == [
        "Comedor Popular Santa Rosa"]


def test_leaders_and_viewers_get_no_alert_list(world):
    assert selectors.kitchen_alerts(world_scope(world.leader), TODAY) is None
    assert selectors.kitchen_alerts(world_scope(world.viewer), TODAY) is None
    assert selectors.kitchen_alerts(world_scope(world.coordinator), TODAY)["needing_count"] == 2  # both silent


def world_scope(user):
    from ayni.accounts.scope import Scope

    return Scope.for_user(user)


def _lines(user):
    lines, total = selectors.kitchens_needing_attention(world_scope(user), TODAY)
    return [(line.kitchen.name, [p.text for p in line.problems]) for line in lines], total


def test_the_coordinator_sees_each_kitchen_once_with_all_its_problems_worst_first(world):
    from ayni.kitchens import services
    from tests.kitchens import item

    move(world.kitchen, "arroz", "state", 100, days_ago(10))
    move(world.kitchen, "arroz", "used", 100, days_ago(1))  # out of rice
    report(world.kitchen, TODAY)
    late = services.create_schedule(scope=as_scope(None), kitchen=world.olla, municipality=world.olla.district,
                                    item=item("menestras"), quantity=Decimal(40), period_start=days_ago(40),
                                    period_end=days_ago(10), due_on=days_ago(9))
    short = services.create_schedule(scope=as_scope(None), kitchen=world.kitchen, municipality=world.kitchen.district,
                                     item=item("aceite"), quantity=Decimal(20), period_start=days_ago(40),
                                     period_end=days_ago(10), due_on=days_ago(8))
    services.record_receipt(scope=as_scope(None), schedule=short, received_on=days_ago(5), quantity=Decimal(12))
    report(world.olla, days_ago(5))
    lines, total = _lines(world.coordinator)
    assert total == 2 and late.pk
    assert lines == [
        ("Comedor Popular Santa Rosa", ["sin arroz", "entrega de aceite incompleta: llegaron 12 de 20 litro"]),
        ("Olla Común Los Jardines", ["entrega de menestras (frejol, lenteja, arveja) atrasada 9 días",
                                     "sin parte hace 5 días"]),
    ]
    assert _lines(world.coordinator_other) == ([("Comedor Virgen de Belén", ["nunca envió su parte"])], 1)


def test_a_negative_balance_is_to_check_at_the_next_count_not_out_of_stock(world):
    move(world.kitchen, "arroz", "state", 98, days_ago(10))
    move(world.kitchen, "arroz", "used", 500, TODAY, confirm=True)  # a slip (confirmed): 500 kg instead of 5
    report(world.kitchen, TODAY)
    report(world.olla, TODAY)
    lines, _total = _lines(world.coordinator)
    assert lines == [("Comedor Popular Santa Rosa",
                      ["Arroz: el kárdex marca -402 kg, a revisar en el próximo conteo"])]


def test_a_month_waiting_for_validation_is_on_her_list(world):
    from ayni.kitchens import services
    from tests.kitchens import last_month

    month = last_month()
    report(world.kitchen, month)
    report(world.kitchen, TODAY)
    report(world.olla, TODAY)
    services.close_month(scope=as_scope(world.leader), kitchen=world.kitchen, month=month)
    lines, _total = _lines(world.coordinator)
    assert lines == [("Comedor Popular Santa Rosa", [f"mes {month:%m/%Y} por validar"])]


def test_the_list_takes_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    move(world.kitchen, "arroz", "state", 100, days_ago(10))
    move(world.kitchen, "arroz", "used", 100, days_ago(1))
    scope = world_scope(world.national)
    with django_assert_max_num_queries(10):
        selectors.kitchens_needing_attention(scope, TODAY)


def test_her_home_answers_which_kitchens_need_her_before_any_count(login, world):
    move(world.kitchen, "arroz", "state", 100, days_ago(10))
    move(world.kitchen, "arroz", "used", 100, days_ago(1))
    html = login(world.coordinator).get("/").content.decode()
    assert "2 cocinas necesitan su atención hoy" in html
    assert html.index("necesitan su atención") < html.index("en actividad")
    assert "Comedor Popular Santa Rosa</a>: <b class=\"warn\">sin arroz</b> · <b class=\"warn\">nunca envió" in html
