"""In real Chromium: a coordinator registers a kitchen with its board and finds it in the tree;
a leader of another province cannot open it."""

import re

import pytest
from django.utils import timezone

from ayni.orgs.models import Organisation
from tests.browser import log_in
from tests.conftest import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coordinator_registers_a_kitchen_with_its_board_and_another_province_cannot_open_it(page):  # noqa: F811
    world = build_world()
    today = timezone.localdate()

    log_in(page, "carmen", PASSWORD)
    page.get_by_role("link", name="Organizaciones", exact=True).first.click()
    page.get_by_role("link", name="Federación Provincial de Lima").click()
    page.get_by_role("link", name="Federación Distrital de Villa El Salvador").click()
    page.get_by_role("link", name="Registrar organización dentro").click()

    page.get_by_label("Tipo").select_option(label="Comedor popular")
    page.get_by_label("Nombre", exact=True).fill("Comedor Popular Nuevo Amanecer")
    page.get_by_label("Distrito").fill("Villa El Salvador")
    page.get_by_label("Dirección").fill("Sector 2, Grupo 15, Mz. K Lt. 4")
    page.get_by_label("Fecha de fundación").fill("1991-05-12")
    page.get_by_role("button", name="Guardar").click()
    page.get_by_text("Se registró Comedor Popular Nuevo Amanecer").wait_for()
    kitchen_url = page.url

    # Its board: the presidenta, registered as a socia with her position in one step.
    page.get_by_role("link", name="Registrar socia", exact=True).click()
    page.get_by_label("Nombres").fill("Teodora")
    page.get_by_label("Apellido paterno").fill("Ccori")
    page.get_by_label("Apellido materno").fill("Huarcaya")
    page.get_by_label("DNI").fill("40123456")
    page.get_by_label("Cargo (opcional)").select_option(label="Presidenta")
    page.get_by_label("Inicio del periodo").fill(today.isoformat())
    page.get_by_label("Fin del periodo").fill(today.replace(year=today.year + 2).isoformat())
    page.get_by_role("button", name="Guardar", exact=True).click()
    page.get_by_text("Se registró a Teodora Ccori Huarcaya").wait_for()
    assert page.get_by_text(re.compile(r"Presidenta.*Teodora Ccori Huarcaya")).is_visible()

    # A bad DNI gets a Spanish message on the form and nothing is saved.
    page.get_by_role("link", name="Registrar socia", exact=True).click()
    page.get_by_label("Nombres").fill("Luz")
    page.get_by_label("Apellido paterno").fill("Pari")
    page.get_by_label("DNI").fill("4012345")
    page.get_by_role("button", name="Guardar", exact=True).click()
    assert page.get_by_text("El DNI debe tener 8 dígitos").is_visible()

    # Found in the tree by search.
    page.goto("/organizaciones/?q=nuevo+amanecer")
    page.get_by_role("link", name="Comedor Popular Nuevo Amanecer").click()
    assert page.url == kitchen_url

    kitchen = Organisation.objects.get(name="Comedor Popular Nuevo Amanecer")
    assert kitchen.parent_id == world.ves.pk and kitchen.district.code == "150142"
    assert kitchen.positions.filter(kind__code="presidenta", person__dni="40123456").exists()

    # Juana leads a kitchen in Cusco: the new kitchen is not hers to see.
    page.get_by_role("button", name="Salir").click()
    log_in(page, "juana", PASSWORD)
    response = page.goto(kitchen_url)
    assert response.status == 404
    assert page.get_by_text("Página no encontrada").is_visible()
    page.goto("/organizaciones/?q=nuevo+amanecer")
    assert page.get_by_text("Ninguna organización coincide").is_visible()
