"""In real Chromium on a 360 px phone: the treasurer opens the meeting sheet with signal, loses
it, runs the whole meeting on the phone — attendance, savings, a repayment, a loan, a fine, the
box count — and when the signal returns the sheet reaches the server exactly once. The share-out
sheet prints."""

import time

import pytest

from ayni.capture.models import Inbound
from ayni.economy import ledger, services
from ayni.economy.models import Attendance, Entry, Meeting
from tests.browser import checked_page, log_in
from tests.conftest import PASSWORD, build_world
from tests.economy_helpers import SYSTEM, days_ago, meeting, savings_group

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def until(page, expression, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


def test_a_whole_meeting_offline_syncs_once_and_the_share_out_prints(browser, live_server):
    world = build_world()
    group, cycle, members = savings_group(world.kitchen, n=3)
    first = meeting(cycle, 40)
    for m in members:
        services.buy_shares(scope=SYSTEM, meeting=first, member=m, shares=5)
    services.disburse_loan(scope=SYSTEM, meeting=first, member=members[0], principal=4000, term_months=2)
    url = f"/economia/{world.kitchen.pk}/banquito/{group.pk}/reunion/"
    with checked_page(browser, live_server) as page:
        context = page.context
        log_in(page, "rosa", PASSWORD)
        page.goto(url)
        until(page, "navigator.serviceWorker.controller !== null")
        page.goto(url)
        until(page, f"caches.open('ayni-1').then(c => c.match('{url}')).then(r => !!r)")

        context.set_offline(True)
        page.goto(url)  # from the phone, no signal
        attendance = page.get_by_role("group", name="1. Asistencia")
        attendance.get_by_role("checkbox", name=members[0].person.full_name).check()
        attendance.get_by_role("checkbox", name=members[1].person.full_name).check()
        page.locator(f"#id_shares_{members[0].pk}").fill("2")
        page.locator(f"#id_shares_{members[1].pk}").fill("3")
        page.locator(f"#id_repay_{members[0].pk}").fill("22")
        page.get_by_text("Anotar un préstamo").click()
        page.locator(f"#id_loan_{members[1].pk}").fill("50")
        page.locator(f"#id_term_{members[1].pk}").fill("2")
        page.get_by_text("Anotar una multa").click()
        page.locator(f"#id_fine_{members[2].pk}").fill("2")
        page.get_by_label("Dinero contado en la caja al terminar").fill("125")
        page.get_by_role("button", name="Guardar la reunión").click()
        page.get_by_text("guardado en el teléfono, se enviará").wait_for()
        page.get_by_text("Esperando para enviar: 1").wait_for()
        assert not Meeting.objects.filter(on=days_ago(0)).exists()

        context.set_offline(False)
        page.get_by_text("Se envió lo guardado en el teléfono: 1").wait_for()
        page.reload()
        page.wait_for_timeout(500)
        today = Meeting.objects.get(cycle=cycle, on=days_ago(0))
        assert Inbound.objects.filter(kind="meeting", status="accepted").count() == 1 == Inbound.objects.count()
        assert Attendance.objects.filter(meeting=today, present=True).count() == 2
        books = ledger.books(services.rows_of(cycle))
        # 150 + 20 + 30 saved, 40 lent before, 22 repaid (4 interest, 18 principal), 50 lent, 2 fine.
        assert books.box == 15000 + 2000 + 3000 - 4000 + 2200 - 5000 + 200 == 13400
        assert (today.box_counted, today.box_difference) == (12500, -900)
        assert Entry.objects.filter(meeting=today).count() == 6

        page.goto(f"/economia/{world.kitchen.pk}/banquito/{group.pk}/reparto/")
        page.get_by_text("Reparto: cálculo previo").wait_for()
        page.emulate_media(media="print")
        assert not page.locator("header.top").is_visible()
        assert page.get_by_role("rowheader", name="Fondo a repartir").is_visible()
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF") and len(pdf) > 1000
