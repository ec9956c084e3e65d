"""The home page's alert list and the kitchens' summary are kept once for every viewer with the
same reach (kitchens/kept.py), and never outlive their figures: after each write path that
changes what they show — a report saved on the web or synced in a batch, a month closed,
validated or returned, a stock movement, a count, a State delivery promised or received, an
organisation renamed — the next view is drawn afresh."""

import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ayni.kitchens import kept, services
from ayni.orgs.services import update_organisation
from tests.conftest import as_scope
from tests.evidence_helpers import add_activity
from tests.kitchens import TODAY, days_ago, item, last_month, move, report

pytestmark = pytest.mark.django_db

HOME = reverse("core:home")


@pytest.fixture
def active(world):
    add_activity(world)
    return world


def alerts(client) -> str:
    html = client.get(HOME).content.decode()
    return html[html.index('<section id="atencion">'):html.index("</section>", html.index('<section id="atencion">'))]


def overview(client, w, params=None) -> str:
    html = client.get(reverse("kitchens:overview", kwargs={"pk": w.lima.pk}), params or {}).content.decode()
    return html[html.index('<p class="muted">'):html.index("</main>")]


def line_of(body: str, name: str) -> str:
    """The alert line of one kitchen ('' when it needs nothing)."""
    found = re.search(rf">{re.escape(name)}</a>: (.*?)</li>", body)
    return found.group(1) if found else ""


def test_a_second_view_of_the_alert_list_is_served_from_the_cache(active, login):
    client = login(active.national)
    first = alerts(client)
    with CaptureQueriesContext(connection) as ctx:
        assert alerts(client) == first
    assert not [q for q in ctx.captured_queries if "stockbalance" in q["sql"] or "monthclose" in q["sql"]]


def test_a_report_saved_on_the_web_takes_a_kitchen_off_the_silent_list(world, login):
    client = login(world.coordinator)
    assert "nunca envió su parte" in line_of(alerts(client), world.olla.name)
    report(world.olla, TODAY)
    assert "nunca envió su parte" not in line_of(alerts(client), world.olla.name)


def test_a_batch_synced_from_a_phone_takes_a_kitchen_off_the_silent_list(world, login):
    client = login(world.coordinator)
    assert "nunca envió su parte" in line_of(alerts(client), world.olla.name)
    fields = {"rations_prepared": 40, "served_paying": 40, "served_subsidised": 0, "served_free": 0,
              "price_per_ration": Decimal("3.50"), "menu": "Sopa", "cooks": "Rosa", "cooks_count": 1,
              "cash_received": Decimal(0)}
    outcomes = services.save_daily_reports(scope=as_scope(None), kitchen=world.olla, items=[
        services.ReportItem(date=TODAY, version=0, confirm=True, fields=fields)])
    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert "nunca envió su parte" not in line_of(alerts(client), world.olla.name)


def test_closing_validating_and_returning_a_month_show_on_the_next_view(active, login):
    w = active
    month = last_month()
    home, summary = login(w.coordinator), login(w.coordinator)
    assert "por validar" not in line_of(alerts(home), w.kitchen.name)
    assert "por validar" not in overview(summary, w, {"mes": f"{month:%Y-%m}"})
    services.close_month(scope=as_scope(None), kitchen=w.kitchen, month=month)
    assert f"mes {month:%m/%Y} por validar" in line_of(alerts(home), w.kitchen.name)
    assert "por validar" in overview(summary, w, {"mes": f"{month:%Y-%m}"})
    services.validate_month(scope=as_scope(None), kitchen=w.kitchen, month=month)
    assert "por validar" not in line_of(alerts(home), w.kitchen.name)
    assert "validado" in overview(summary, w, {"mes": f"{month:%Y-%m}"})
    services.close_month(scope=as_scope(None), kitchen=w.olla, month=month)
    assert "por validar" in overview(summary, w, {"mes": f"{month:%Y-%m}"})
    services.return_month(scope=as_scope(None), kitchen=w.olla, month=month, comment="Faltan partes")
    assert "devuelto" in overview(summary, w, {"mes": f"{month:%Y-%m}"})
    assert "por validar" not in line_of(alerts(home), w.olla.name)


def test_a_stock_movement_that_empties_a_staple_shows_on_the_next_view(active, login):
    client = login(active.national)
    assert "Arroz para 1.6 días" in line_of(alerts(client), active.kitchen.name)
    move(active.kitchen, "arroz", "used", 5, TODAY, confirm=True)
    assert "sin arroz" in line_of(alerts(client), active.kitchen.name)
    move(active.kitchen, "arroz", "purchase", 500, TODAY, confirm=True)
    line = line_of(alerts(client), active.kitchen.name)
    assert "sin arroz" not in line and "Arroz para" not in line


