"""Count the taps: each of the leader's daily tasks, on a 360-px phone, from her home page to the
saved result, every tap, choice and field typed counted as one action. The count is in each test's
name and pinned: a change that adds a step fails here and has to say why. Goals (issue 13):
today's report in at most 14 actions including its numbers, the others in at most 6."""

from decimal import Decimal

import pytest

from ayni.kitchens import services
from ayni.kitchens.models import DailyReport, StockBalance
from ayni.rolls.models import RollEntry
from tests.browser import log_in
from tests.conftest import PASSWORD, as_scope, build_world
from tests.kitchens import TODAY, days_ago, item, move
from tests.phone_checks import assert_fits_the_phone
from tests.rolls_helpers import put_on_roll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Taps:
    """Her actions on the page, counted: a tap (click, check, choice) or a field typed in."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def tap(self, locator):
        self.count += 1
        locator.click()

    def type(self, locator, text: str):
        self.count += 1
        locator.fill(text)

    def choose(self, locator, **option):
        self.count += 1
        locator.select_option(**option)

    def check(self, locator):
        self.count += 1
        locator.check()


def at_home(page, world):
    log_in(page, "rosa", PASSWORD)
    page.get_by_role("heading", name="Cocina").wait_for()
    return Taps(page)


def test_todays_report_takes_9_actions_from_her_home(page):
    world = build_world()
    taps = at_home(page, world)
    p = page
    taps.tap(p.get_by_role("link", name="Parte de hoy"))
    assert_fits_the_phone(p)
    taps.type(p.get_by_label("Raciones preparadas"), "80")
    taps.type(p.get_by_label("Raciones servidas pagantes"), "50")
    taps.type(p.get_by_label("Raciones servidas subsidiadas"), "22")
    taps.type(p.get_by_label("Raciones gratuitas (casos sociales)"), "6")
    taps.type(p.get_by_label("Dinero recibido (S/)"), "150")
    taps.type(p.get_by_label("Menú", exact=True), "Arroz con lentejas")
    taps.type(p.get_by_label("Número de cocineras"), "3")
    taps.tap(p.get_by_role("button", name="Guardar"))
    p.get_by_text("Se guardó el parte").wait_for()
    report = DailyReport.objects.get(kitchen=world.kitchen, date=TODAY)
    assert (report.rations_prepared, report.rations_served, report.cash_received) == (80, 78, Decimal(150))
    assert taps.count == 9 <= 14


def test_food_used_in_the_kitchen_takes_5_actions_from_her_home(page):
    world = build_world()
    move(world.kitchen, "arroz", "state", 100, days_ago(5))
    move(world.kitchen, "arroz", "used", 10, days_ago(1))
    taps = at_home(page, world)
    p = page
    taps.tap(p.get_by_role("link", name="Almacén y meses"))
    taps.tap(p.get_by_role("link", name="Entrada o salida de alimentos"))
    assert_fits_the_phone(p)
    # The form opens on "used in the kitchen", today: she picks the food and types the amount.
    taps.choose(p.get_by_label("Alimento"), label="Arroz (kg)")
    taps.type(p.get_by_label("Cantidad", exact=True), "8")
    taps.tap(p.get_by_role("button", name="Guardar"))
    p.get_by_text("Se registró: Usado en la cocina: 8 kg Arroz").wait_for()
    assert StockBalance.objects.get(kitchen=world.kitchen, item_id="arroz").quantity == 82
    assert taps.count == 5 <= 6


def test_a_delivery_received_takes_4_actions_from_her_home(page):
    world = build_world()
    for due in (days_ago(300), days_ago(2)):  # an old one still open, and the one due now
        services.create_schedule(scope=as_scope(None), kitchen=world.kitchen, municipality=world.kitchen.district,
                                 item=item("arroz"), quantity=Decimal(30), period_start=due, period_end=due,
                                 due_on=due)
    taps = at_home(page, world)
    p = page
    taps.tap(p.get_by_role("link", name="Almacén y meses"))
    taps.tap(p.get_by_role("link", name="Registrar entrega recibida"))
    assert_fits_the_phone(p)
    # The delivery due now is proposed; she types what arrived.
    taps.type(p.get_by_label("Cantidad recibida"), "30")
    taps.tap(p.get_by_role("button", name="Guardar"))
    p.get_by_text("Se registró la entrega recibida").wait_for()
    receipt = world.kitchen.delivery_schedules.get(due_on=days_ago(2)).receipts.get()
    assert receipt.quantity == 30
    assert taps.count == 4 <= 6


def test_adding_a_person_to_her_roll_takes_6_actions_from_her_home(page):
    world = build_world()
    put_on_roll(world.kitchen, category="adulto-mayor", given_names="Eusebia", paternal_surname="Mamani")
    taps = at_home(page, world)
    p = page
    taps.tap(p.get_by_role("link", name="Agregar al padrón de usuarios"))
    assert_fits_the_phone(p)
    # The category starts on the commonest on her roll, the date on today, the ration subsidised.
    taps.type(p.get_by_label("Nombres"), "Teodora")
    taps.type(p.get_by_label("Apellido paterno"), "Ccori")
    taps.type(p.get_by_label("Apellido materno"), "Huarcaya")
    taps.check(p.get_by_label("Hoja firmada"))
    taps.tap(p.get_by_role("button", name="Guardar", exact=True))
    p.get_by_text("Se agregó a Teodora Ccori Huarcaya al padrón").wait_for()
    entry = RollEntry.objects.get(person__given_names="Teodora")
    assert (entry.kitchen, entry.category_id, entry.since) == (world.kitchen, "adulto-mayor", TODAY)
    assert taps.count == 6 <= 6
