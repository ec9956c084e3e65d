"""Deliveries promised vs received (lateness, shortfall, roll-up per municipality) and the
cost of a ration against the subsidy."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ayni.accounts.scope import Scope
from ayni.evidence import selectors as evidence
from ayni.geo.models import District
from ayni.kitchens import selectors, services
from tests.conftest import as_scope
from tests.evidence_helpers import subtree_totals
from tests.kitchens import TODAY, days_ago, item, move, report

pytestmark = pytest.mark.django_db


def promise(kitchen, quantity, due, code="arroz", municipality=None):
    return services.create_schedule(scope=as_scope(None), kitchen=kitchen,
                                    municipality=municipality or kitchen.district,
                                    item=item(code), quantity=Decimal(quantity), period_start=days_ago(40),
                                    period_end=days_ago(10), due_on=due)


def receive(schedule, quantity, on, **extra):
    return services.record_receipt(scope=as_scope(None), schedule=schedule, received_on=on, quantity=Decimal(quantity),
                                   **extra)


def window(world, org, first):
    """The evidence selection of `org` as the national board sees it, from `first`'s month to this one."""
    return evidence.Selection(scope=Scope.for_user(world.national), org=org, place=None, first=first.replace(day=1),
                              last=TODAY.replace(day=1), today=TODAY)


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
    rows = evidence.deliveries_by_item(window(world, world.lima, days_ago(60)))
    summary = {(r["municipality"].code, r["item"].code): (r["deliveries"], r["promised"], r["received"],
                                                          r["late"], r["average_days_late"]) for r in rows}
    assert summary == {
        ("150101", "arroz"): (1, Decimal(40), Decimal(0), 1, 5.0),
        (ves.code, "arroz"): (2, Decimal(200), Decimal(150), 1, 3.0),
    }
    assert evidence.deliveries_by_item(window(world, world.cusco, days_ago(60))) == []


def test_a_receipt_without_a_schedule_is_refused(world):
    with pytest.raises(ValidationError, match="no existe"):
        services.record_receipt(scope=as_scope(None), schedule=None, received_on=TODAY, quantity=Decimal(5))


def test_cost_per_ration_is_purchases_plus_state_food_over_rations_served(world):
    move(world.kitchen, "arroz", "purchase", 50, unit_price=Decimal("4.00"))  # S/ 200
    move(world.kitchen, "aceite", "state", 10)  # S/ 89 at the reference price
    report(world.kitchen, rations_prepared=120, served_paying=80, served_subsidised=10, served_free=10)
    services.record_subsidy(scope=as_scope(None), kitchen=world.kitchen, month=TODAY, amount=Decimal(50),
                            received_on=TODAY)
    month = selectors.kitchen_month(world.kitchen, TODAY.replace(day=1))
    assert month["rations_served"] == 100 and month["food_cost"] == Decimal("289.00")
    assert (month["cost_per_ration"], month["subsidy_per_ration"], month["gap_per_ration"]) == (
        Decimal("2.89"), Decimal("0.50"), Decimal("2.39"))
    scope = Scope.for_user(world.coordinator)
    rows = selectors.cost_by_kitchen(scope, world.lima, TODAY.replace(day=1), TODAY.replace(day=1))
    assert [(r["name"], r["cost_per_ration"]) for r in rows] == [("Comedor Popular Santa Rosa", Decimal("2.89"))]
    assert selectors.cost_by_kitchen(Scope.for_user(world.coordinator_other), world.lima, TODAY.replace(day=1),
                                     TODAY.replace(day=1)) == []
    federation = subtree_totals(world.lima, TODAY.replace(day=1), TODAY.replace(day=1))
    assert federation["cost_per_ration"] == Decimal("2.89")


def test_a_receipt_typed_by_mistake_is_taken_back_with_its_food(world):
    from ayni.kitchens.integrity import balance_violations
    from ayni.kitchens.models import DeliveryReceipt, StockBalance

    schedule = promise(world.kitchen, 100, days_ago(10))
    wrong = receive(schedule, 1000, days_ago(3), confirm=True)  # she was asked, and confirmed the slip
    assert StockBalance.objects.get(kitchen=world.kitchen, item_id="arroz").quantity == 1000
    services.delete_receipt(scope=as_scope(world.leader), receipt=wrong)
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


# --- The days-late rule and the sums, in the database -----------------------------------------------

