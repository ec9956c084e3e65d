"""The leader's day on a cheap phone (360 px, real Chromium), one test per thing that went wrong:
a slip of 500 kg became a crisis; a delivery went to January; "anular" acted in one tap; a day
without cooking asked for seven numbers; a confirmation box appeared after a hard error; and a
report saved offline was tapped twice and came back as a false conflict. axe-core checks every
page on the way (`assert_accessible`)."""

import datetime
import re
from decimal import Decimal

import pytest

from ayni.capture.models import Inbound
from ayni.kitchens import services
from ayni.kitchens.models import DailyReport, DeliveryReceipt, StockBalance, StockMovement
from tests.browser import assert_accessible, log_in
from tests.conftest import PASSWORD, as_scope, build_world
from tests.kitchens import TODAY, days_ago, item, move, report
from tests.test_browser_capture import YESTERDAY, form_url, open_online

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT_HEIGHT = 740
THUMB = 44  # px: the smallest target a thumb hits reliably


def balance(kitchen, code="arroz"):
    return StockBalance.objects.get(kitchen=kitchen, item_id=code).quantity


def assert_tappable(locator):
    box = locator.bounding_box()
    assert box["width"] >= THUMB and box["height"] >= THUMB, f"{locator}: {box['width']}×{box['height']} px"
    return box


def assert_apart(upper, lower, gap=8):
    """Two targets one under the other (or side by side), with room between them."""
    vertical = lower["y"] - (upper["y"] + upper["height"])
    horizontal = max(lower["x"] - (upper["x"] + upper["width"]), upper["x"] - (lower["x"] + lower["width"]))
    assert max(vertical, horizontal) >= gap, (upper, lower)


def promise(kitchen, code, quantity, due):
    return services.create_schedule(scope=as_scope(None), kitchen=kitchen, municipality=kitchen.district,
                                    item=item(code),
                                    quantity=Decimal(quantity), period_start=min(due, TODAY) - datetime.timedelta(30),
                                    period_end=min(due, TODAY), due_on=due)


def test_a_slip_of_500_kg_is_asked_again_and_a_negative_balance_waits_for_the_count(page):
    world = build_world()
    move(world.kitchen, "arroz", "state", 158, days_ago(10))
    for n in range(5, 10):
        move(world.kitchen, "arroz", "used", 12, days_ago(n))  # 98 kg left, 12 kg a day
    move(world.kitchen, "aceite", "state", 10, days_ago(10))
    move(world.kitchen, "aceite", "used", 10, days_ago(2))  # the oil really ran out

    log_in(page, "rosa", PASSWORD)
    assert_accessible(page)
    page.get_by_role("link", name="Almacén y meses").click()
    assert_accessible(page)
    page.get_by_role("link", name="Entrada o salida de alimentos").click()
    # From the daily path the form starts on what happens every day.
    assert page.get_by_label("Tipo de movimiento").input_value() == "used"
    assert_accessible(page)
    page.get_by_label("Alimento").select_option(label="Arroz (kg)")
    page.get_by_label("Cantidad", exact=True).fill("500")
    page.get_by_role("button", name="Guardar").click()

    # Asked on the same page, her input kept, nothing saved yet.
    page.get_by_text("solo hay 98 kg según el kárdex").wait_for()
    box = page.get_by_role("checkbox", name="Sí, está bien: 500 kg de arroz (usado en la cocina).")
    assert box.is_visible() and not box.is_checked()
    assert_tappable(page.locator("label", has=box))
    assert page.get_by_label("Cantidad", exact=True).input_value() == "500"
    assert page.get_by_label("Tipo de movimiento").input_value() == "used"
    assert balance(world.kitchen) == 98 and StockMovement.objects.filter(kind="used", item="arroz").count() == 5
    assert_accessible(page)

    page.get_by_label("Cantidad", exact=True).fill("50")  # the slip, corrected
    page.get_by_role("button", name="Guardar").click()
    page.get_by_text("Se registró: Usado en la cocina: 50 kg Arroz").wait_for()
    assert balance(world.kitchen) == 48
    assert_accessible(page)

    # A slip that did get through (confirmed, or by text message) drives the book below zero:
    # the coordinator reads it as something to count, not as a kitchen without food.
    move(world.kitchen, "arroz", "used", 450, TODAY, confirm=True)
    assert balance(world.kitchen) == -402
    page.get_by_role("button", name="Salir").click()
    log_in(page, "carmen", PASSWORD)
    line = page.locator("#atencion li", has_text="Comedor Popular Santa Rosa")
    line.wait_for()
    assert "Arroz: el kárdex marca -402 kg, a revisar en el próximo conteo" in line.inner_text()
    assert "sin arroz" not in line.inner_text() and "sin aceite" in line.inner_text()
    assert_accessible(page)


