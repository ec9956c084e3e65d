"""The dashboard's body is kept once for every viewer of the same figures (evidence/cache.py), and
never outlives them: the next view after any save that moves a figure is drawn afresh."""

import pickle
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from ayni.evidence import cache as page_cache
from ayni.kitchens import services
from ayni.kitchens.models import FiguresRevision
from ayni.orgs.services import update_organisation
from tests.conftest import as_scope
from tests.evidence_helpers import add_activity, selection
from tests.kitchens import TODAY, days_ago, move, report

pytestmark = pytest.mark.django_db

URL = reverse("evidence:dashboard")


@pytest.fixture
def active(world):
    add_activity(world)
    return world


def rations(client, params=None) -> str:
    page = client.get(URL, params or {})
    assert page.status_code == 200
    html = page.content.decode()
    # The figures (the header and the footer have the CSRF token).
    return html[html.index('<div class="grid">') : html.index("</main>")]


def served(body: str) -> str:
    return re.search(r"<b>([^<]*)</b>raciones servidas", body).group(1)


def test_a_second_view_of_the_same_figures_is_served_from_the_cache(active, login):
    client = login(active.national)
    first = rations(client)
    keys = len(cache._cache)  # noqa: SLF001 - the local-memory cache of the tests
    assert rations(client) == first
    assert len(cache._cache) == keys  # noqa: SLF001


def test_a_report_saved_on_the_web_shows_on_the_next_view(active, login):
    client = login(active.national)
    before = rations(client)
    report(
        active.kitchen,
        days_ago(45),
        served_paying=123_456,
        served_subsidised=0,
        served_free=0,
        rations_prepared=123_456,
        confirm=True,
    )
    after = rations(client)
    assert served(after) != served(before)


def test_a_batch_synced_from_a_phone_shows_on_the_next_view(active, login):
    client = login(active.coordinator)
    sel = selection(active.coordinator)
    before_key = page_cache.page_key("dashboard", sel, "org")
    rations(client)
    items = [
        services.ReportItem(
            date=days_ago(n),
            version=0,
            confirm=True,
            fields={
                "rations_prepared": 900,
                "served_paying": 900,
                "served_subsidised": 0,
                "served_free": 0,
                "price_per_ration": Decimal("3.50"),
                "menu": "Sopa",
                "cooks": "Rosa",
                "cooks_count": 1,
                "cash_received": Decimal(0),
            },
        )
        for n in (50, 51)
    ]
    outcomes = services.save_daily_reports(scope=as_scope(None), kitchen=active.olla, items=items)
    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert page_cache.page_key("dashboard", sel, "org") != before_key


def test_a_stock_change_that_raises_a_food_alert_moves_the_revision(active):
    sel = selection(active.national)
    before = page_cache.revision(sel)
    move(active.kitchen_other, "arroz", "used", 90, TODAY, confirm=True)  # almost nothing left: an alert
    assert page_cache.revision(sel) != before


def test_renaming_a_federation_shows_its_new_name_on_the_next_view(active, login):
    client = login(active.national)
    assert "Federación Renombrada" not in rations(client)
    update_organisation(scope=as_scope(None), organisation=active.lima, name="Federación Renombrada")
    assert "Federación Renombrada" in rations(client)


def test_a_domain_invalidates_the_pages_of_an_organisation_with_one_call(active):
    sel = selection(active.national)
    before = page_cache.page_key("dashboard", sel, "org")
    page_cache.invalidate(active.kitchen)
    assert page_cache.page_key("dashboard", sel, "org") != before
    # Only the cells under the organisation move: another federation's pages stay kept.
    other = selection(active.coordinator_other)
    kept = page_cache.page_key("dashboard", other, "org")
    page_cache.invalidate(active.kitchen)
    assert page_cache.page_key("dashboard", other, "org") == kept


def test_viewers_with_different_reach_never_share_a_page(active, login):
    national = selection(active.national)
    coordinator = selection(active.coordinator)
    assert page_cache.page_key("dashboard", national, "org") != page_cache.page_key("dashboard", coordinator, "org")
    lima = rations(login(active.coordinator))
    cusco = rations(login(active.coordinator_other))
    assert lima != cusco


def test_a_kept_page_holds_no_personal_data(active, login):
    rations(login(active.national))
    kept = [v for k, v in cache._cache.items() if page_cache.KEY_PREFIX in k]  # noqa: SLF001
    assert kept
    for person in (active.leader,):
        assert person.get_full_name() not in str(kept) or not person.get_full_name()
    assert "10293847" not in str(kept)  # a DNI on the roll


def test_every_cell_revision_only_grows(active):
    rows = dict(FiguresRevision.objects.values_list("path", "n"))
    report(active.kitchen, TODAY, served_paying=41)
    after = dict(FiguresRevision.objects.values_list("path", "n"))
    assert set(rows) <= set(after)
    assert all(after[p] >= n for p, n in rows.items())
    assert any(after[p] > n for p, n in rows.items())


