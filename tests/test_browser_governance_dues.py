"""On a 360-px phone: the treasurer sees who is behind with the dues, records a payment whose
unusual amount is asked again on the same page, and the dues and election pages fit the phone
and pass axe-core."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from ayni.governance import dues
from ayni.governance.models import DuesPayment
from tests.browser import assert_accessible, log_in
from tests.conftest import PASSWORD, build_world
from tests.governance_helpers import Clock, gov_election, socias
from tests.phone_checks import assert_fits_the_phone
from tests.test_governance_dues import adopted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_treasurer_records_a_payment_and_confirms_an_unusual_amount(page, monkeypatch):
    world = build_world()
    socias(world.kitchen, 3)
    clock = Clock(monkeypatch)
    motion = adopted(world.kitchen, clock)
    clock.at(datetime.datetime.now(datetime.UTC))
    start = dues.add_months(dues.month_start(timezone.localdate()), -6)
    dues.set_dues(scope=dues.Scope.system("prueba"), organisation=world.kitchen, motion=motion, amount=Decimal("5"),
                  period="monthly", starts_on=start)
    log_in(page, "rosa", PASSWORD)
    page.goto(f"/asambleas/{world.kitchen.pk}/cuotas/")
    page.get_by_text("6 cuotas atrasadas").first.wait_for()
    assert_fits_the_phone(page)
    assert_accessible(page)
    page.get_by_role("link", name="Anotar pago").click()
    page.get_by_label("Socia").select_option(label="Socia 1 Prueba001 · DNI —")
    page.get_by_label("Monto pagado (S/)").fill("70")
    page.get_by_role("button", name="Guardar").click()
    page.get_by_text("más que un año de cuotas").wait_for()
    assert not DuesPayment.objects.exists()
    assert_fits_the_phone(page)
    page.get_by_label("Sí, está bien").check()
    page.get_by_role("button", name="Guardar").click()
    page.get_by_text("Pago de S/ 70.00 de Socia 1 Prueba001 anotado").wait_for()
    assert DuesPayment.objects.get().amount_cents == 7000
    target = gov_election(world)
    page.goto(f"/asambleas/{world.kitchen.pk}/elecciones/{target['election']}/")
    page.get_by_text("Lista 1 «Unidad»").wait_for()
    assert_fits_the_phone(page)
    assert_accessible(page)