def test_the_receipt_form_proposes_the_delivery_due_now_in_words_that_fit_and_asks_about_too_much(page):
    world = build_world()
    for months in range(11, 0, -1):  # eleven deliveries still open from the past year, the oldest first
        promise(world.kitchen, "arroz", 20, days_ago(10 + 30 * months))
    due_now = promise(world.kitchen, "arroz", 20, days_ago(1))
    promise(world.kitchen, "arroz", 20, TODAY + datetime.timedelta(days=25))

    log_in(page, "rosa", PASSWORD)
    page.goto(f"/cocina/{world.kitchen.pk}/")
    page.get_by_role("link", name="Registrar entrega recibida").first.click()
    schedule = page.get_by_label("Entrega programada")
    assert schedule.input_value() == str(due_now.pk)
    chosen = schedule.locator("option:checked").inner_text()
    assert chosen.startswith(due_now.due_on.strftime("%d/%m")) and "Arroz" in chosen and "20 kg" in chosen
    # Every option, date first, fits the list on the phone (the dates used to be cut off).
    options = page.evaluate("""() => {
        const s = document.querySelector('#id_schedule'), css = getComputedStyle(s);
        const pen = document.createElement('canvas').getContext('2d');
        pen.font = css.font;
        const room = s.clientWidth - parseFloat(css.paddingLeft) - parseFloat(css.paddingRight) - 24;  // the arrow
        return Array.from(s.options).map(o => [o.text, pen.measureText(o.text).width, room]);
    }""")
    assert len(options) == 13
    for text, width, room in options:
        assert width <= room, f"{text!r} needs {width:.0f} px of {room:.0f}"
        assert re.match(r"\d\d/\d\d", text), text
    assert_accessible(page)

    page.get_by_label("Cantidad recibida").fill("30")
    page.get_by_role("button", name="Guardar").click()
    page.get_by_text("prometió 20 kg: serían 10 kg de más").wait_for()
    assert not DeliveryReceipt.objects.exists()
    assert page.get_by_label("Entrega programada").input_value() == str(due_now.pk)
    assert page.get_by_label("Cantidad recibida").input_value() == "30"
    assert_accessible(page)
    page.get_by_role("checkbox", name=f"Sí, está bien: llegaron 30 kg para la entrega del "
                                      f"{due_now.due_on:%d/%m/%Y}.").check()
    page.get_by_role("button", name="Guardar").click()
    page.get_by_text("Se registró la entrega recibida").wait_for()
    assert DeliveryReceipt.objects.get().schedule == due_now and balance(world.kitchen) == 30
    assert_accessible(page)


def test_anular_asks_first_with_big_targets_apart_and_takes_back_only_when_confirmed(page):
    world = build_world()
    schedule = promise(world.kitchen, "aceite", 20, days_ago(5))
    for quantity, day in ((10, days_ago(4)), (8, days_ago(2))):
        services.record_receipt(scope=as_scope(None), schedule=schedule, received_on=day, quantity=Decimal(quantity))

    log_in(page, "rosa", PASSWORD)
    page.goto(f"/cocina/{world.kitchen.pk}/entregas/")
    buttons = page.get_by_role("link", name=re.compile(r"^Anular la recepción"))
    assert buttons.count() == 2
    first, second = (assert_tappable(buttons.nth(n)) for n in range(2))
    assert_apart(first, second)
    assert_accessible(page)

    buttons.first.click()
    page.get_by_role("heading", name="¿Anular este registro?").wait_for()
    assert DeliveryReceipt.objects.count() == 2  # a tap alone takes nothing back
    page.get_by_text(f"Recepción del {days_ago(2):%d/%m/%Y}: 8 litro de Aceite").wait_for()
    yes = page.get_by_role("button", name="Sí, anular")
    no = page.get_by_role("link", name="No, volver sin anular")
    assert_apart(assert_tappable(yes), assert_tappable(no), gap=16)
    assert_accessible(page)
    no.click()
    page.get_by_role("heading", name="Entregas prometidas y recibidas").wait_for()
    assert DeliveryReceipt.objects.count() == 2

    buttons.first.click()
    page.get_by_role("button", name="Sí, anular").click()
    page.get_by_text("Se anuló la recepción").wait_for()
    assert list(DeliveryReceipt.objects.values_list("quantity", flat=True)) == [10]
    assert balance(world.kitchen, "aceite") == 10
    assert_accessible(page)


def test_a_day_without_cooking_asks_only_for_the_reason(page):
    world = build_world()
    log_in(page, "rosa", PASSWORD)
    page.get_by_role("link", name="Parte de hoy").click()
    assert_accessible(page)
    page.get_by_label("Raciones preparadas").fill("")  # she had started, then stopped: no gas
    page.get_by_label("Hoy no se cocinó").check()
    for label in ("Raciones preparadas", "Raciones servidas pagantes", "Raciones servidas subsidiadas",
                  "Raciones gratuitas (casos sociales)", "Precio por ración (S/)", "Dinero recibido (S/)",
                  "Número de cocineras"):
        assert not page.get_by_label(label).is_visible(), label
    reason = page.get_by_label("Motivo (si no se cocinó)")
    assert reason.is_visible()
    assert_tappable(page.locator("label", has=page.get_by_label("Hoy no se cocinó")))
    assert_accessible(page)
    reason.fill("Sin gas")
    page.get_by_role("button", name="Guardar el parte").click()
    page.get_by_text("Se guardó el parte").wait_for()
    saved = DailyReport.objects.get(kitchen=world.kitchen, date=TODAY)
    assert saved.is_closed and saved.closed_reason == "Sin gas" and saved.rations_prepared == 0
    assert_accessible(page)


