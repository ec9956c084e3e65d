"""In real Chromium on a phone-sized screen: the leader loses her signal, saves two daily
reports on the phone, reopens the app without signal, and when the network returns both reach
the server exactly once; the coordinator sees them. A report changed on the server meanwhile
comes back as a conflict for her to decide."""

import datetime
import time

import pytest

from ayni.capture.models import Inbound
from ayni.kitchens.models import DailyReport
from tests.browser import checked_page, log_in
from tests.conftest import PASSWORD, build_world
from tests.kitchens import TODAY, report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

YESTERDAY = TODAY - datetime.timedelta(days=1)


@pytest.fixture
def phone(browser, live_server):
    with checked_page(browser, live_server) as page:
        yield page.context, page


def form_url(world, day):
    return f"/cocina/{world.kitchen.pk}/dia/{day.isoformat()}/"


def until(page, expression, timeout=15.0):
    """Poll from Python: `wait_for_function` evaluates a string in the page, which our CSP
    (no 'unsafe-eval') rightly refuses."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


def open_online(page, world):
    """Open the forms once with signal, so the service worker takes the app and keeps them."""
    page.goto(form_url(world, TODAY))
    until(page, "navigator.serviceWorker.controller !== null")
    page.goto(form_url(world, YESTERDAY))
    page.goto(form_url(world, TODAY))
    until(page, "caches.open('ayni-1').then(c => c.keys()).then(k => k.length >= 6)")


def fill(page, paying, subsidised, free):
    page.get_by_label("Raciones preparadas").fill(str(paying + subsidised + free))
    page.get_by_label("Raciones servidas pagantes").fill(str(paying))
    page.get_by_label("Raciones servidas subsidiadas").fill(str(subsidised))
    page.get_by_label("Raciones gratuitas (casos sociales)").fill(str(free))
    page.get_by_role("button", name="Guardar el parte").click()


def test_two_reports_saved_without_signal_arrive_exactly_once_and_the_coordinator_sees_them(phone, browser,
                                                                                            live_server):
    context, page = phone
    world = build_world()
    log_in(page, "rosa", PASSWORD)
    open_online(page, world)

    context.set_offline(True)
    page.goto(form_url(world, TODAY))  # from the phone, no signal
    fill(page, 70, 20, 6)
    page.get_by_text("guardado en el teléfono, se enviará").wait_for()
    page.get_by_text("Esperando para enviar: 1").wait_for()
    page.goto(form_url(world, YESTERDAY))
    fill(page, 64, 18, 4)
    page.get_by_text("Esperando para enviar: 2").wait_for()
    assert not DailyReport.objects.exists()

    # She closes the app and opens it again, still without signal.
    page.goto("/")
    page.get_by_role("link", name="Ayni").wait_for()
    page.goto(form_url(world, TODAY))
    page.get_by_text("Esperando para enviar: 2").wait_for()

    context.set_offline(False)
    page.get_by_text("Se envió lo guardado en el teléfono: 2").wait_for()
    assert page.get_by_text("Esperando para enviar").count() == 0
    page.reload()  # and a second sync finds nothing left to send
    page.wait_for_timeout(500)
    today, yesterday = (DailyReport.objects.get(kitchen=world.kitchen, date=d) for d in (TODAY, YESTERDAY))
    assert (today.served_paying, today.served_subsidised, today.served_free) == (70, 20, 6)
    assert (yesterday.served_paying, yesterday.rations_prepared) == (64, 86)
    assert today.version == 1 and yesterday.version == 1 and today.updated_by == world.leader
    assert Inbound.objects.filter(channel="outbox", status="accepted").count() == 2
    assert Inbound.objects.count() == 2

    office = browser.new_context(base_url=live_server.url, locale="es-PE")
    coordinator = office.new_page()
    log_in(coordinator, "carmen", PASSWORD)
    coordinator.goto(f"/cocina/{world.kitchen.pk}/")
    coordinator.get_by_text(TODAY.strftime("%d/%m/%Y")).first.wait_for()
    coordinator.goto("/captura/estado/")
    row = coordinator.get_by_role("row", name="Comedor Popular Santa Rosa")
    assert TODAY.strftime("%d/%m") in row.inner_text()
    office.close()


def test_a_day_changed_on_the_server_meanwhile_comes_back_as_a_conflict_for_her_to_decide(phone):
    context, page = phone
    world = build_world()
    log_in(page, "rosa", PASSWORD)
    open_online(page, world)

    context.set_offline(True)
    page.goto(form_url(world, TODAY))
    fill(page, 50, 10, 2)
    page.get_by_text("Esperando para enviar: 1").wait_for()
    report(world.kitchen, TODAY, served_paying=33)  # the treasurer saved the day from another phone

    context.set_offline(False)
    page.get_by_text("otra persona guardó este día").wait_for()
    assert DailyReport.objects.get(kitchen=world.kitchen, date=TODAY).served_paying == 33  # not overwritten
    page.get_by_role("button", name="Guardar el mío de todos modos").click()
    page.get_by_text("Se envió lo guardado en el teléfono: 1").wait_for()
    saved = DailyReport.objects.get(kitchen=world.kitchen, date=TODAY)
    assert saved.served_paying == 50 and saved.version == 2
