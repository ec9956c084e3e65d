"""The family-farming share reaches the evidence pages that may not import economy: a panel on
the coordinator's dashboard, a layer the map can draw, a section of the PDF brief — through the
registration point `evidence/panels.py` — and a purchase shows on the next view of a kept dashboard."""

import pytest
from django.urls import reverse

from ayni.economy import producers
from ayni.evidence import panels
from ayni.lib import pdf
from tests.economy_helpers import SYSTEM
from tests.test_economy_producers import buy, farmer

pytestmark = pytest.mark.django_db


def test_economy_registers_the_share_with_evidence():
    layer = panels.map_layers()[producers.PANEL_KEY]
    assert layer.places is producers.place_shares and layer.figure is producers.panel_figure


def test_the_dashboard_shows_the_share_against_the_target(world, login):
    family, market = farmer(world, "Rosa Quispe", "REGAF-123"), farmer(world, "Mayorista SAC")
    buy(world, world.kitchen, family, 25)
    buy(world, world.kitchen, market, 75)
    page = login(world.coordinator).get(reverse("evidence:dashboard")).content.decode()
    assert "Compras a la agricultura familiar (Ley 31071)" in page and "25.0 %" in page
    assert "La cumplen 0 de 1 municipalidades" in page
    client = login(world.national)
    assert "25.0 %" in client.get(reverse("evidence:dashboard"), {"lugar": "15"}).content.decode()
    assert "Ley 31071" not in client.get(reverse("evidence:dashboard"), {"lugar": "08"}).content.decode()
    # Out of the coordinator's sight, nothing of it.
    other = login(world.coordinator_other).get(reverse("evidence:dashboard")).content.decode()
    assert "Ley 31071" not in other


def test_the_map_draws_the_share_as_a_layer(world, login):
    family = farmer(world, "Rosa Quispe", "REGAF-123")
    buy(world, world.kitchen, family, 40)
    client = login(world.national)
    page = client.get(reverse("evidence:map"), {"indicador": "agricultura-familiar"}).content.decode()
    assert 'value="agricultura-familiar" selected' in page
    assert "<td>Lima</td><td>100" in page  # the one department with purchases, all from family farms
    assert "Mucha necesidad, pocas cocinas" not in page
    by_province = client.get(reverse("evidence:map"), {"indicador": "agricultura-familiar", "nivel": "provincia"})
    assert by_province.status_code == 200


def test_the_brief_has_the_share_and_its_map(world, login, monkeypatch):
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html, base_url=None: html.encode())
    family, market = farmer(world, "Rosa Quispe", "REGAF-123"), farmer(world, "Mayorista SAC")
    buy(world, world.kitchen, family, 30)
    buy(world, world.kitchen, market, 70)
    html = login(world.national).get(reverse("evidence:brief")).content.decode()
    assert "Compras a la agricultura familiar (Ley 31071)" in html and "30.0 %" in html
    assert "Mapa: Compras a la agricultura familiar (%)" in html


def test_a_purchase_shows_on_the_next_view_of_a_dashboard_kept_in_the_cache(world, login):
    buy(world, world.kitchen, farmer(world, "Rosa Quispe", "REGAF-123"), 30)
    buy(world, world.kitchen, farmer(world, "Mayorista SAC"), 70)
    client = login(world.national)
    assert "30.0 %" in client.get(reverse("evidence:dashboard")).content.decode()
    buy(world, world.kitchen, farmer(world, "Juana Mamani", "REGAF-456"), 100)
    assert "65.0 %" in client.get(reverse("evidence:dashboard")).content.decode()


def test_a_cancelled_purchase_leaves_the_next_view_of_the_pages_kept_in_the_cache(world, login):
    """The dashboard and the national list are kept under the revision of the roll-up cells: a
    cancellation moves it in its own transaction, so the next view no longer counts it."""
    buy(world, world.kitchen, farmer(world, "Rosa Quispe", "REGAF-123"), 30)
    wrong = buy(world, world.kitchen, farmer(world, "Mayorista SAC"), 70)
    client = login(world.national)
    assert "30.0 %" in client.get(reverse("evidence:dashboard")).content.decode()
    assert "30.0 %" in client.get(reverse("economy:family_farming")).content.decode()
    producers.cancel_purchase(scope=SYSTEM, purchase=wrong)
    assert "100.0 %" in client.get(reverse("evidence:dashboard")).content.decode()
    page = client.get(reverse("economy:family_farming")).content.decode()
    assert "100.0 %" in page and "30.0 %" not in page