def test_a_purchase_shows_in_the_summary_costs_on_the_next_view(active, login):
    client = login(active.coordinator)
    before = overview(client, active)
    move(active.kitchen, "arroz", "purchase", 30, TODAY, unit_price=Decimal("9.00"), confirm=True)
    assert overview(client, active) != before


def test_a_count_below_the_book_shows_on_the_next_view(active, login):
    client = login(active.national)
    assert "sin arroz" not in line_of(alerts(client), active.kitchen.name)
    services.record_count(scope=as_scope(None), kitchen=active.kitchen, item=item("arroz"), date=TODAY,
                          counted=Decimal(0))
    assert "sin arroz" in line_of(alerts(client), active.kitchen.name)


def test_a_delivery_promised_and_received_shows_on_the_next_view(active, login):
    w = active
    home, summary = login(w.national), login(w.coordinator)
    assert "entrega de azúcar" not in line_of(alerts(home), w.olla.name)
    before = overview(summary, w)
    schedule = services.create_schedule(
        scope=as_scope(None), kitchen=w.olla, municipality=w.olla.district, item=item("azucar"),
        quantity=Decimal(20), period_start=days_ago(30), period_end=days_ago(1), due_on=days_ago(4))
    assert "entrega de azúcar atrasada 4 días" in line_of(alerts(home), w.olla.name)
    assert overview(summary, w) != before
    services.record_receipt(scope=as_scope(None), schedule=schedule, received_on=TODAY, quantity=Decimal(8),
                            confirm=True)
    assert "entrega de azúcar incompleta" in line_of(alerts(home), w.olla.name)
    services.record_receipt(scope=as_scope(None), schedule=schedule, received_on=TODAY, quantity=Decimal(12),
                            confirm=True)
    assert "entrega de azúcar" not in line_of(alerts(home), w.olla.name)


def test_renaming_a_kitchen_shows_its_new_name_on_the_next_view(active, login):
    home, summary = login(active.national), login(active.coordinator)
    alerts(home), overview(summary, active)
    update_organisation(scope=as_scope(None), organisation=active.kitchen, name="Comedor Renombrado")
    assert "Comedor Renombrado" in alerts(home)
    assert "Comedor Renombrado" in overview(summary, active)


def test_validators_with_different_reach_never_share_an_alert_list(active, login):
    lima, cusco = alerts(login(active.coordinator)), alerts(login(active.coordinator_other))
    assert active.kitchen.name in lima and active.kitchen.name not in cusco
    assert active.kitchen_other.name in cusco and active.kitchen_other.name not in lima


def test_an_alert_list_and_a_summary_hold_no_personal_data(active, login):
    alerts(login(active.national)), overview(login(active.coordinator), active)
    kept_parts = str([v for k, v in cache._cache.items() if kept.KEY_PREFIX in k])  # noqa: SLF001
    assert active.kitchen.name in kept_parts
    assert "10293847" not in kept_parts  # a DNI on the roll
    assert active.member.paternal_surname not in kept_parts


# The dashboard's list of kitchens (evidence:kitchens) is kept as the dashboard is (evidence/cache.py).
def kitchen_list(client, params=None) -> str:
    html = client.get(reverse("evidence:kitchens"), params or {}).content.decode()
    return html[html.index("<h1>"):html.index("</main>")]


def test_the_list_of_kitchens_follows_a_report_a_close_and_a_food_alert(active, login):
    client = login(active.coordinator)
    before = kitchen_list(client)
    report(active.olla, days_ago(1), served_paying=777, served_subsidised=0, served_free=0, rations_prepared=777,
           confirm=True)
    assert kitchen_list(client) != before
    assert active.olla.name not in kitchen_list(client, {"ver": "alertas"})
    move(active.olla, "arroz", "purchase", 2, days_ago(3), confirm=True)
    move(active.olla, "arroz", "used", 2, days_ago(1), confirm=True)  # none left: a food alert
    assert active.olla.name in kitchen_list(client, {"ver": "alertas"})


def test_a_second_view_of_the_list_of_kitchens_reads_no_summary(active, login):
    client = login(active.coordinator)
    first = kitchen_list(client)
    with CaptureQueriesContext(connection) as ctx:
        assert kitchen_list(client) == first
    assert not [q for q in ctx.captured_queries if "monthlysummary" in q["sql"] or "rollentry" in q["sql"]]
