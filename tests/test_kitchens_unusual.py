"""A slip must not become a crisis: food going out far above the book balance or the kitchen's
usual use, and a delivery receipt above what was promised, are asked again on every path (web,
API, text message) and saved only once confirmed; ordinary amounts are never asked."""

import datetime
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from ayni.kitchens import services
from ayni.kitchens.models import DeliveryReceipt, StockBalance, StockMovement
from ayni.kitchens.services import NeedsConfirmation
from tests.capture_helpers import make_token
from tests.conftest import as_scope
from tests.kitchens import TODAY, days_ago, item, move

pytestmark = pytest.mark.django_db


def balance(kitchen, code="arroz"):
    return StockBalance.objects.get(kitchen=kitchen, item_id=code).quantity


def rice_used_daily(kitchen, left=98, daily=12, days=5):
    move(kitchen, "arroz", "state", left + daily * days, days_ago(days + 5))
    for n in range(days):
        move(kitchen, "arroz", "used", daily, days_ago(n + 1))


def test_500_kg_used_with_98_in_the_book_is_asked_and_saved_only_once_confirmed(world):
    rice_used_daily(world.kitchen)
    with pytest.raises(NeedsConfirmation) as asked:
        move(world.kitchen, "arroz", "used", 500)
    assert "solo hay 98 kg" in asked.value.messages[0]
    assert asked.value.confirms == ["500 kg de arroz (usado en la cocina)"]
    assert balance(world.kitchen) == 98 and StockMovement.objects.filter(kind="used").count() == 5
    line = move(world.kitchen, "arroz", "used", 500, confirm=True)
    assert line.over_balance and balance(world.kitchen) == -402


def test_an_amount_far_above_the_usual_use_is_asked_even_with_food_in_the_book(world):
    rice_used_daily(world.kitchen, left=2000)
    with pytest.raises(NeedsConfirmation) as asked:
        move(world.kitchen, "arroz", "used", 500)
    assert "suele usar" in asked.value.messages[0] and "12 kg" in asked.value.messages[0]


@pytest.mark.parametrize("quantity", ["12", "90", "120"])  # a day's use, most of the store, a week in one line
def test_ordinary_amounts_are_never_asked(world, quantity):
    rice_used_daily(world.kitchen)
    move(world.kitchen, "arroz", "used", quantity)


def test_an_empty_book_does_not_make_every_use_a_question(world):
    move(world.kitchen, "aceite", "used", 3)  # the deliveries are written later in many kitchens
    assert balance(world.kitchen, "aceite") == -3


def test_food_coming_in_is_never_asked(world):
    rice_used_daily(world.kitchen)
    move(world.kitchen, "arroz", "purchase", 800)


def test_the_web_form_asks_on_the_same_page_keeping_what_she_typed(client, world):
    rice_used_daily(world.kitchen)
    client.force_login(world.leader)
    url = reverse("kitchens:movement", kwargs={"pk": world.kitchen.pk})
    data = {"kind": "used", "item": "arroz", "quantity": "500", "date": TODAY.isoformat(), "note": "almuerzo"}
    page = client.post(url, data).content.decode()
    assert "solo hay 98 kg" in page and 'value="500"' in page and 'value="almuerzo"' in page
    assert "Sí, está bien: 500 kg de arroz (usado en la cocina)." in page
    assert StockMovement.objects.filter(kind="used").count() == 5
    assert client.post(url, {**data, "confirm": "on"}).status_code == 302
    assert balance(world.kitchen) == -402


def test_the_movement_form_starts_on_used_in_the_kitchen(client, world):
    client.force_login(world.leader)
    page = client.get(reverse("kitchens:movement", kwargs={"pk": world.kitchen.pk})).content.decode()
    assert '<option value="used" selected>' in page
    page = client.get(reverse("kitchens:movement", kwargs={"pk": world.kitchen.pk}) + "?tipo=purchase")
    assert '<option value="purchase" selected>' in page.content.decode()


