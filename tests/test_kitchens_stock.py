"""The food stock ledger: balances under every movement type, reconciliation by physical
count, using more than the balance, and bad input."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ayni.kitchens import services
from ayni.kitchens.integrity import balance_violations
from ayni.kitchens.models import MonthlySummary, MovementKind, StockBalance, StockCount, StockMovement
from tests.conftest import as_scope
from tests.kitchens import TODAY, days_ago, item, move

pytestmark = pytest.mark.django_db


def balance(kitchen, code="arroz") -> Decimal:
    return StockBalance.objects.get(kitchen=kitchen, item_id=code).quantity


@pytest.mark.parametrize("kind,sign", [
    ("state", 1), ("municipal", 1), ("purchase", 1), ("donation", 1), ("harvest", 1), ("transfer_in", 1),
    ("used", -1), ("lost", -1), ("transfer_out", -1),
])
def test_every_movement_type_moves_the_balance_its_way(world, kind, sign):
    move(world.kitchen, "arroz", "donation", 100, days_ago(1))
    move(world.kitchen, "arroz", kind, "12.5")
    assert balance(world.kitchen) == Decimal(100) + sign * Decimal("12.5")
    assert not balance_violations()


def test_a_purchase_is_worth_its_price_and_state_food_its_reference_price(world):
    move(world.kitchen, "arroz", "purchase", 50, unit_price=Decimal("4.10"), party="Bodega Doña Luz")
    move(world.kitchen, "aceite", "state", 10)  # 8.90 a litre in the catalogue
    move(world.kitchen, "avena", "donation", 5)  # a gift costs the kitchen nothing
    summary = MonthlySummary.objects.get(kitchen=world.kitchen)
    assert summary.purchases_cost == Decimal("205.00") and summary.state_food_value == Decimal("89.00")


def test_balances_are_per_kitchen_and_item(world):
    move(world.kitchen, "arroz", "state", 30)
    move(world.olla, "arroz", "state", 7)
    move(world.kitchen, "azucar", "purchase", 3)
    assert (balance(world.kitchen), balance(world.olla), balance(world.kitchen, "azucar")) == (30, 7, 3)


def test_using_more_than_the_balance_is_allowed_but_flagged_until_the_next_count(world):
    move(world.kitchen, "arroz", "purchase", 10, days_ago(2))
    over = move(world.kitchen, "arroz", "used", 14, days_ago(1))
    assert over.over_balance and balance(world.kitchen) == -4
    count = services.record_count(scope=as_scope(world.leader), kitchen=world.kitchen, item=item("arroz"), date=TODAY,
                                  counted=Decimal(2), note="Llegó arroz sin anotar")
    over.refresh_from_db()
    assert over.reviewed_by_count == count


def test_a_physical_count_records_the_difference_and_the_balance_becomes_the_count(world):
    move(world.kitchen, "arroz", "state", 50, days_ago(3))
    move(world.kitchen, "arroz", "used", 8, days_ago(2))
    count = services.record_count(scope=as_scope(world.leader), kitchen=world.kitchen, item=item("arroz"), date=TODAY,
                                  counted=Decimal("40.5"))
    assert (count.book_balance, count.difference) == (Decimal(42), Decimal("-1.5"))
    assert count.movement.kind == MovementKind.COUNT and count.movement.delta == Decimal("-1.5")
    assert balance(world.kitchen) == Decimal("40.5") and not balance_violations()


def test_a_count_that_matches_the_book_adds_no_movement(world):
    move(world.kitchen, "arroz", "state", 20)
    count = services.record_count(scope=as_scope(None), kitchen=world.kitchen, item=item("arroz"), date=TODAY,
                                  counted=Decimal(20))
    assert count.difference == 0 and count.movement is None
    assert StockMovement.objects.count() == 1


@pytest.mark.parametrize("kind,over,message", [
    ("purchase", {"unit_price": None}, "precio unitario"),
    ("purchase", {"party": ""}, "a quién se compró"),
    ("donation", {"party": ""}, "quién donó"),
    ("transfer_out", {"party": ""}, "la otra cocina"),
    ("used", {"quantity": Decimal(0)}, "mayor que cero"),
    ("used", {"quantity": Decimal(-3)}, "mayor que cero"),
    ("state", {"quantity": Decimal(90000)}, "demasiado"),
    ("used", {"date": TODAY.replace(year=TODAY.year + 1)}, "es futura"),
])
def test_bad_movements_get_a_spanish_message_and_nothing_is_saved(world, kind, over, message):
    args = {"scope": as_scope(None), "kitchen": world.kitchen, "item": item("arroz"), "date": TODAY, "kind": kind,
            "quantity": Decimal(5), "unit_price": Decimal(4), "party": "Alguien"}
    args.update(over)
    with pytest.raises(ValidationError, match=message):
        services.record_movement(**args)
    assert not StockMovement.objects.exists() and not StockBalance.objects.exists()


def test_deleting_a_movement_takes_it_out_of_the_balance_and_the_summary(world):
    move(world.kitchen, "arroz", "state", 20)
    purchase = move(world.kitchen, "arroz", "purchase", 5)
    services.delete_movement(scope=as_scope(world.leader), movement=purchase)
    assert balance(world.kitchen) == 20 and MonthlySummary.objects.get().purchases_cost == 0


def test_a_count_adjustment_cannot_be_deleted_alone(world):
    move(world.kitchen, "arroz", "state", 20)
    count = services.record_count(scope=as_scope(None), kitchen=world.kitchen, item=item("arroz"), date=TODAY,
                                  counted=Decimal(18))
    with pytest.raises(ValidationError, match="conteo"):
        services.delete_movement(scope=as_scope(None), movement=count.movement)
    assert StockCount.objects.count() == 1 and balance(world.kitchen) == 18


def test_a_count_typed_by_mistake_is_taken_back_with_its_adjustment(world):
    move(world.kitchen, "arroz", "purchase", 10, days_ago(3))
    over = move(world.kitchen, "arroz", "used", 14, days_ago(2))
    count = services.record_count(scope=as_scope(world.leader), kitchen=world.kitchen, item=item("arroz"), date=TODAY,
                                  counted=Decimal(25))
    assert balance(world.kitchen) == 25
    services.delete_count(scope=as_scope(world.leader), count=count)
    over.refresh_from_db()
    assert balance(world.kitchen) == -4 and over.reviewed_by_count is None
    assert not StockCount.objects.exists() and not StockMovement.objects.filter(kind=MovementKind.COUNT).exists()
    assert not balance_violations()


def test_a_count_in_a_closed_month_cannot_be_taken_back(world):
    from tests.kitchens import last_month

    day = last_month()
    move(world.kitchen, "arroz", "state", 20, day)
    count = services.record_count(scope=as_scope(None), kitchen=world.kitchen, item=item("arroz"), date=day,
                                  counted=Decimal(18))
    services.close_month(scope=as_scope(world.leader), kitchen=world.kitchen, month=day)
    with pytest.raises(ValidationError, match="cerrado"):
        services.delete_count(scope=as_scope(world.leader), count=count)
    assert StockCount.objects.count() == 1 and balance(world.kitchen) == 18


def test_the_pages_take_back_a_count_and_a_subsidy(client, world):
    move(world.kitchen, "arroz", "state", 20)
    count = services.record_count(scope=as_scope(None), kitchen=world.kitchen, item=item("arroz"), date=TODAY,
                                  counted=Decimal(18))
    payment = services.record_subsidy(scope=as_scope(None), kitchen=world.kitchen, month=TODAY, amount=Decimal(300),
                                      received_on=TODAY)
    client.force_login(world.leader)
    page = client.get(f"/cocina/{world.kitchen.pk}/").content.decode()
    assert f"/cocina/{world.kitchen.pk}/conteo/{count.pk}/anular/" in page
    response = client.post(f"/cocina/{world.kitchen.pk}/conteo/{count.pk}/anular/", follow=True)
    assert "Se anuló el conteo" in response.content.decode() and balance(world.kitchen) == 20
    response = client.post(f"/cocina/{world.kitchen.pk}/subsidio/{payment.pk}/anular/", follow=True)
    assert "Se anuló el subsidio" in response.content.decode()
    assert MonthlySummary.objects.get().subsidy_received == 0
