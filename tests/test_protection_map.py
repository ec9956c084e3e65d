"""The counts map: a federation's cases by province, drawn on the server, small counts and
whatever would give them back left blank, provinces outside the federation not shown."""

import datetime
import re
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone

from ayni.accounts.scope import Scope
from ayni.evidence.maps import svg_only
from ayni.geo.models import District
from ayni.protection import selectors
from ayni.protection.models import Case
from tests.protection_helpers import PLANTED_ALIAS, a_case, protection_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def pw(world):
    return protection_world(world)


def _in(pw, code: str, n: int, kind=Case.Kind.VIOLENCE, **extra):
    district = District.objects.get(code=code)
    for i in range(n):
        a_case(pw, alias=f"{code}-{kind}-{i}", kind=kind, district=district, **extra)


def test_blanks_are_safe_against_differencing():
    """Every published figure is 0 or at least five, and so is every total minus what is shown."""
    rows = {
        "150101": Counter(violence=7),
        "150102": Counter(violence=6, land=2),
        "150103": Counter(violence=5),
        "080101": Counter(violence=3),
        "080102": Counter(violence=9),
    }
    blank, provinces = selectors._blank_year(rows, {"1501", "0801"})
    assert "150102" in blank and "080101" in blank  # small themselves
    # Lima's province total (18) minus its shown districts must not leave 8 − 0 < 5 … here 8, fine:
    lima_hidden = sum(sum(rows[d].values()) for d in blank if d.startswith("1501"))
    assert lima_hidden == 0 or lima_hidden >= selectors.MIN_CASES
    # Cusco's total is 12; with 080101 (3) blank, 12 − 9 = 3 would give it back: 080102 goes too.
    assert "080102" in blank
    assert not provinces["0801"].suppressed and not provinces["1501"].suppressed
    # A small province is blank, and so is the next smallest so the federation's total does not give it back.
    blank, provinces = selectors._blank_year(
        {"150101": Counter(violence=20), "080101": Counter(violence=2), "030101": Counter(violence=6)},
        {"1501", "0801", "0301"},
    )
    assert provinces["0801"].suppressed and provinces["0301"].suppressed and not provinces["1501"].suppressed
    assert {"080101", "030101"} <= blank


def test_the_map_shows_counts_by_province_hides_small_ones_and_stays_in_the_federation(client, pw):
    lima, elsewhere = pw.kitchen.district.code, "080101"  # a case of a Lima defensora recorded in Cusco
    _in(pw, lima, 6)
    _in(pw, elsewhere, 2)
    found = selectors.counts(Scope.for_user(pw.coordinator), pw.lima)
    assert "0801" not in found.places and found.elsewhere is None  # 2: blank, and Lima with it
    assert found.places[lima[:4]] is None  # 8 known in all, 6 shown would give the 2 back
    _in(pw, elsewhere, 4)
    found = selectors.counts(Scope.for_user(pw.coordinator), pw.lima)
    assert found.places[lima[:4]] == 6 and found.elsewhere == 6 and "0801" not in found.places

    client.force_login(pw.coordinator)
    page = client.get(reverse("protection:counts", kwargs={"pk": pw.lima.pk})).content.decode()
    svg = svg_only(page)
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg and "style=" not in svg
    assert "Casos por provincia, " in svg
    table = page[page.index("<details") : page.index("</details>")]
    assert "Lima" in table and "Cusco" not in table  # out of the federation: not a place of the map
    assert PLANTED_ALIAS not in page and "0801-violence" not in page and "080101-" not in page
    assert len(svg) < 20_000


def test_a_small_count_is_blank_on_the_map_and_in_its_table(client, pw):
    _in(pw, pw.kitchen.district.code, 3)
    client.force_login(pw.coordinator)
    page = client.get(reverse("protection:counts", kwargs={"pk": pw.lima.pk})).content.decode()
    table = page[page.index("<details") : page.index("</details>")]
    assert re.search(r"Lima</td><td>—</td>", table), table
    assert ">3<" not in page


def test_years_are_chosen_and_each_year_is_blanked_on_its_own(client, pw):
    last_year = timezone.localdate().replace(day=1) - datetime.timedelta(days=400)
    _in(pw, pw.kitchen.district.code, 5)
    _in(pw, pw.kitchen.district.code, 2, opened_on=last_year)
    found = selectors.counts(Scope.for_user(pw.coordinator), pw.lima)
    assert found.year == max(found.years) and len(found.years) == 2
    old = selectors.counts(Scope.for_user(pw.coordinator), pw.lima, year=last_year.year)
    assert old.places[pw.kitchen.district.code[:4]] is None
    client.force_login(pw.coordinator)
    page = client.get(reverse("protection:counts", kwargs={"pk": pw.lima.pk}) + f"?anio={last_year.year}")
    assert page.status_code == 200 and f"Casos por provincia, {last_year.year}" in page.content.decode()


def test_another_federations_counts_are_not_found(client, pw):
    client.force_login(pw.coordinator)  # Lima's coordinator
    assert client.get(reverse("protection:counts", kwargs={"pk": pw.cusco.pk})).status_code == 404
