"""In real Chromium on a 360-px phone, in Quechua: a kitchen leader switches the language on the
login page (a plain form, no JavaScript needed), logs in, files her daily report and reads her
confirmation in Quechua. axe-core checks every page on the way."""

import pytest

from ayni.kitchens.models import DailyReport
from tests.browser import assert_accessible
from tests.conftest import PASSWORD, build_world
from tests.kitchens import TODAY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_leader_files_her_daily_report_in_quechua_at_360_px(page):
    world = build_world()
    page.goto("/cuenta/ingresar/")
    page.get_by_role("button", name="Runasimi").click()
    page.get_by_role("heading", name="Ayniman yaykuy").wait_for()
    assert page.locator("html").get_attribute("lang") == "qu"
    assert_accessible(page)
    page.get_by_label("Ruwaq sutiyki utaq celularniyki").fill("rosa")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Yaykuy").click()
    page.get_by_text("Allillanchu").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)

    page.get_by_role("link", name="Kunan punchaw willay").first.click()
    page.get_by_label("Yanusqa raciones").fill("85")
    page.get_by_label("Pagaqkunaman qusqa raciones").fill("60")
    page.get_by_label("Subsidiasqa qusqa raciones").fill("15")
    page.get_by_label("Mana pagaq raciones (casos sociales)").fill("8")
    page.get_by_label("Sapa ración chanin (S/)").fill("3.50")
    page.get_by_label("Chaskisqa qullqi (S/)").fill("210")
    page.get_by_label("Hayka yanuqkuna").fill("2")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)
    page.get_by_role("button", name="Punchaw willayta waqaychay").click()
    page.get_by_text("punchaw willay waqaychasqañam").wait_for()
    assert_accessible(page)
    saved = DailyReport.objects.get(kitchen=world.kitchen, date=TODAY)
    assert (saved.rations_prepared, saved.served_paying, saved.served_free) == (85, 60, 8)