def fill_report(page, prepared, paying, subsidised=0, free=0, price="3.5", cash="100"):
    page.get_by_label("Raciones preparadas").fill(str(prepared))
    page.get_by_label("Raciones servidas pagantes").fill(str(paying))
    page.get_by_label("Raciones servidas subsidiadas").fill(str(subsidised))
    page.get_by_label("Raciones gratuitas (casos sociales)").fill(str(free))
    page.get_by_label("Precio por ración (S/)").fill(price)
    page.get_by_label("Dinero recibido (S/)").fill(cash)


def test_the_confirmation_box_appears_only_for_a_warning_and_says_what_it_confirms(page):
    world = build_world()
    log_in(page, "rosa", PASSWORD)
    page.goto(form_url(world, TODAY))
    fill_report(page, prepared=50, paying=60)
    page.get_by_role("button", name="Guardar el parte").click()
    page.get_by_text("las servidas no pueden ser más que las preparadas").wait_for()
    # A hard error: nothing to confirm, so no box (ticking one changed nothing).
    assert page.get_by_role("checkbox").count() == 1  # "Hoy no se cocinó" alone
    assert page.get_by_text("Confirmo").count() == 0 and page.get_by_text("Sí, está bien").count() == 0
    assert_accessible(page)

    fill_report(page, prepared=1500, paying=1500)
    page.get_by_role("button", name="Guardar el parte").click()
    box = page.get_by_role("checkbox", name="Sí, está bien: 1500 raciones en el día.")
    box.wait_for()
    page.get_by_text("1500 raciones en un día es muchísimo").wait_for()
    assert not DailyReport.objects.exists()
    assert_accessible(page)
    box.check()
    page.get_by_role("button", name="Guardar el parte").click()
    page.get_by_text("Se guardó el parte").wait_for()
    assert DailyReport.objects.get(kitchen=world.kitchen, date=TODAY).rations_prepared == 1500


def test_offline_the_saved_state_shows_by_the_button_and_a_second_copy_is_no_conflict(page):
    world = build_world()
    log_in(page, "rosa", PASSWORD)
    open_online(page, world)
    page.context.set_offline(True)

    page.goto(form_url(world, TODAY))
    fill_report(page, prepared=60, paying=40, subsidised=12, free=5)
    button = page.get_by_role("button", name="Guardar el parte")
    button.click()
    note = page.get_by_text("guardado en el teléfono, se enviará")
    note.wait_for()
    # Where she is looking: right under the button, on screen; and the button rests.
    said, tapped = note.bounding_box(), button.bounding_box()
    assert 0 <= said["y"] and said["y"] + said["height"] <= VIEWPORT_HEIGHT
    assert 0 <= said["y"] - (tapped["y"] + tapped["height"]) <= 40
    assert button.is_disabled()
    assert_accessible(page)
    page.get_by_label("Número de cocineras").fill("2")  # a change: the button works again
    assert button.is_enabled() and not note.is_visible()
    page.get_by_label("Número de cocineras").fill("0")

    # She opens the day again, still without signal, and saves the same numbers a second time.
    page.goto(form_url(world, TODAY))
    fill_report(page, prepared=60, paying=40, subsidised=12, free=5)
    button.click()
    page.get_by_text("Esperando para enviar: 2").wait_for()

    # Yesterday's report, kept on the phone too, while the treasurer saves yesterday differently.
    page.goto(form_url(world, YESTERDAY))
    fill_report(page, prepared=60, paying=40, subsidised=12, free=5)
    page.get_by_role("button", name="Guardar el parte").click()
    page.get_by_text("Esperando para enviar: 3").wait_for()
    report(world.kitchen, YESTERDAY, rations_prepared=60, served_paying=30, served_subsidised=12, served_free=5,
           price_per_ration=Decimal("3.50"), cash_received=Decimal("100.00"), menu="", cooks="", cooks_count=0)

    page.context.set_offline(False)
    page.get_by_text("Se envió lo guardado en el teléfono: 2").wait_for()
    saved = DailyReport.objects.get(kitchen=world.kitchen, date=TODAY)
    assert saved.version == 1 and saved.cash_received == Decimal("100") and saved.served_paying == 40
    assert Inbound.objects.filter(status="accepted").count() == 2
    # The one real conflict lists only what really differs: not 100.00 against 100.
    page.get_by_text("otra persona guardó este día").wait_for()
    rows = page.locator("#outbox-status table tr")
    assert rows.count() == 2 and "Raciones servidas pagantes" in rows.nth(1).inner_text()
    assert_accessible(page)
