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