def test_by_text_message_the_slip_is_asked_and_ok_confirms_it(client, world, settings, monkeypatch):
    from ayni.capture import gateways
    from ayni.capture import messages as capture

    settings.AYNI_SMS_GATEWAY_SECRET = "secreto"
    monkeypatch.setattr(gateways, "_post", lambda url, data, headers: None)
    monkeypatch.setattr(capture, "REPLY_GAP", datetime.timedelta(0))
    rice_used_daily(world.kitchen)

    def text(body):
        client.post(reverse("capture:webhook", kwargs={"gateway": "android"}),
                    json.dumps({"event": "sms:received", "payload": {"phoneNumber": "+51912345678", "message": body}}),
                    content_type="application/json", HTTP_X_AYNI_SECRET="secreto")

    text("U ARROZ 500")
    assert balance(world.kitchen) == 98
    text("U ARROZ 500 OK")
    assert balance(world.kitchen) == -402


def test_through_the_api_the_slip_needs_confirmation(client, world):
    rice_used_daily(world.kitchen)
    key = make_token(world.leader)
    url = reverse("api-v1:batch", kwargs={"kitchen_id": world.kitchen.pk})
    line = {"date": TODAY.isoformat(), "item": "arroz", "kind": "used", "quantity": "500"}
    body = {"items": [{"type": "movement", "client_id": "m-1", "data": line}]}
    result = client.post(url, json.dumps(body), content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {key}").json()["results"][0]
    assert result["status"] == "needs_confirmation" and "solo hay 98 kg" in result["warnings"][0]
    body = {"items": [{"type": "movement", "client_id": "m-2", "data": {**line, "confirm": "on"}}]}
    result = client.post(url, json.dumps(body), content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {key}").json()["results"][0]
    assert result["status"] == "accepted" and balance(world.kitchen) == -402


def promise(kitchen, quantity, due, code="arroz"):
    return services.create_schedule(scope=as_scope(None), kitchen=kitchen, municipality=kitchen.district,
                                    item=item(code),
                                    quantity=Decimal(quantity), period_start=due - datetime.timedelta(days=30),
                                    period_end=due, due_on=due)


def test_more_arriving_than_was_promised_is_asked_and_saved_once_confirmed(world):
    schedule = promise(world.kitchen, 20, days_ago(60))
    services.record_receipt(scope=as_scope(None), schedule=schedule, received_on=days_ago(50), quantity=Decimal(15))
    with pytest.raises(NeedsConfirmation) as asked:
        services.record_receipt(scope=as_scope(None), schedule=schedule, received_on=TODAY, quantity=Decimal(30))
    assert "ya se recibieron 15: serían 25 kg de más" in asked.value.messages[0]
    assert DeliveryReceipt.objects.count() == 1 and balance(world.kitchen) == 15
    services.record_receipt(scope=as_scope(None), schedule=schedule, received_on=TODAY, quantity=Decimal(30),
                            confirm=True)
    assert balance(world.kitchen) == 45


def test_the_rest_of_a_delivery_is_not_asked(world):
    schedule = promise(world.kitchen, 20, days_ago(3))
    services.record_receipt(scope=as_scope(None), schedule=schedule, received_on=days_ago(2), quantity=Decimal(15))
    services.record_receipt(scope=as_scope(None), schedule=schedule, received_on=TODAY, quantity=Decimal(5))
    assert balance(world.kitchen) == 20


def test_the_receipt_form_proposes_the_delivery_due_now_with_a_short_label(client, world):
    old = promise(world.kitchen, 20, TODAY.replace(year=TODAY.year - 1))
    now = promise(world.kitchen, 20, days_ago(2))
    later = promise(world.kitchen, 20, TODAY + datetime.timedelta(days=40))
    services.record_receipt(scope=as_scope(None), schedule=later, received_on=TODAY, quantity=Decimal(5))
    client.force_login(world.leader)
    page = client.get(reverse("kitchens:receipt", kwargs={"pk": world.kitchen.pk})).content.decode()
    assert f'<option value="{now.pk}" selected>{short(now.due_on)} · Arroz 20 kg</option>' in page
    assert f'<option value="{old.pk}">{old.due_on:%d/%m/%y} · Arroz 20 kg</option>' in page  # another year
    assert f"{short(later.due_on)} · Arroz 20 kg (faltan 15)" in page


def short(day):
    return day.strftime("%d/%m" if day.year == TODAY.year else "%d/%m/%y")
