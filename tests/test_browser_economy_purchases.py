"""In real Chromium on a 360 px phone, axe-core checking every page: the leader registers a
family farmer, records a purchase from her, sees it in the kitchen's list with the month's share
from family farming, and takes back a purchase typed by mistake."""

import pytest

from ayni.economy.models import Producer, Purchase
from ayni.kitchens.models import FoodItem
from tests.browser import checked_page, log_in
from tests.conftest import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_leader_registers_a_farmer_and_records_a_purchase(browser, live_server):
    world = build_world()
    papa = FoodItem.objects.get(code="papa")
    with checked_page(browser, live_server) as page:
        log_in(page, "rosa", PASSWORD)
        page.goto(f"/economia/{world.kitchen.pk}/")
        page.get_by_role("link", name="Productores registrados").click()
        page.get_by_label("Nombre del productor o de la asociación").fill("Rosa Quispe")
        page.get_by_label("Distrito").fill("150142")
        page.get_by_label(str(papa), exact=True).check()
        page.get_by_label("Registro de agricultura familiar (si tiene)").fill("REGAF-123")
        page.get_by_role("button", name="Guardar").click()
        page.get_by_text("Productor registrado.").wait_for()
        page.goto(f"/economia/{world.kitchen.pk}/")
        page.get_by_role("link", name="Compras de la cocina").click()
        page.get_by_label("Productor").select_option(label="Rosa Quispe")
        page.get_by_label("Alimento").select_option(label=str(papa))
        page.get_by_label("Cantidad").fill("20")
        page.get_by_label("Precio unitario (S/)").fill("2.50")
        page.get_by_role("button", name="Guardar la compra").click()
        page.get_by_text("Compra anotada: entró al almacén de la cocina.").wait_for()
        assert page.get_by_text("S/ 50.00 (100.0 %)").is_visible()
        assert page.locator("ul.plain li", has_text="Rosa Quispe").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.get_by_text("Anular", exact=True).click()
        page.get_by_role("button", name="Sí, anular esta compra").click()
        page.get_by_text("Compra anulada: salió también del almacén de la cocina.").wait_for()
        page.get_by_text("Aún no hay compras anotadas.").wait_for()
    assert Producer.objects.get().is_family_farm
    assert not Purchase.objects.exists()
