"""The empty form to register a socia is rendered once per country, day, language and
catalogues (issue 22 item 3): another country's organisation never gets Peru's form, a position
added to the catalogue shows at once, and a form sent back with errors is drawn afresh."""

import re

import pytest
from django.urls import reverse

from ayni.people.models import PositionKind
from tests.test_people_identity_by_country import bolivia  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def form(client, org) -> str:
    return client.get(reverse("orgs:register_member", args=[org.pk])).content.decode()


def test_each_country_gets_its_own_form(bolivia, login):  # noqa: F811
    client = login(bolivia.national)
    peru = form(client, bolivia.kitchen)
    assert "Distrito donde vive" in peru and "Cédula de identidad" not in peru
    bo = form(client, bolivia.bo_kitchen)
    assert "Cédula de identidad" in bo and "Distrito donde vive" not in bo
    assert fields(form(client, bolivia.kitchen)) == fields(peru)  # kept: the same as drawn


def fields(html: str) -> str:
    """The form's fields, without its CSRF token (the one part that differs on each view)."""
    body = html[html.index('<form method="post" class="card">'):]
    body = body[:body.index("</form>")]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body)


def test_a_position_added_to_the_catalogue_shows_at_once(world, login):
    client = login(world.leader)
    assert "Vocal de salud" not in form(client, world.kitchen)
    PositionKind.objects.create(code="vocal-salud", name="Vocal de salud", group="board")
    assert "Vocal de salud" in form(client, world.kitchen)


def test_a_form_sent_back_with_errors_shows_them(world, login):
    client = login(world.leader)
    form(client, world.kitchen)
    url = reverse("orgs:register_member", args=[world.kitchen.pk])
    page = client.post(url, {"given_names": "", "paternal_surname": "Pari", "sex": "F"}).content.decode()
    assert "Revise los campos marcados" in page and 'value="Pari"' in page
