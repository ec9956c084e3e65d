"""In real Chromium on a 360-px phone screen: a kitchen leader records today's report and a
delivery that arrived; the coordinator sees the alert for a kitchen out of rice and validates
a month."""

from decimal import Decimal

import pytest

from ayni.kitchens import services
from ayni.kitchens.models import DailyReport, MonthClose, StockBalance
from tests.browser import log_in
from tests.conftest import PASSWORD, as_scope, build_world
from tests.kitchens import TODAY, days_ago, item, last_month, move, report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_leader_reports_today_and_a_delivery_and_the_coordinator_sees_the_alert_and_validates(page):  # noqa: F811
    world = build_world()
    # Santa Rosa ran out of rice yesterday; the programme promised oil; last month is closed.
    move(world.kitchen, "arroz", "state", 40, days_ago(6))
    move(world.kitchen, "arroz", "used", 40, days_ago(1))
    services.create_schedule(scope=as_scope(None), kitchen=world.kitchen, municipality=world.kitchen.district,
                             item=item("aceite"), quantity=Decimal(20), period_start=last_month(),
                             period_end=TODAY, due_on=days_ago(3))
    report(world.kitchen, last_month())
    services.close_month(scope=as_scope(world.leader), kitchen=world.kitchen, month=last_month())

    log_in(page, "rosa", PASSWORD)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    page.get_by_role("link", name="Parte de hoy").click()
    page.get_by_label("Raciones preparadas").fill("85")
    page.get_by_label("Raciones servidas pagantes").fill("60")
    page.get_by_label("Raciones servidas subsidiadas").fill("15")
    page.get_by_label("Raciones gratuitas (casos sociales)").fill("8")
    page.get_by_label("Precio por ración (S/)").fill("3.50")
    page.get_by_label("Dinero recibido (S/)").fill("210")
    page.get_by_label("Menú", exact=True).fill("Ají de gallina")
    page.get_by_label("Cocineras de turno").fill("Rosa, Teodora")
    page.get_by_label("Número de cocineras").fill("2")
    page.get_by_role("button", name="Guardar el parte").click()
    page.get_by_text("Se guardó el parte").wait_for()
    saved = DailyReport.objects.get(kitchen=world.kitchen, date=TODAY)
    assert (saved.rations_prepared, saved.served_free, saved.menu) == (85, 8, "Ají de gallina")

    page.get_by_role("link", name="Registrar entrega recibida").first.click()
    page.get_by_label("Entrega programada").select_option(index=0)
    page.get_by_label("Cantidad recibida").fill("18")
    page.get_by_label("Estado").select_option(label="Buen estado")
    page.get_by_role("button", name="Guardar").click()
    page.get_by_text("Se registró la entrega recibida").wait_for()
    assert StockBalance.objects.get(kitchen=world.kitchen, item_id="aceite").quantity == 18
    assert page.get_by_text("Días de retraso").is_visible()

    page.get_by_role("button", name="Salir").click()
    log_in(page, "carmen", PASSWORD)
    page.get_by_text("necesitan su atención hoy").wait_for()
    alert = page.locator("#atencion li", has_text="Comedor Popular Santa Rosa")
    assert "sin arroz" in alert.inner_text()
    alert.get_by_role("link", name="Comedor Popular Santa Rosa").click()
    page.locator(f"a[href$='/mes/{last_month().year}/{last_month().month}/']").click()
    page.get_by_role("button", name="Validar el mes").click()
    page.get_by_text("Se validó el mes").wait_for()
    assert MonthClose.objects.get(kitchen=world.kitchen).status == MonthClose.Status.VALIDATED
    assert not page.get_by_role("button", name="Cerrar el mes").count()
