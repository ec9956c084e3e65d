"""Kitchen activity for the evidence tests: reports over two months in three kitchens (two in
Lima, one in Cusco), food, a late delivery, a subsidy and people on the rolls — recorded through
the kitchens' and rolls' own services, so the monthly summaries are the real ones."""

import datetime
from decimal import Decimal

from ayni.accounts.scope import Scope
from ayni.evidence import selectors
from ayni.kitchens import services
from ayni.kitchens.models import DailyReport
from tests.conftest import as_scope
from tests.kitchens import TODAY, days_ago, item, move, report
from tests.rolls_helpers import put_on_roll

# The months the dashboard tests look at: the activity below falls inside them.
FIRST = (TODAY.replace(day=1) - datetime.timedelta(days=70)).replace(day=1)
LAST = TODAY.replace(day=1)


def selection(user, org=None, place=None):
    place = selectors.get_place(place) if place else None
    return selectors.Selection(scope=Scope.for_user(user), org=org, place=place, first=FIRST, last=LAST)


def subtree_totals(org, first, last) -> dict:
    """The dashboard's totals of everything under `org`, as the platform sees it."""
    sel = selectors.Selection(scope=Scope(user_id=0, is_superuser=True), org=org, place=None, first=first, last=last)
    return selectors.totals(sel)


def add_activity(w, days: int = 40):
    for n in range(days):
        day = days_ago(n)
        # Different numbers per kitchen and day, so a wrong filter or a double count shows.
        report(w.kitchen, day, served_paying=30 + n % 7, served_subsidised=10 + n % 3, served_free=4 + n % 2,
               rations_prepared=50 + n % 7)
        if n % 2 == 0:
            report(w.olla, day, served_paying=20, served_subsidised=5 + n % 4, served_free=9,
                   rations_prepared=40)
        if n % 3 == 0:
            report(w.kitchen_other, day, served_paying=70, served_subsidised=15, served_free=1,
                   rations_prepared=90, price_per_ration=Decimal("4.00"))
    move(w.kitchen, "arroz", "purchase", 20, days_ago(20), unit_price=Decimal("4.00"))
    move(w.kitchen, "arroz", "used", 45, days_ago(3))  # with the 30 received below: 5 kg left, 1.6 days
    move(w.kitchen_other, "arroz", "state", 100, days_ago(10))
    move(w.kitchen_other, "arroz", "used", 7, days_ago(2))  # plenty left
    schedule = services.create_schedule(
        scope=as_scope(None), kitchen=w.kitchen, municipality=w.kitchen.district, item=item("arroz"),
        quantity=Decimal(50), period_start=days_ago(30), period_end=days_ago(1), due_on=days_ago(25))
    services.record_receipt(scope=as_scope(None), schedule=schedule, received_on=days_ago(20),
                            quantity=Decimal(30))
    services.create_schedule(
        scope=as_scope(None), kitchen=w.kitchen_other, municipality=w.kitchen_other.district,
        item=item("arroz"),
        quantity=Decimal(50), period_start=days_ago(30), period_end=days_ago(1), due_on=days_ago(5))
    services.record_subsidy(scope=as_scope(None), kitchen=w.kitchen, month=TODAY.replace(day=1),
                            amount=Decimal("300.00"),
                            received_on=TODAY)
    shared = put_on_roll(w.kitchen, dni="10293847").person
    put_on_roll(w.olla, person=shared)  # the same woman eats at two kitchens: counted once
    put_on_roll(w.olla, given_names="Lucía", paternal_surname="Ramos", maternal_surname="Tito",
                birth_date=datetime.date(1948, 1, 2))
    put_on_roll(w.kitchen_other, given_names="Celia", paternal_surname="Mamani", maternal_surname="Quispe",
                birth_date=datetime.date(1945, 3, 3))


def raw_totals(kitchens, first: datetime.date, last_day: datetime.date) -> dict:
    """The same figures from scratch: straight from the daily reports, no summary involved."""
    rows = DailyReport.objects.filter(kitchen__in=kitchens, date__gte=first, date__lte=last_day)
    out = {"days_reported": 0, "served_paying": 0, "served_subsidised": 0, "served_free": 0, "by_month": {}}
    for r in rows:
        out["days_reported"] += 1
        out["served_paying"] += r.served_paying
        out["served_subsidised"] += r.served_subsidised
        out["served_free"] += r.served_free
        out["by_month"][r.date.replace(day=1)] = out["by_month"].get(r.date.replace(day=1), 0) + r.rations_served
    out["rations_served"] = out["served_paying"] + out["served_subsidised"] + out["served_free"]
    return out


def publish(org, enabled=True):
    from ayni.evidence.services import set_public_profile

    return set_public_profile(scope=as_scope(None), organisation=org, enabled=enabled,
                              note="Cifras de nuestra federación.")


def public_lima(w):
    """Lima's federation with its open-data page switched on (for the access matrix)."""
    publish(w.lima)
    return {"pk": w.lima.pk}