# --- The map page: its body kept the same way, under the same revision ---------------------------

MAP = reverse("evidence:map")


def map_body(client, params=None) -> str:
    page = client.get(MAP, params or {})
    assert page.status_code == 200
    html = page.content.decode()
    return html[html.index('<div class="two">') : html.index("</main>")]


def kept_pages(name: str) -> list[str]:
    """The bodies of page `name` in the tests' local-memory cache, which keeps them pickled."""
    return [
        pickle.loads(v)  # noqa: S301 - our own cache, in the test process
        for k, v in cache._cache.items()  # noqa: SLF001
        if f"{page_cache.KEY_PREFIX}:{name}:" in k
    ]


def test_a_second_view_of_the_map_is_served_from_the_cache(active, login):
    client = login(active.national)
    first = map_body(client, {"nivel": "provincia", "indicador": "vulnerabilidad"})
    assert len(kept_pages("map")) == 1
    assert map_body(client, {"nivel": "provincia", "indicador": "vulnerabilidad"}) == first
    assert len(kept_pages("map")) == 1
    # Another level or indicator is another page.
    map_body(client, {"nivel": "departamento", "indicador": "vulnerabilidad"})
    assert len(kept_pages("map")) == 2


def test_closing_a_kitchen_shows_on_the_next_view_of_the_map(active, login):
    from ayni.orgs.services import set_status

    client = login(active.coordinator_other)  # Cusco: one kitchen, so its coverage drops to none
    sel = selection(active.coordinator_other)
    before_key = page_cache.page_key("map", sel, "provincia", "vulnerabilidad")
    before = map_body(client, {"nivel": "provincia", "indicador": "vulnerabilidad"})
    set_status(scope=as_scope(None), organisation=active.kitchen_other, status="closed", on=TODAY, reason="Cerró")
    assert page_cache.page_key("map", sel, "provincia", "vulnerabilidad") != before_key
    after = map_body(client, {"nivel": "provincia", "indicador": "vulnerabilidad"})
    assert after != before
    # Drawn afresh, it is what a page drawn with nothing kept shows.
    cache.clear()
    assert map_body(client, {"nivel": "provincia", "indicador": "vulnerabilidad"}) == after


def test_the_map_of_a_viewer_with_another_reach_is_never_shared(active, login):
    lima = map_body(login(active.coordinator), {"indicador": "vulnerabilidad"})
    cusco = map_body(login(active.coordinator_other), {"indicador": "vulnerabilidad"})
    assert lima != cusco
    assert len(kept_pages("map")) == 2


def test_a_kept_map_holds_no_personal_data(active, login):
    client = login(active.national)
    for level in ("departamento", "provincia"):
        for indicator in ("pobreza", "vulnerabilidad"):
            map_body(client, {"nivel": level, "indicador": indicator})
    kept = " ".join(kept_pages("map"))
    assert kept.count("<svg") >= 8
    for person in (active.member, active.member_other):
        for text in (person.given_names, person.paternal_surname, person.dni, person.phone):
            assert not text or text not in kept, text
    for user in (active.leader, active.coordinator, active.national):
        assert user.username not in kept
    assert "csrfmiddlewaretoken" not in kept


def test_the_link_to_publish_is_hers_alone_on_a_page_kept_for_everyone(active, login):
    """The heading and the form are kept with the figures (one cache read for the page); the
    link to publish the figures is put in for whoever may edit the organisation, never kept."""
    link = reverse("evidence:public_settings", args=[active.confed.pk])
    national = login(active.national).get(URL).content.decode()
    keys = len(cache._cache)  # noqa: SLF001 - the local-memory cache of the tests
    viewer = login(active.viewer).get(URL).content.decode()
    assert len(cache._cache) == keys  # noqa: SLF001 - the same reach: the same kept page
    assert link in national and "Datos abiertos" in national
    assert link not in viewer and "Datos abiertos" not in viewer
    for page in (national, viewer):
        assert "ayni:publicar" not in page
        assert page.count("<h1>") == 1 and page.index("<h1>") < page.index('<div class="grid">')
    kept = [v for k, v in cache._cache.items() if page_cache.KEY_PREFIX in k]  # noqa: SLF001
    assert kept and link not in str(kept)


def test_the_form_shows_what_she_typed_on_a_kept_page(active, login):
    """The same selection asked for in two ways: each page's form shows what was typed."""
    client = login(active.national)
    month = TODAY.replace(day=1).strftime("%Y-%m")
    typed = client.get(URL, {"hasta": month}).content.decode()
    bare = client.get(URL).content.decode()
    assert f'name="hasta" value="{month}"' in typed
    assert 'name="hasta" value=' not in bare
    assert client.get(URL, {"hasta": month}).content.decode().count(f'value="{month}"') == typed.count(
        f'value="{month}"')
