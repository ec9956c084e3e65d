"""On a 360-px phone, without an account: a woman finds a public experience in the library and
reads it, and opens the memorial page of a leader her family allowed to be public. Every page
fits the phone and passes axe-core."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ayni.memory import services
from tests.conftest import build_world
from tests.memory_helpers import SYSTEM, experience_for, memorial_for, png
from tests.phone_checks import assert_fits_the_phone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reading_a_public_experience_and_a_memorial_page(page):
    world = build_world()
    experience = experience_for(world, title="El gas lo paga la municipalidad", topics="gas, incidencia municipal")
    services.attach_file(scope=SYSTEM, experience=experience, upload=SimpleUploadedFile("olla.png", png(640, 480)),
                         caption="La olla del comedor")
    services.submit_experience(scope=SYSTEM, experience=experience)
    services.review_experience(scope=SYSTEM, experience=experience, decision="publish", audience="public")
    memorial = memorial_for(world, show_place=True)

    page.goto("/experiencias/")
    assert_fits_the_phone(page)
    page.get_by_label("Palabras").fill("municipalidad")
    page.get_by_role("button", name="Buscar").click()
    page.get_by_role("link", name="El gas lo paga la municipalidad").click()
    page.get_by_role("heading", name="5. Los puntos de llegada").wait_for()
    assert page.get_by_role("img", name="La olla del comedor").evaluate("img => img.naturalWidth") == 640
    assert_fits_the_phone(page)

    page.goto(f"/memoria/recuerdo/{memorial.pk}/")
    page.get_by_role("heading", name="En memoria de María Elena Quispe Mamani").wait_for()
    assert page.get_by_text("Fundó el comedor en 1989.").is_visible()
    assert page.get_by_text("Presidenta · Comedor Popular Santa Rosa").is_visible()
    assert_fits_the_phone(page)
