"""`ayni demo --scale region`: a Bolivian federation beside Peru's, in Bolivia's own terms."""

import re

import pytest
from django.core.management import call_command

from ayni.evidence.maps import country_map
from ayni.geo.models import Area
from ayni.lib.identity import parse_identity
from ayni.ops.integrity import dni_violations
from ayni.orgs.models import Organisation
from ayni.people.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="class")
def region(django_db_setup, django_db_blocker):
    """The region demo, generated once for the tests that read it (none of them changes it: each
    runs in its own transaction on top) and flushed after them, as a transactional test's data is;
    the flush loads the catalogues and the geography again (post_migrate)."""
    with django_db_blocker.unblock():
        call_command("demo", "--scale", "region", verbosity=0)
        yield
        call_command("flush", "--no-input", verbosity=0)


def test_the_map_draws_a_polygon_where_the_pack_has_one_and_a_mark_where_not(db):
    call_command("load-country-pack", "EC", verbosity=0)
    Area.objects.filter(country_id="EC").exclude(code="17").update(boundary=None)
    figure = str(country_map("EC", Organisation.objects.none()))
    assert figure.count("<path") == 1 and figure.count("<circle") == 23
    assert "Cocinas activas por provincia" in figure


def test_ecuadors_provinces_are_drawn_with_galapagos_as_an_inset_and_stay_light(db):
    call_command("load-country-pack", "EC", verbosity=0)
    figure = str(country_map("EC", Organisation.objects.none()))
    svg = figure[figure.index("<svg"):figure.index("</svg>")]
    assert svg.count("<path") == 24 and "<circle" not in svg
    assert "Galápagos, lejos de la costa, se dibuja en un recuadro" in svg and 'stroke-dasharray="2 2"' in svg
    height = float(re.search(r'viewBox="0 0 [0-9.]+ ([0-9.]+)"', svg).group(1))
    assert height > 200  # the mainland is not squeezed into a strip by the islands
    assert len(svg.encode()) < 40_000


def test_other_scales_have_no_second_country():
    call_command("demo", verbosity=0)
    assert not Organisation.objects.exclude(country="PE").exists()



@pytest.mark.usefixtures("region")
class TestTheRegionDemo:
    """What `ayni demo --scale region` makes, read by each test (generated once: it takes a minute on
    PostgreSQL)."""

    def test_the_region_has_a_bolivian_federation_beside_perus(self):
        root = Organisation.objects.get(depth=0)
        federations = Organisation.objects.filter(parent=root, kind_id="federacion-provincial")
        assert set(federations.values_list("country", flat=True)) == {"PE", "BO"}
        bolivian = federations.get(country="BO")
        kitchens = Organisation.objects.filter(path__startswith=bolivian.path, kind__is_kitchen=True)
        assert kitchens.count() == 12
        assert all(k.country == "BO" and k.district_id is None and k.area.code.startswith("0201") for k in kitchens)
        assert not Organisation.objects.filter(country="PE", district__isnull=True, depth__gt=1).exists()

    def test_its_socias_carry_bolivian_numbers_and_phones_valid_by_bolivias_rules(self):
        bolivian = Person.objects.filter(memberships__organisation__country="BO").distinct()
        assert bolivian.count() >= 120
        numbers = [p.dni for p in bolivian if p.dni]
        assert numbers and all(n.startswith("BO-") and parse_identity(n, "BO").number == n for n in numbers)
        assert all(p.phone.startswith("+591") for p in bolivian if p.phone)
        peruvian = Person.objects.filter(memberships__organisation__country="PE").exclude(dni=None)[:200]
        assert all(re.fullmatch(r"[0-9]{8}", p.dni) for p in peruvian)
        assert dni_violations() == []

    def test_the_map_draws_bolivias_departments_with_its_kitchens(self):
        figure = str(country_map("BO", Organisation.objects.filter(kind__is_kitchen=True)))
        assert figure.count("<path") == 9 and "<circle" not in figure  # the pack's departments as polygons
        assert "<title>La Paz: 12</title>" in figure and "<title>Pando: 0</title>" in figure
        assert "Cocinas activas por departamento" in figure
        assert "<td>La Paz</td><td>12</td>" in figure and "<td>Pando</td><td>0</td>" in figure

    def test_the_map_page_draws_the_second_country_beside_perus_maps(self, client):
        from django.urls import reverse

        from ayni.accounts.models import User

        client.force_login(User.objects.get(username="nacional"))
        page = client.get(reverse("evidence:map")).content.decode()
        assert "Cocinas activas en Bolivia" in page
        assert "<td>La Paz</td><td>12</td>" in page
        assert "<title>La Paz: 12</title></path>" in page and "<title>Pando: 0</title></path>" in page

    def test_the_bolivian_federations_map_page_draws_its_departments(self, client):
        from django.urls import reverse

        from ayni.accounts.models import User

        bolivian = Organisation.objects.get(depth=1, country="BO")
        client.force_login(User.objects.get(username="nacional"))
        page = client.get(reverse("evidence:map"), {"org": bolivian.pk}).content.decode()
        bolivia = page[page.index("Cocinas activas en Bolivia"):]
        assert bolivia.count("<path") == 9 and "<circle" not in bolivia[:bolivia.index("</svg>")]
        assert "<title>Chuquisaca: 0</title>" in bolivia
