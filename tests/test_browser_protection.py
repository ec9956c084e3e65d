"""On a 360-px phone: a defensora records a case and a referral, then uses quick exit — and the
back button does not show the case. Every page fits the phone and passes axe-core."""

import pytest

from ayni.protection.models import Case, Referral
from tests.browser import log_in
from tests.conftest import PASSWORD, build_world
from tests.phone_checks import assert_fits_the_phone
from tests.protection_helpers import protection_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALIAS = "Amancay Wiñay"


def test_a_defensora_records_a_case_and_a_referral_then_quick_exit_leaves_nothing_behind(page):
    world = protection_world(build_world())
    log_in(page, "dora", PASSWORD)
    page.goto("/proteccion/")
    assert_fits_the_phone(page)
    page.get_by_role("link", name="Nuevo caso").click()
    page.get_by_label("Alias").fill(ALIAS)
    page.get_by_label("Edad").select_option("30-44")
    page.get_by_label("Distrito").fill("150142")
    page.get_by_label("Riesgo").select_option("severe")
    page.get_by_label("Notas breves").fill("Acompañarla el lunes")
    assert_fits_the_phone(page)
    page.get_by_role("button", name="Guardar").click()
    page.get_by_text(ALIAS).wait_for()
    assert "Caso N.º" in page.content() and ALIAS not in page.title()
    assert_fits_the_phone(page)
    page.get_by_role("link", name="Derivar").click()
    page.get_by_label("A dónde").select_option("cem")
    page.get_by_label("Lo que ella acepta llevar en la hoja").fill("Fecha y lugar")
    page.get_by_role("button", name="Guardar").click()
    page.get_by_text("Centro Emergencia Mujer (CEM)").wait_for()
    assert Case.objects.filter(defender=world.dora).count() == 1 and Referral.objects.count() == 1

    page.get_by_role("button", name="Salida rápida").click()
    page.wait_for_url(lambda url: "/proteccion/" not in url)
    assert ALIAS not in page.content()
    for _step in range(3):  # back, and back again: the case never shows
        page.go_back()
        page.wait_for_load_state("load")
        assert ALIAS not in page.content() and "Acompañarla" not in page.content()
        assert "/proteccion/caso/" not in page.url or "ingresar" in page.content().lower() or \
            "Ingresar" in page.content()


def test_the_counts_map_fits_the_phone_passes_axe_and_the_page_weight_budget(page, browser, live_server):
    """A coordinator's map of the federation's cases: on a 360-px phone, checked by axe-core, its
    table behind "Ver los datos", and within the first-visit budget of every page."""
    from ayni.geo.models import District
    from tests.protection_helpers import a_case
    from tests.test_browser_pageweight import FIRST_KB, state_for, weigh

    world = protection_world(build_world())
    for i in range(6):
        a_case(world, alias=f"{ALIAS} {i}")
    a_case(world, alias=f"{ALIAS} fuera", district=District.objects.get(code="080101"))
    log_in(page, "carmen", PASSWORD)
    path = f"/proteccion/cifras/{world.lima.pk}/"
    page.goto(path)
    svg = page.locator("svg[role=img]")
    assert svg.count() == 1
    assert page.locator("svg title").first.text_content().startswith("Casos por provincia")
    assert_fits_the_phone(page)
    page.get_by_text("Ver los datos").click()
    table = page.locator(".map table").inner_text()
    assert "Lima" in table and "Cusco" not in table and "—" in table  # 6 in Lima, 1 elsewhere: both blank
    assert ALIAS not in page.content()
    first, _repeat = weigh(browser, live_server.url, state_for(browser, live_server.url, "carmen"), path)
    assert first <= FIRST_KB, f"{first:.1f} KB"
