"""The leader's forms say only what helps: a closed day asks for the reason alone, the box to
confirm appears only for a warning it can override, "anular" asks before it acts, and the
coordinator reads a negative balance as something to count, not as a kitchen without food."""

from decimal import Decimal

import pytest
from django.urls import reverse

from ayni.kitchens import services
from ayni.kitchens.models import DailyReport, DeliveryReceipt, StockMovement
from tests.conftest import as_scope
from tests.kitchens import TODAY, days_ago, item, move

pytestmark = pytest.mark.django_db


def report_url(world):
    return reverse("kitchens:report", kwargs={"pk": world.kitchen.pk, "day": TODAY.isoformat()})


def test_a_closed_day_is_saved_with_only_its_reason(client, world):
    client.force_login(world.leader)
    response = client.post(report_url(world), {"is_closed": "on", "closed_reason": "Sin gas", "version": "0"})
    assert response.status_code == 302
    saved = DailyReport.objects.get()
    assert saved.is_closed and saved.closed_reason == "Sin gas" and saved.rations_prepared == 0


def test_a_day_that_cooked_is_told_which_number_is_missing(client, world):
    client.force_login(world.leader)
    page = client.post(report_url(world), {"rations_prepared": "60", "served_paying": "", "served_subsidised": "0",
                                           "served_free": "0", "price_per_ration": "3", "cash_received": "0",
                                           "cooks_count": "1", "version": "0"}).content.decode()
    assert "Escriba un número (0 si no hubo)." in page and not DailyReport.objects.exists()


def test_a_hard_error_shows_no_box_to_confirm(client, world):
    client.force_login(world.leader)
    data = {"rations_prepared": "50", "served_paying": "60", "served_subsidised": "0", "served_free": "0",
            "price_per_ration": "3", "cash_received": "0", "cooks_count": "1", "version": "0"}
    page = client.post(report_url(world), data).content.decode()
    assert "no pueden ser más que las preparadas" in page
    assert 'name="confirm"' not in page
    # A box ticked on an earlier page does not let a hard error through.
    page = client.post(report_url(world), {**data, "confirm": "on"}).content.decode()
    assert "no pueden ser más que las preparadas" in page and not DailyReport.objects.exists()


def test_anular_asks_first_and_acts_only_on_the_confirmation(client, world):
    line = move(world.kitchen, "arroz", "purchase", 5)
    client.force_login(world.leader)
    url = reverse("kitchens:movement_delete", kwargs={"pk": world.kitchen.pk, "movement": line.pk})
    page = client.get(url).content.decode()
    assert "¿Anular este registro?" in page and "Compra: 5 kg Arroz" in page and "Sí, anular" in page
    assert StockMovement.objects.filter(pk=line.pk).exists()
    assert client.post(url).status_code == 302
    assert not StockMovement.objects.filter(pk=line.pk).exists()


def test_the_anular_page_is_not_found_outside_her_kitchen(client, world):
    schedule = services.create_schedule(scope=as_scope(None), kitchen=world.kitchen,
                                        municipality=world.kitchen.district,
                                        item=item("aceite"), quantity=Decimal(20), period_start=days_ago(30),
                                        period_end=days_ago(1), due_on=days_ago(1))
    receipt = services.record_receipt(scope=as_scope(None), schedule=schedule, received_on=TODAY, quantity=Decimal(10))
    url = reverse("kitchens:receipt_delete", kwargs={"pk": world.kitchen.pk, "receipt": receipt.pk})
    for user in (world.leader_other, world.coordinator_other):
        client.force_login(user)
        assert client.get(url).status_code == 404
    assert DeliveryReceipt.objects.exists()


def test_a_negative_balance_is_to_be_counted_on_the_coordinators_home(client, world):
    move(world.kitchen, "arroz", "state", 98, days_ago(3))
    move(world.kitchen, "arroz", "used", 500, days_ago(1), confirm=True)
    move(world.kitchen, "aceite", "state", 5, days_ago(3))
    move(world.kitchen, "aceite", "used", 5, days_ago(1))
    client.force_login(world.coordinator)
    page = client.get("/").content.decode()
    assert "Arroz: el kárdex marca -402 kg, a revisar en el próximo conteo" in page
    assert "sin aceite" in page and "sin arroz" not in page  # the oil really ran out; the rice is to count


def test_the_kitchen_page_does_not_count_days_of_food_from_a_negative_balance(client, world):
    move(world.kitchen, "arroz", "state", 98, days_ago(3))
    move(world.kitchen, "arroz", "used", 500, days_ago(1), confirm=True)
    client.force_login(world.leader)
    page = client.get(reverse("kitchens:kitchen", kwargs={"pk": world.kitchen.pk})).content.decode()
    assert "<td>-402 kg</td>" in page and "a revisar en el conteo" in page
    assert '<b class="warn">0</b>' not in page
