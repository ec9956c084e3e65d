"""The map: small enough for a phone, coloured by any indicator, need beside coverage."""

import re

import pytest
from django.urls import reverse

from ayni.evidence import maps
from ayni.orgs.models import Organisation

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("level", ["departamento", "provincia"])
@pytest.mark.parametrize("indicator", maps.NEED + ["cocinas"])
def test_the_whole_map_svg_is_under_15_kb(level, indicator):
    need, coverage = maps.map_data(level, indicator, Organisation.objects.all())
    for data in (need, coverage):
        svg = maps.svg_only(maps.choropleth(data))
        assert len(svg.encode()) < 15_000, (level, indicator, len(svg.encode()))
        assert svg.startswith("<svg") and "<title" in svg and "<desc" in svg
        assert "style=" not in svg and "<script" not in svg


def test_every_department_and_nearly_every_province_has_a_shape():
    geo = maps.shapes()
    assert len(geo["departments"]) == 25 and all(geo["departments"].values())
    # The INEI 2007 polygons predate Putumayo (2014): one province has no shape of its own.
    assert len(geo["provinces"]) >= 195 and all(geo["provinces"].values())


def test_colours_follow_the_indicator():
    need, _coverage = maps.map_data("departamento", "pobreza", Organisation.objects.none())
    svg = maps.svg_only(maps.choropleth(need))
    poorest = max(need.values, key=lambda c: need.values[c] or 0)
    richest = min(need.values, key=lambda c: need.values[c] if need.values[c] is not None else 1e9)
    group_of = {}
    for fill, paths in re.findall(r'<g fill="(#[0-9a-f]{6})">(.*?)</g>', svg):
        for d in re.findall(r'd="([^"]+)"', paths):
            group_of[d] = fill
    geo = maps.shapes()["departments"]
    assert group_of[geo[poorest]] == maps.CLASSES[-1]
    assert group_of[geo[richest]] == maps.CLASSES[0]


def test_coverage_counts_the_kitchens_the_user_sees(world, login):
    page = login(world.coordinator).get(reverse("evidence:map"), {"indicador": "cocinas"})
    assert page.status_code == 200
    need, coverage = maps.map_data("departamento", "pobreza", Organisation.objects.filter(
        path__startswith=world.lima.path, kind__is_kitchen=True))
    assert coverage.values["15"] > 0 and coverage.values["08"] == 0


def test_the_map_page_shows_need_beside_coverage(world, login):
    client = login(world.national)
    for level in ("departamento", "provincia"):
        body = client.get(reverse("evidence:map"), {"nivel": level, "indicador": "vulnerabilidad"}).content.decode()
        assert body.count("<svg") == 2 and "Mucha necesidad, pocas cocinas" in body
