"""A real OpenRosa client against the server, in Chromium: ODK Web Forms (@getodk/web-forms, from
npm for the tests only: tests/webforms/, installed by scripts/ensure-webforms) inside a small
host page that does what ODK Collect does — reads the form list and the manifest, downloads the
form and its CSV lists, and posts the instance ODK Web Forms prepares to the submission URL.
The host page is served at the live server's own address by Playwright (it is not part of Ayni)."""

import mimetypes
from pathlib import Path

import pytest

from ayni.kitchens.models import DailyReport
from tests.browser import ARGS, CHROMIUM, _missing
from tests.conftest import PASSWORD, build_world
from tests.kitchens import TODAY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLIENT = Path(__file__).parent / "webforms"
WEB_FORMS = CLIENT / "node_modules" / "@getodk" / "web-forms" / "dist" / "index.js"


@pytest.fixture
def client_page(live_server):
    if not Path(CHROMIUM).exists():
        _missing("Debian's Chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    if not WEB_FORMS.exists():
        _missing("ODK Web Forms is not installed for the browser tests (bash scripts/ensure-webforms)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 360, "height": 740}, base_url=live_server.url)

        def serve(route):
            path = CLIENT / route.request.url.split("/__webforms/", 1)[1].split("?", 1)[0]
            if not path.resolve().is_relative_to(CLIENT.resolve()) or not path.is_file():
                return route.fulfill(status=404)
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return route.fulfill(body=path.read_bytes(), content_type=kind if not path.suffix == ".js"
                                 else "text/javascript")

        page.route("**/__webforms/**", serve)
        yield page
        browser.close()


def field(page, label: str):
    """The input of the question with this label, as ODK Web Forms lays it out."""
    return page.locator(".question-container", has=page.get_by_text(label, exact=True)).locator("input").first


def test_odk_web_forms_lists_renders_fills_and_submits_the_daily_report(client_page):
    world = build_world()
    page = client_page
    page.goto(f"/__webforms/index.html?server=/odk/&user=rosa&password={PASSWORD}")
    page.get_by_text("formularios: 3").wait_for()
    page.get_by_role("button", name="Parte diario").click()
    # The kitchen comes from her kitchens.csv (the manifest), the date from the form's today().
    page.get_by_text("Comedor Popular Santa Rosa").click()
    for label, value in (("Raciones preparadas", "85"), ("Raciones servidas pagantes", "60"),
                         ("Raciones servidas subsidiadas", "15"), ("Raciones gratuitas (casos sociales)", "8"),
                         ("Precio por ración (S/)", "3.5"), ("Número de cocineras", "2")):
        field(page, label).click()  # typed key by key: PrimeVue's number inputs read keystrokes
        field(page, label).press_sequentially(value)
        field(page, label).press("Tab")
    page.get_by_role("button", name="Send").click()
    page.locator("#status[data-code]").wait_for()
    # A new day's report is checked, stored and answered at once, then saved in a batch by the task
    # worker (here the tasks run at once): the answer says so.
    assert page.locator("#status").inner_text() == (
        "201 Recibido en Ayni; se guardará en unos segundos. Si algo no cuadra, le avisaremos por mensaje y lo "
        "verá su coordinadora en Ayni.")
    saved = DailyReport.objects.get(kitchen=world.kitchen, date=TODAY)
    assert (saved.rations_prepared, saved.served_paying, saved.served_free, saved.cooks_count) == (85, 60, 8, 2)
    assert saved.updated_by == world.leader
