"""`ayni check-integrity`: 0 on a consistent database, non-zero naming each violation."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ayni.kitchens.models import DeliveryReceipt, DeliverySchedule, MonthlySummary, StockBalance
from tests.kitchens import TODAY, move, report

pytestmark = pytest.mark.django_db


def run():
    out, err = StringIO(), StringIO()
    try:
        call_command("check-integrity", stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


def test_a_consistent_database_passes(world):
    report(world.kitchen)
    move(world.kitchen, "arroz", "purchase", 10)
    code, output = run()
    assert code == 0 and "integrity ok" in output


def test_each_violation_is_named_and_the_exit_code_is_not_zero(world):
    report(world.kitchen)
    move(world.kitchen, "arroz", "purchase", 10)
    move(world.olla, "aceite", "state", 3)
    # Hand-made damage of the kind a crash or a bad SQL fix leaves behind.
    StockBalance.objects.filter(kitchen=world.kitchen, item_id="arroz").update(quantity=Decimal(7))
    MonthlySummary.objects.filter(kitchen=world.olla).update(state_food_value=0)
    MonthlySummary.objects.filter(kitchen=world.kitchen).update(path="0000001/")
    schedule = DeliverySchedule.objects.create(kitchen=world.olla, municipality=world.olla.district, item_id="aceite",
                                               quantity=5, period_start=TODAY, period_end=TODAY, due_on=TODAY)
    DeliveryReceipt.objects.create(schedule=schedule, received_on=TODAY, quantity=1)
    code, output = run()
    assert code == 1
    assert f"stock balance of arroz in kitchen {world.kitchen.pk} is 7" in output
    assert f"monthly summary of kitchen {world.olla.pk}" in output and "state_food_value" in output
    assert "stale path '0000001/'" in output
    assert "has no stock movement" in output
