"""The offline outbox is loaded only where a leader fills a form, and the installable app's
service worker and manifest are served as browsers need them."""

import json

import pytest
from django.urls import reverse

from tests.kitchens import TODAY

pytestmark = pytest.mark.django_db

SCRIPT = "capture/outbox.js"


@pytest.mark.parametrize("name,kwargs,kind", [
    ("kitchens:report", lambda w: {"pk": w.kitchen.pk, "day": TODAY.isoformat()}, "report"),
    ("kitchens:movement", lambda w: {"pk": w.kitchen.pk}, "movement"),
    ("rolls:add", lambda w: {"pk": w.kitchen.pk}, "roll_entry"),
])
def test_the_three_forms_load_the_outbox(client, world, name, kwargs, kind):
    client.force_login(world.leader)
    page = client.get(reverse(name, kwargs=kwargs(world))).content.decode()
    assert SCRIPT in page and f'data-kind="{kind}"' in page
    assert f'data-api="/api/v1/kitchens/{world.kitchen.pk}/batch"' in page
    assert "<script>" not in page  # no inline script: the CSP forbids it


@pytest.mark.parametrize("name,kwargs", [
    ("core:home", lambda w: {}),
    ("kitchens:kitchen", lambda w: {"pk": w.kitchen.pk}),
    ("rolls:roll", lambda w: {"pk": w.kitchen.pk}),
])
def test_other_pages_carry_no_script(client, world, name, kwargs):
    client.force_login(world.leader)
    page = client.get(reverse(name, kwargs=kwargs(world))).content.decode()
    assert "<script" not in page


def test_the_outbox_words_are_spanish_and_come_from_the_server(client, world):
    client.force_login(world.leader)
    page = client.get(reverse("kitchens:movement", kwargs={"pk": world.kitchen.pk})).content.decode()
    assert "guardado en el teléfono, se enviará" in page


def test_the_service_worker_is_served_from_the_root_and_never_cached(client):
    response = client.get("/sw.js")
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    source = response.content.decode()
    assert "__ASSETS__" not in source and "/static/capture/outbox.js" in source
    assert '"/cuenta/salir/"' in source  # signing out deletes the pages kept on the phone


def test_the_manifest_makes_the_app_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["start_url"] == "/" and data["display"] == "standalone" and data["icons"]
    assert 'rel="manifest"' in client.get(reverse("accounts:login")).content.decode()
