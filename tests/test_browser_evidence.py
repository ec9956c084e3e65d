"""In real Chromium: the national board opens the dashboard and the map on a 360-px phone and on
a laptop; both fit the screen without sideways scrolling, and the screenshots the README shows
are written to docs/screens/ when AYNI_SCREENSHOTS=1 (otherwise to a temporary folder)."""


import pytest

from tests.browser import checked_page, log_in, screens_dir
from tests.conftest import PASSWORD, as_scope, build_world, kind
from tests.evidence_helpers import add_activity
from tests.kitchens import days_ago, report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"telefono": 360, "laptop": 1280}


def more_kitchens(w):
    """A few kitchens in other departments, so the national picture has something to compare."""
    from ayni.geo.models import District
    from ayni.orgs.services import create_organisation

    for n, code in enumerate(["040101", "210101", "130101", "200101", "050101"]):
        district = District.objects.get(code=code)
        fed = create_organisation(scope=as_scope(None), kind=kind("federacion-provincial"), parent=w.confed,
                                  name=f"Federación Provincial de {district.province.name.title()}", district=district)
        for k in range(3):
            kitchen = create_organisation(scope=as_scope(None), kind=kind("comedor-popular"), parent=fed,
                                          name=f"Comedor {district.name.title()} {k + 1}", district=district)
            for d in range(0, 50, 1 + (n + k) % 3):
                report(kitchen, days_ago(d), served_paying=25 + 5 * n, served_subsidised=10 + k, served_free=2 + n,
                       rations_prepared=80)


def test_the_national_dashboard_and_the_map_fit_a_phone_and_a_laptop(browser, live_server, tmp_path):
    world = build_world()
    add_activity(world)
    more_kitchens(world)
    out = screens_dir(tmp_path)
    for label, width in WIDTHS.items():
        with checked_page(browser, live_server, width=width, height=800) as page:
            log_in(page, "nora", PASSWORD)
            page.get_by_role("link", name="Evidencia", exact=True).click()
            page.get_by_role("heading", name="Evidencia: Confederación de Prueba").wait_for()
            assert page.locator("svg[role=img]").count() >= 5
            # Every figure is a link to the list behind it.
            assert page.locator("a.stat").count() == 8
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.screenshot(path=str(out / f"tablero-{label}.png"), full_page=True)
            # The data behind a chart opens without JavaScript.
            page.get_by_text("Ver los datos").first.click()
            assert page.locator("details[open] table").first.is_visible()

            page.get_by_role("link", name="Mapa: necesidad y cobertura").click()
            page.get_by_label("Nivel").select_option("provincia")
            page.get_by_role("button", name="Ver").click()
            page.get_by_role("heading", name="Mucha necesidad, pocas cocinas").wait_for()
            assert page.locator("svg[role=img] path").count() > 300  # two maps of 195 provinces
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.screenshot(path=str(out / f"mapa-{label}.png"), full_page=True)
    for name in ("tablero-telefono", "tablero-laptop", "mapa-telefono", "mapa-laptop"):
        assert (out / f"{name}.png").stat().st_size > 10_000
