"""The README's pictures of the daily path, taken in real Chromium at the sizes people use: the
leader's home, today's report and the stock form on a 360-px phone, the coordinator's home on a
1366-px laptop. `make screens` writes them to docs/screens/; an ordinary run takes them too (to a
temporary folder) and checks each page fits."""

import pytest

from tests.browser import checked_page, log_in, screens_dir
from tests.conftest import PASSWORD, build_world
from tests.kitchens import days_ago, kitchen_receipt, move, report
from tests.phone_checks import assert_fits_the_phone
from tests.rolls_helpers import put_on_roll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def a_lived_in_world():
    w = build_world()
    for i, (given, paternal) in enumerate([("Teodosia", "Condori"), ("Eusebia", "Mamani"), ("Nilda", "Huamán")]):
        put_on_roll(w.kitchen, given_names=given, paternal_surname=paternal, maternal_surname="Apaza",
                    dni=f"4102938{i}")
    for day in range(1, 6):
        report(w.kitchen, days_ago(day))
    move(w.kitchen, "arroz", "state", 100, days_ago(10))
    move(w.kitchen, "arroz", "used", 60, days_ago(2))
    move(w.olla, "aceite", "state", 20, days_ago(10))
    move(w.olla, "aceite", "used", 20, days_ago(1))
    kitchen_receipt(w)
    return w


def test_the_leaders_day_on_a_phone(page, tmp_path):
    w = a_lived_in_world()
    out = screens_dir(tmp_path)
    log_in(page, "rosa", PASSWORD)
    assert_fits_the_phone(page)
    page.screenshot(path=str(out / "dirigenta-inicio-telefono.png"), full_page=True)
    page.get_by_role("link", name="Parte de hoy").first.click()
    page.get_by_label("Raciones preparadas").wait_for()
    assert_fits_the_phone(page)
    page.screenshot(path=str(out / "parte-diario-telefono.png"), full_page=True)
    page.goto(f"/cocina/{w.kitchen.pk}/movimiento/")
    assert_fits_the_phone(page)
    page.screenshot(path=str(out / "almacen-telefono.png"), full_page=True)


def test_the_coordinators_home_on_a_laptop(browser, live_server, tmp_path):
    a_lived_in_world()
    out = screens_dir(tmp_path)
    with checked_page(browser, live_server, width=1366, height=768) as page:
        log_in(page, "carmen", PASSWORD)
        page.locator("#atencion").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        page.screenshot(path=str(out / "coordinadora-inicio-laptop.png"), full_page=True)