def varied_deliveries(w):
    """Deliveries of every shape, in two kitchens of Lima and one of Cusco: on time, early, late,
    in several parts, short by a fraction that floating point gets wrong (0.7 + 0.1 of 0.8), never
    arrived, due today or later, and across a leap day and a year's end."""
    import datetime

    lima = District.objects.get(code="150101")
    cases = [  # (kitchen, promised, due, receipts as (quantity, day), municipality)
        (w.kitchen, "100", days_ago(20), [("100", days_ago(20))], None),
        (w.kitchen, "100", days_ago(20), [("100", days_ago(23))], None),
        (w.kitchen, "100", days_ago(30), [("60", days_ago(26)), ("40", days_ago(3))], None),
        (w.kitchen, "0.8", days_ago(12), [("0.7", days_ago(10)), ("0.1", days_ago(9))], None),
        (w.kitchen, "0.8", days_ago(12), [("0.7", days_ago(10)), ("0.05", days_ago(9))], None),
        (w.olla, "100", days_ago(20), [("50", days_ago(14))], None),
        (w.olla, "40", days_ago(5), [], lima),
        (w.olla, "40", TODAY, [], lima),
        (w.olla, "40", TODAY + datetime.timedelta(days=6), [], lima),
        (w.olla, "25", datetime.date(2023, 12, 30), [("25", datetime.date(2024, 3, 1))], lima),
        (w.olla, "25", datetime.date(2024, 2, 28), [("20", datetime.date(2024, 2, 29))], None),
        (w.kitchen_other, "70", days_ago(8), [("70", days_ago(1))], None),
    ]
    for kitchen, quantity, due, receipts, municipality in cases:
        schedule = services.create_schedule(
            scope=as_scope(None), kitchen=kitchen, municipality=municipality or kitchen.district, item=item("arroz"),
            quantity=Decimal(quantity), period_start=due - datetime.timedelta(days=30), period_end=due, due_on=due)
        for got, on in receipts:
            receive(schedule, got, on)


def walked_in_python(schedules, today):
    """The old computation, row by row from the objects: the oracle for the database's sums."""
    out = {}
    for s in schedules.prefetch_related("receipts"):
        receipts = list(s.receipts.all())
        received = sum((r.quantity for r in receipts), Decimal(0))
        first = min((r.received_on for r in receipts), default=None)
        late = max(0, ((first or today) - s.due_on).days)
        g = out.setdefault((s.municipality_id, s.item_id), {"deliveries": 0, "promised": Decimal(0),
                                                            "received": Decimal(0), "late": 0, "days_late": 0,
                                                            "short": 0, "pending": 0})
        g["deliveries"] += 1
        g["promised"] += s.quantity
        g["received"] += received
        g["late"] += late > 0
        g["days_late"] += late
        g["short"] += received < s.quantity
        g["pending"] += first is None
    return out


def test_delivery_sums_in_the_database_equal_the_old_walk_over_every_kind_of_delivery(world):
    import datetime

    from ayni.evidence import selectors as evidence
    from ayni.kitchens.models import DeliverySchedule
    from tests.evidence_helpers import selection

    varied_deliveries(world)
    first, last = datetime.date(2023, 1, 1), TODAY + datetime.timedelta(days=30)
    want = walked_in_python(DeliverySchedule.objects.filter(kitchen__path__startswith=world.confed.path), TODAY)
    assert sum(g["pending"] for g in want.values()) == 3 and sum(g["short"] for g in want.values()) == 6

    sel = evidence.Selection(scope=selection(world.national).scope, org=world.confed, place=None,
                             first=first, last=last.replace(day=1), today=TODAY)
    rows = evidence.deliveries_by_item(sel)
    have = {(r["municipality"].code, r["item"].code): {k: r[k] for k in want[next(iter(want))]} for r in rows}
    assert have == want

    by_municipality = {d["code"]: d for d in evidence.deliveries(sel)}
    assert by_municipality.keys() == {m for m, _i in want}
    for (municipality, _item), g in want.items():
        d = by_municipality[municipality]
        assert (d["deliveries"], d["late"], d["days_late"], d["short"], d["pending"]) == (
            g["deliveries"], g["late"], g["days_late"], g["short"], g["pending"])

    for s in DeliverySchedule.objects.all():
        status = selectors.delivery_status(s, TODAY)
        alone = walked_in_python(DeliverySchedule.objects.filter(pk=s.pk), TODAY)[s.municipality_id, s.item_id]
        assert (status["days_late"], status["received"], status["pending"]) == (
            alone["days_late"], alone["received"], bool(alone["pending"]))


def test_delivery_sums_take_the_same_queries_however_many_deliveries(world):
    import datetime

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ayni.evidence import selectors as evidence
    from tests.evidence_helpers import selection

    first, last = datetime.date(2023, 1, 1), TODAY + datetime.timedelta(days=30)
    sel = evidence.Selection(scope=selection(world.national).scope, org=world.confed, place=None,
                             first=first, last=last.replace(day=1), today=TODAY)
    counts = []
    for _round in range(2):
        varied_deliveries(world)
        with CaptureQueriesContext(connection) as overview:
            evidence.deliveries_by_item(sel)
        with CaptureQueriesContext(connection) as dashboard:
            evidence.deliveries(sel)
        counts.append((len(overview), len(dashboard)))
    # The overview: the sums, then the municipalities and the items once each; the dashboard: the sums.
    assert counts[0] == counts[1] == (3, 1)
