"""A harvest goes into the kitchen's stock through the kitchens' one write path, as a
garden-harvest movement, and days of food left count it."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ayni.economy import gardens, integrity
from ayni.economy.models import Harvest
from ayni.kitchens.models import FoodItem, MovementKind, StockBalance
from ayni.kitchens.selectors import stock_of
from tests.economy_helpers import SYSTEM, econ_garden
from tests.kitchens import move

pytestmark = pytest.mark.django_db


def test_a_harvest_enters_the_kitchen_stock_and_days_left(world):
    garden = gardens.get_garden(SYSTEM, world.kitchen, econ_garden(world)["garden"])
    today = timezone.localdate()
    papa = FoodItem.objects.get(code="papa")
    move(world.kitchen, "papa", "purchase", 14, today - datetime.timedelta(days=3))
    move(world.kitchen, "papa", "used", 7, today - datetime.timedelta(days=1))
    before = next(line for line in stock_of(world.kitchen) if line.item.code == "papa")
    assert before.balance == 7 and before.days_left == Decimal("14.0")
    harvest = gardens.record_harvest(scope=SYSTEM, garden=garden, kitchen=world.kitchen, item=papa, date=today,
                                     quantity=Decimal("21"))
    assert harvest.movement.kind == MovementKind.HARVEST and harvest.movement.party == garden.name
    after = next(line for line in stock_of(world.kitchen) if line.item.code == "papa")
    assert after.balance == 28 and after.days_left == Decimal("56.0")
    assert StockBalance.objects.get(kitchen=world.kitchen, item=papa).quantity == 28
    assert gardens.harvest_totals(garden)[0]["total"] == 21
    assert integrity.economy_violations() == []


def test_a_harvest_only_for_a_kitchen_the_garden_supplies(world):
    garden = gardens.get_garden(SYSTEM, world.kitchen, econ_garden(world)["garden"])
    with pytest.raises(ValidationError, match="no abastece a Olla Común"):
        gardens.record_harvest(scope=SYSTEM, garden=garden, kitchen=world.olla, item=FoodItem.objects.get(code="papa"),
                               date=timezone.localdate(), quantity=Decimal(3))
    assert not Harvest.objects.exists()


def test_the_harvest_form(world, login):
    target = econ_garden(world)
    client = login(world.leader)
    url = reverse("economy:garden", kwargs=target)
    response = client.post(url, {"kitchen": world.kitchen.pk, "item": "papa", "date": timezone.localdate().isoformat(),
                                 "quantity": "12.5"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "Papa: 12.50 kg" in page
    assert login(world.viewer).post(url, {"kitchen": world.kitchen.pk}).status_code == 403
