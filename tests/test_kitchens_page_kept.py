"""A kitchen's page keeps its store, its last movements and its months once for everyone who may
see the kitchen (kitchens/kept.py, issue 22 item 3), and never outlives them: after a stock
movement, its deletion, a count and its deletion, a receipt, a report, a month closed or the
kitchen renamed, the next view shows the change. Today's report is read afresh on every view."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ayni.kitchens import services
from ayni.orgs.services import update_organisation
from tests.conftest import as_scope
from tests.evidence_helpers import add_activity
from tests.kitchens import TODAY, days_ago, item, last_month, move, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def active(world):
    add_activity(world)
    return world


def page(client, w) -> str:
    html = client.get(reverse("kitchens:kitchen", kwargs={"pk": w.kitchen.pk})).content.decode()
    return html[html.index("<h1>"):html.index("</main>")]


def store(client, w) -> str:
    html = page(client, w)
    return html[html.index("<tbody>"):html.index("</tbody>")]


def test_a_second_view_reads_neither_the_store_nor_the_months(active, login):
    client = login(active.leader)
    first = page(client, active)
    with CaptureQueriesContext(connection) as ctx:
        assert page(client, active) == first
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "stockbalance" not in sql and "stockmovement" not in sql and "monthlysummary" not in sql
    assert len(ctx.captured_queries) <= 6


def test_a_movement_and_its_deletion_show_on_the_next_view(active, login):
    client = login(active.leader)
    assert ">5 kg<" in store(client, active).replace("</td>", "<").replace("<td>", ">")
    movement = move(active.kitchen, "arroz", "purchase", 40, TODAY, confirm=True)
    assert "45 kg" in store(client, active)
    services.delete_movement(scope=as_scope(None), movement=movement)
    assert "45 kg" not in store(client, active) and "5 kg" in store(client, active)


def test_a_use_over_the_balance_is_flagged_until_a_count_and_again_when_the_count_goes(active, login):
    client = login(active.leader)
    assert "revisar en conteo" in store(client, active)  # 45 kg used with 20 in the book
    services.record_count(scope=as_scope(None), kitchen=active.kitchen, item=item("arroz"), date=TODAY,
                          counted=Decimal(5))  # no difference: no movement, the flag seen all the same
    assert "revisar en conteo" not in store(client, active)
    move(active.kitchen, "arroz", "used", 8, TODAY, confirm=True)
    assert "revisar en conteo" in store(client, active)
    count = services.record_count(scope=as_scope(None), kitchen=active.kitchen, item=item("arroz"), date=TODAY,
                                  counted=Decimal(0))
    assert "revisar en conteo" not in store(client, active)
    services.delete_count(scope=as_scope(None), count=count)
    assert "revisar en conteo" in store(client, active)


def test_a_receipt_and_its_deletion_show_on_the_next_view(active, login):
    client = login(active.leader)
    schedule = services.create_schedule(
        scope=as_scope(None), kitchen=active.kitchen, municipality=active.kitchen.district, item=item("azucar"),
        quantity=Decimal(20), period_start=days_ago(30), period_end=days_ago(1), due_on=days_ago(4))
    assert "Azúcar" not in store(client, active)
    receipt = services.record_receipt(scope=as_scope(None), schedule=schedule, received_on=TODAY,
                                      quantity=Decimal(8), confirm=True)
    assert "8 kg" in store(client, active)
    services.delete_receipt(scope=as_scope(None), receipt=receipt)
    assert "8 kg" not in store(client, active)


def test_today_a_report_a_correction_and_a_month_closed_show_on_the_next_view(active, login):
    world, client = active, login(active.leader)
    assert "raciones preparadas" in page(client, world)
    saved = report(world.kitchen, TODAY, rations_prepared=61)
    assert "61 raciones preparadas" in page(client, world)
    # A correction that changes no total: today's report is not part of what is kept.
    report(world.kitchen, TODAY, version=saved.version, is_closed=True, closed_reason="Sin gas", rations_prepared=0,
           served_paying=0, served_subsidised=0, served_free=0, cash_received=Decimal(0))
    assert "No se cocinó: Sin gas" in page(client, world)
    assert "por validar" not in page(client, world)
    services.close_month(scope=as_scope(None), kitchen=world.kitchen, month=last_month())
    assert "por validar" in page(client, world)


def test_renaming_the_kitchen_shows_on_the_next_view(active, login):
    client = login(active.leader)
    page(client, active)
    update_organisation(scope=as_scope(None), organisation=active.kitchen, name="Comedor Renombrado")
    assert "Comedor Renombrado" in page(client, active)


def test_who_may_not_edit_never_gets_the_edit_buttons_kept_for_who_may(active, login):
    assert "Anular" in page(login(active.leader), active)
    shown = page(login(active.viewer), active)
    assert "Anular" not in shown and "Registrar un conteo" not in shown and "Corregir el parte" not in shown
    assert "Anular" in page(login(active.leader), active)


def test_a_food_without_alerts_or_value_shows_its_use_and_count_on_the_next_view(active, login):
    """Potatoes raise no food alert and their use carries no value: only the movement itself
    moves the kitchen's revision."""
    client = login(active.leader)
    move(active.kitchen, "papa", "donation", 10, days_ago(1), confirm=True)
    assert "10 kg" in store(client, active)
    used = move(active.kitchen, "papa", "used", 3, TODAY, confirm=True)
    assert "7 kg" in store(client, active)
    services.delete_movement(scope=as_scope(None), movement=used)
    assert "10 kg" in store(client, active) and "7 kg" not in store(client, active)
    services.record_count(scope=as_scope(None), kitchen=active.kitchen, item=item("papa"), date=TODAY,
                          counted=Decimal(4))
    assert "4 kg" in store(client, active)


def report_form(client, kitchen, day) -> str:
    html = client.get(reverse("kitchens:report", kwargs={"pk": kitchen.pk, "day": day.isoformat()})).content.decode()
    start = html.index('<form method="post" class="card">')
    return html[start:html.index("</form>", start)]


def test_the_report_form_shows_the_saved_figures_of_its_own_kitchen_and_day(world, login):
    """The fields of the report form are kept under their values (kitchens.views._blank_report_fields)."""
    client = login(world.leader)
    assert 'value="Rosa, Juana"' not in report_form(client, world.kitchen, TODAY)
    saved = report(world.kitchen, TODAY, cooks="Rosa, Juana", rations_prepared=61)
    assert 'value="Rosa, Juana"' in report_form(client, world.kitchen, TODAY)
    assert 'value="61"' in report_form(client, world.kitchen, TODAY)
    report(world.kitchen, TODAY, version=saved.version, cooks="Nélida", rations_prepared=62)
    form = report_form(client, world.kitchen, TODAY)
    assert 'value="Nélida"' in form and 'value="62"' in form and "Rosa, Juana" not in form
    # Tomorrow's form starts from today's price and cooks; the other kitchen's from nothing of hers.
    other = report_form(login(world.leader_other), world.kitchen_other, TODAY)
    assert "Nélida" not in other
