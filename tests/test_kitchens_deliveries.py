"""Deliveries promised vs received (lateness, shortfall, roll-up per municipality) and the
cost of a ration against the subsidy."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ayni.geo.models import District
from ayni.kitchens import selectors, services
from tests.kitchens import TODAY, days_ago, item, move, report

pytestmark = pytest.mark.django_db


def promise(kitchen, quantity, due, code="arroz", municipality=None):
    return services.create_schedule(actor=None, kitchen=kitchen, municipality=municipality or kitchen.district,
                                    item=item(code), quantity=Decimal(quantity), period_start=days_ago(40),
                                    period_end=days_ago(10), due_on=due)


def receive(schedule, quantity, on, **extra):
    return services.record_receipt(actor=None, schedule=schedule, received_on=on, quantity=Decimal(quantity),
                                   **extra)


def test_lateness_counts_to_the_first_receipt_and_shortfall_is_what_never_came(world):
    schedule = promise(world.kitchen, 100, days_ago(10))
    receive(schedule, 60, days_ago(6))
    receive(schedule, 10, days_ago(2))
    status = selectors.delivery_status(schedule, TODAY)
    assert (status["received"], status["shortfall"], status["days_late"]) == (Decimal(70), Decimal(30), 4)


def test_a_delivery_that_never_arrived_is_late_until_today(world):
    status = selectors.delivery_status(promise(world.kitchen, 50, days_ago(9)), TODAY)
    assert (status["received"], status["shortfall"], status["days_late"], status["pending"]) == (0, 50, 9, True)
    assert selectors.delivery_status(promise(world.kitchen, 50, TODAY), TODAY)["days_late"] == 0


def test_deliveries_roll_up_per_municipality_and_item(world):
    ves = world.kitchen.district
    lima = District.objects.get(code="150101")
    receive(promise(world.kitchen, 100, days_ago(20)), 100, days_ago(20))  # on time, complete
    receive(promise(world.olla, 100, days_ago(20)), 50, days_ago(14))  # 6 days late, half
    promise(world.olla, 40, days_ago(5), municipality=lima)  # never arrived
    rows = selectors.deliveries_by_municipality(world.lima, days_ago(60), TODAY, TODAY)
    summary = {(r["municipality"].code, r["item"].code): (r["deliveries"], r["promised"], r["received"],
                                                          r["late"], r["average_days_late"]) for r in rows}
    assert summary == {
        ("150101", "arroz"): (1, Decimal(40), Decimal(0), 1, 5.0),
        (ves.code, "arroz"): (2, Decimal(200), Decimal(150), 1, 3.0),
    }
    assert selectors.deliveries_by_municipality(world.cusco, days_ago(60), TODAY, TODAY) == []


def test_a_receipt_without_a_schedule_is_refused(world):
    with pytest.raises(ValidationError, match="no existe"):
        services.record_receipt(actor=None, schedule=None, received_on=TODAY, quantity=Decimal(5))


def test_cost_per_ration_is_purchases_plus_state_food_over_rations_served(world):
    move(world.kitchen, "arroz", "purchase", 50, unit_price=Decimal("4.00"))  # S/ 200
    move(world.kitchen, "aceite", "state", 10)  # S/ 89 at the reference price
    report(world.kitchen, rations_prepared=120, served_paying=80, served_subsidised=10, served_free=10)
    services.record_subsidy(actor=None, kitchen=world.kitchen, month=TODAY, amount=Decimal(50), received_on=TODAY)
    month = selectors.kitchen_month(world.kitchen, TODAY.replace(day=1))
    assert month["rations_served"] == 100 and month["food_cost"] == Decimal("289.00")
    assert (month["cost_per_ration"], month["subsidy_per_ration"], month["gap_per_ration"]) == (
        Decimal("2.89"), Decimal("0.50"), Decimal("2.39"))
    rows = selectors.cost_by_kitchen(world.lima, TODAY.replace(day=1), TODAY.replace(day=1))
    assert [(r["name"], r["cost_per_ration"]) for r in rows] == [("Comedor Popular Santa Rosa", Decimal("2.89"))]
    federation = selectors.subtree_totals(world.lima, TODAY.replace(day=1), TODAY.replace(day=1))
    assert federation["cost_per_ration"] == Decimal("2.89")


def test_a_receipt_typed_by_mistake_is_taken_back_with_its_food(world):
    from ayni.kitchens.integrity import balance_violations
    from ayni.kitchens.models import DeliveryReceipt, StockBalance

    schedule = promise(world.kitchen, 100, days_ago(10))
    wrong = receive(schedule, 1000, days_ago(3), confirm=True)  # she was asked, and confirmed the slip
    assert StockBalance.objects.get(kitchen=world.kitchen, item_id="arroz").quantity == 1000
    services.delete_receipt(actor=world.leader, receipt=wrong)
    assert StockBalance.objects.get(kitchen=world.kitchen, item_id="arroz").quantity == 0
    assert not DeliveryReceipt.objects.exists() and selectors.delivery_status(schedule, TODAY)["pending"]
    assert not balance_violations()


def test_the_deliveries_page_takes_back_a_receipt(client, world):
    schedule = promise(world.kitchen, 100, days_ago(10))
    wrong = receive(schedule, 90, days_ago(3))
    client.force_login(world.leader)
    url = f"/cocina/{world.kitchen.pk}/entregas/recepcion/{wrong.pk}/anular/"
    assert url in client.get(f"/cocina/{world.kitchen.pk}/entregas/").content.decode()
    response = client.post(url, follow=True)
    assert "Se anuló la recepción" in response.content.decode()
    client.force_login(world.viewer)
    assert client.post(url).status_code in (403, 404)
