"""Helpers shared by the kitchen-operations tests."""

import datetime
from decimal import Decimal

from django.utils import timezone

from ayni.kitchens import services
from ayni.kitchens.models import FoodItem
from tests.conftest import as_scope

TODAY = timezone.localdate()


def days_ago(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


def last_month() -> datetime.date:
    return (TODAY.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def item(code: str) -> FoodItem:
    return FoodItem.objects.get(code=code)


def report(kitchen, day=None, *, scope=None, version=None, **over):
    from ayni.kitchens.models import DailyReport

    day = day or TODAY
    fields = {"rations_prepared": 60, "served_paying": 40, "served_subsidised": 12, "served_free": 5,
              "price_per_ration": Decimal("3.50"), "menu": "Arroz con lentejas", "cooks": "Rosa, Juana",
              "cooks_count": 2, "cash_received": Decimal("140.00")}
    fields.update(over)
    if version is None:
        existing = DailyReport.objects.filter(kitchen=kitchen, date=day).first()
        version = existing.version if existing else 0
    return services.save_daily_report(scope=scope or as_scope(None), kitchen=kitchen, date=day, version=version,
                                      **fields)


def move(kitchen, code, kind, quantity, day=None, *, scope=None, **extra):
    if kind == "purchase":
        extra.setdefault("unit_price", Decimal("4.00"))
        extra.setdefault("party", "Mercado Unicachi")
    if kind in ("donation", "transfer_in", "transfer_out"):
        extra.setdefault("party", "Parroquia San Martín")
    return services.record_movement(scope=scope or as_scope(None), kitchen=kitchen, item=item(code),
                                    date=day or TODAY, kind=kind, quantity=Decimal(str(quantity)), **extra)


# Targets for the access matrix (tests/test_access.py).
def kitchen_report(w):
    return report(w.kitchen, TODAY)


def kitchen_move(w):
    return move(w.kitchen, "arroz", "state", 5)


def kitchen_month(w):
    return {"pk": w.kitchen.pk, "year": TODAY.year, "month": TODAY.month}




def kitchen_count(w):
    move(w.kitchen, "arroz", "state", 5)
    return services.record_count(scope=as_scope(None), kitchen=w.kitchen, item=item("arroz"), date=TODAY,
                                 counted=Decimal(4))


def kitchen_receipt(w):
    schedule = services.create_schedule(scope=as_scope(None), kitchen=w.kitchen, municipality=w.kitchen.district,
                                        item=item("arroz"), quantity=Decimal(10), period_start=days_ago(30),
                                        period_end=days_ago(1), due_on=days_ago(1))
    return services.record_receipt(scope=as_scope(None), schedule=schedule, received_on=TODAY, quantity=Decimal(10))


def kitchen_subsidy(w):
    return services.record_subsidy(scope=as_scope(None), kitchen=w.kitchen, month=TODAY, amount=Decimal(100),
                                   received_on=TODAY)
