"""In real Chromium: what a new user hit, each fixed where she looks — the leader on a 360-px phone
(her roll apart from her socias, a day's history in words, the roll as cards that fit), the
coordinator on a 1366-px laptop (which kitchens need her today, the duplicate queue filled without
a button), and a viewer told why people search shows no names."""

import re
from decimal import Decimal

import pytest

from ayni.people.models import DuplicatePair
from tests.browser import checked_page, log_in
from tests.conftest import PASSWORD, as_scope, build_world
from tests.kitchens import TODAY, days_ago, move, report
from tests.phone_checks import assert_fits_the_phone
from tests.rolls_helpers import put_on_roll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_leader_finds_her_roll_on_her_home_and_reads_a_days_history_in_words(page):
    w = build_world()
    for i in range(3):
        put_on_roll(w.kitchen, given_names=f"Teodosia Filomena {i}", paternal_surname="Condoricahuana",
                    maternal_surname="Apazahuamani", dni=f"1029384{i}")
    report(w.kitchen, TODAY, scope=as_scope(w.leader))
    report(w.kitchen, TODAY, scope=as_scope(w.leader), version=1, rations_prepared=70, served_paying=50)
    log_in(page, "rosa", PASSWORD)
    assert_fits_the_phone(page)
    page.get_by_role("heading", name="Padrón de usuarios: quienes comen aquí").wait_for()
    assert page.get_by_text("3 personas en el padrón").is_visible()
    assert page.get_by_role("link", name="Registrar socia de la organización").is_visible()

    page.get_by_role("link", name="Ver el padrón").click()
    page.get_by_role("heading", name="Padrón de usuarios").wait_for()
    assert_fits_the_phone(page)  # one card per person: the edit and exit links in sight
    card = page.locator("tbody tr", has_text="Teodosia Filomena 1")
    assert card.get_by_role("link", name="Salida").is_visible()
    assert card.locator("td[data-label=DNI]").inner_text() == "10293841"

    page.goto(f"/cocina/{w.kitchen.pk}/dia/{TODAY.isoformat()}/historial/")
    assert_fits_the_phone(page)
    newest = page.locator("section.card").first
    assert "Raciones preparadas" in newest.inner_text() and "No se cocinó" in newest.inner_text()
    assert newest.locator("strong").all_inner_texts() == ["70", "50"]
    assert not re.search(r"rations_prepared|is_closed|False", page.content())


def test_the_coordinator_sees_which_kitchens_need_her_today_first(browser, live_server):
    w = build_world()
    move(w.kitchen, "arroz", "state", 100, days_ago(10))
    move(w.kitchen, "arroz", "used", 100, days_ago(1))
    report(w.kitchen, TODAY)
    with checked_page(browser, live_server, width=1366, height=768) as page:
        log_in(page, "carmen", PASSWORD)
        heading = page.get_by_role("heading", name="2 cocinas necesitan su atención hoy")
        heading.wait_for()
        first_count = page.get_by_text("en actividad").first
        assert heading.bounding_box()["y"] < first_count.bounding_box()["y"]  # before any count
        lines = page.locator("#atencion li").all_inner_texts()
        assert lines == ["Comedor Popular Santa Rosa: sin arroz", "Olla Común Los Jardines: nunca envió su parte"]
        page.get_by_role("link", name="Comedor Popular Santa Rosa").first.click()
        page.wait_for_url(f"**/cocina/{w.kitchen.pk}/")
        # Her change log in words: what was done, to what, each field by its label.
        page.get_by_role("link", name="Cambios", exact=True).click()
        entry = page.locator("li", has_text="Registró una entrada o salida de alimentos").first
        assert "Usado en la cocina: 100 kg Arroz" in entry.inner_text()
        assert not re.search(r"kitchen\.\w+|object \(\d+\)|\bFalse\b|\bTrue\b", page.locator("main").inner_text())


def test_the_duplicate_queue_fills_by_itself_and_offers_a_search(page):
    w = build_world()
    put_on_roll(w.kitchen, given_names="Dionisia", paternal_surname="Quispe", maternal_surname="Huamán")
    # The same woman, written differently, on the olla's roll: the search runs after the commit.
    put_on_roll(w.olla, scope=as_scope(w.coordinator), given_names="Dionicia", paternal_surname="Huaman",
                maternal_surname="Quispe")
    assert DuplicatePair.objects.count() == 1  # no button pressed
    log_in(page, "carmen", PASSWORD)
    page.get_by_role("link", name="1 posible duplicado por revisar").click()
    assert page.get_by_role("link", name=re.compile("Dionisia Quispe Huamán")).is_visible()
    page.get_by_role("button", name="Buscar duplicados en Federación Provincial de Lima").click()
    page.get_by_text("Se inició la búsqueda de duplicados").wait_for()
    assert_fits_the_phone(page)


def test_a_field_in_error_is_announced_and_numbers_read_as_in_peru(page):
    w = build_world()
    report(w.kitchen, TODAY, rations_prepared=1500, served_paying=1500, served_subsidised=0, served_free=0,
           confirm=True, cash_received=Decimal("12345.50"))
    log_in(page, "rosa", PASSWORD)
    page.goto(f"/padron/{w.kitchen.pk}/agregar/")
    page.get_by_label("DNI (si tiene)").fill("4567891")
    page.get_by_label("Nombres").fill("Luz")
    page.get_by_label("Apellido paterno").fill("Pari")
    page.get_by_label("Hoja firmada").check()
    page.get_by_role("button", name="Guardar", exact=True).click()
    page.get_by_text("Revise los campos marcados").wait_for()
    dni = page.get_by_label("DNI (si tiene)")
    assert dni.get_attribute("aria-invalid") == "true"
    described = dni.get_attribute("aria-describedby").split()
    assert any("8 dígitos" in page.locator(f"#{i}").inner_text() for i in described)
    assert_fits_the_phone(page)
    page.goto(f"/cocina/{w.kitchen.pk}/mes/{TODAY.year}/{TODAY.month}/")
    assert page.get_by_text("S/ 12,345.50").is_visible() and page.get_by_text("1,500", exact=True).first.is_visible()


def test_a_viewer_is_told_why_people_search_shows_no_names(page):
    build_world()
    log_in(page, "vera", PASSWORD)
    page.goto("/personas/?q=quispe")
    assert page.get_by_text("Su rol ve solo cifras").is_visible()
    assert not page.get_by_role("searchbox").count()
    assert_fits_the_phone(page)
