"""In real Chromium on a 360 px phone, axe-core checking every page: the leader registers her
kitchen's venture, writes down a socia who earns from it and a month's sales and costs, and the
list shows how many women earn from the ventures."""

import pytest

from ayni.economy.models import Venture, VentureMonth
from tests.browser import checked_page, log_in
from tests.conftest import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_leader_registers_a_venture_its_socia_and_a_month(browser, live_server):
    world = build_world()
    with checked_page(browser, live_server) as page:
        log_in(page, "rosa", PASSWORD)
        page.goto(f"/economia/{world.kitchen.pk}/")
        page.get_by_role("link", name="Emprendimientos").click()
        page.get_by_role("link", name="Nuevo emprendimiento").click()
        page.get_by_label("Nombre del emprendimiento").fill("Panadería Santa Rosa")
        page.get_by_label("Actividad").select_option("food")
        page.get_by_label("Qué hace o vende").fill("Pan y tortas")
        page.get_by_role("button", name="Guardar").click()
        page.get_by_text("Emprendimiento registrado.").wait_for()
        page.get_by_role("link", name="Anotar a una socia").click()
        page.get_by_label("Socia").select_option(label=world.member.full_name)
        page.get_by_role("button", name="Guardar").click()
        page.get_by_text("Socia anotada en el emprendimiento.").wait_for()
        page.get_by_role("link", name="Anotar ventas y costos de un mes").click()
        page.get_by_label("Ventas del mes (S/)").fill("1250.50")
        page.get_by_label("Costos del mes (S/)").fill("700")
        page.get_by_role("button", name="Guardar").click()
        page.get_by_text("Ventas y costos del mes anotados.").wait_for()
        assert page.get_by_text("S/ 1,250.50").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.get_by_role("link", name="Emprendimientos · Comedor").click()
        page.get_by_text("Mujeres que ganan de ellos").wait_for()
    venture = Venture.objects.get()
    assert venture.members.get().person == world.member
    assert VentureMonth.objects.get(venture=venture).sales == 125_050
