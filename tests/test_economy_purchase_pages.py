"""The pages of a kitchen's purchases and of the producers an organisation registered: a
purchase recorded from the form enters the store and the month's share, one typed by mistake is
taken back with a confirmed button, a refusal is shown in Spanish with nothing half-saved, and
a purchase or producer outside the caller's sight is not found."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ayni.economy import producers
from ayni.economy.models import Producer, Purchase
from ayni.geo.models import District
from ayni.kitchens import services as kitchens
from ayni.kitchens.models import FoodItem, StockBalance, StockMovement
from tests.economy_helpers import SYSTEM

pytestmark = pytest.mark.django_db


def farmer(world, name, registration="", org=None):
    return producers.register_producer(scope=SYSTEM, organisation=org or world.ves, name=name, kind="person",
                                       district=District.objects.get(code="150142"),
                                       products=FoodItem.objects.filter(code="papa"),
                                       family_farm_registration=registration)


def buy(buyer, producer, soles, on=None, item="papa"):
    return producers.record_purchase(scope=SYSTEM, buyer=buyer, producer=producer,
                                     item=FoodItem.objects.get(code=item), on=on or timezone.localdate(),
                                     quantity=Decimal(soles), unit_price=Decimal(1))


def url(world, kitchen=None):
    return reverse("economy:purchases", kwargs={"pk": (kitchen or world.kitchen).pk})


def test_the_form_records_a_purchase_into_the_store_and_the_months_share(world, login):
    rosa = farmer(world, "Rosa Quispe", "REGAF-7")
    papa = FoodItem.objects.get(code="papa")
    client = login(world.leader)
    response = client.post(url(world), {"producer": rosa.pk, "party": "", "item": papa.pk,
                                        "on": timezone.localdate().strftime("%d/%m/%Y"), "quantity": "12.5",
                                        "unit_price": "2.40", "programme": "kitchen"}, follow=True)
    assert response.redirect_chain[-1][0] == url(world)
    purchase = Purchase.objects.get()
    assert (purchase.amount, purchase.family_farm, purchase.producer) == (3000, True, rosa)
    assert purchase.movement.party == "Rosa Quispe" and purchase.movement.delta == Decimal("12.5")
    assert StockBalance.objects.get(kitchen=world.kitchen, item=papa).quantity == Decimal("12.5")
    page = response.content.decode()
    assert "Compra anotada: entró al almacén de la cocina." in page
    assert "S/ 30.00" in page and "(100.0 %)" in page and "Rosa Quispe" in page


def test_a_seller_not_registered_and_the_forms_defaults(world, login):
    rosa = farmer(world, "Rosa Quispe", "REGAF-7")
    buy(world.kitchen, rosa, 10)
    buy(world.kitchen, rosa, 5)
    arroz = FoodItem.objects.get(code="arroz")
    client = login(world.leader)
    form = client.get(url(world)).context["form"]
    assert form["producer"].value() == rosa.pk and form["item"].value() == FoodItem.objects.get(code="papa").pk
    assert form["on"].value() == timezone.localdate()
    client.post(url(world), {"producer": "", "party": "Mercado Modelo", "item": arroz.pk,
                             "on": timezone.localdate().strftime("%d/%m/%Y"), "quantity": "50",
                             "unit_price": "3.20", "programme": "pca"})
    market = Purchase.objects.get(producer=None)
    assert (market.amount, market.family_farm, market.programme) == (16000, False, "pca")
    assert market.movement.party == "Mercado Modelo"
    page = client.get(url(world)).content.decode()
    # 15 + 160 soles this month, 15 of them from family farming.
    assert "3 compras por S/ 175.00" in page and "S/ 15.00 (8.6 %)" in page


def test_validation_messages_and_nothing_saved(world, login):
    papa = FoodItem.objects.get(code="papa")
    client = login(world.leader)
    today = timezone.localdate()
    response = client.post(url(world), {"producer": "", "party": "", "item": papa.pk,
                                        "on": today.strftime("%d/%m/%Y"), "quantity": "0", "unit_price": "",
                                        "programme": "kitchen"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["party"] == ["Elija un productor o escriba a quién se compró."]
    assert "quantity" in errors and "unit_price" in errors
    future = today + datetime.timedelta(days=3)
    response = client.post(url(world), {"party": "Mercado", "item": papa.pk, "on": future.strftime("%d/%m/%Y"),
                                        "quantity": "2", "unit_price": "1", "programme": "kitchen"})
    assert "es futura; solo se registra lo que ya pasó" in response.content.decode()
    assert not Purchase.objects.exists() and not StockMovement.objects.exists()


def test_an_unusual_amount_is_confirmed_on_the_same_page(world, login):
    """Measured against her own purchases of the item in the last two months: 500 kg where she
    never bought more than 20, or S/ 350 where she paid about 2, is asked again on the same page
    with what she typed kept, and saved only once she ticks the box."""
    rosa = farmer(world, "Rosa Quispe")
    buy(world.kitchen, rosa, 20)
    papa = FoodItem.objects.get(code="papa")
    data = {"party": "Mercado", "item": papa.pk, "on": timezone.localdate().strftime("%d/%m/%Y"),
            "quantity": "500", "unit_price": "1", "programme": "kitchen"}
    client = login(world.leader)
    page = client.post(url(world), data).content.decode()
    assert "Revise antes de guardar:" in page and "mucho más de lo que esta cocina suele comprar" in page
    assert 'value="500"' in page and Purchase.objects.count() == 1
    client.post(url(world), {**data, "confirm": "on"})
    assert Purchase.objects.filter(amount=50000).exists()
    page = client.post(url(world), {**data, "quantity": "10", "unit_price": "350"}).content.decode()
    assert "está muy lejos de lo que esta cocina pagó" in page and Purchase.objects.count() == 2
    client.post(url(world), {**data, "quantity": "10", "unit_price": "1.20"})  # a usual purchase: no question
    assert Purchase.objects.count() == 3


def test_cancel_takes_back_the_purchase_and_its_stock(world, login):
    purchase = buy(world.kitchen, farmer(world, "Rosa", "R-1"), 8)
    client = login(world.leader)
    page = client.get(url(world)).content.decode()
    assert reverse("economy:purchase_cancel", kwargs={"pk": world.kitchen.pk, "purchase": purchase.pk}) in page
    assert "Sí, anular esta compra" in page
    response = client.post(reverse("economy:purchase_cancel", kwargs={"pk": world.kitchen.pk,
                                                                      "purchase": purchase.pk}), follow=True)
    assert "Compra anulada: salió también del almacén de la cocina." in response.content.decode()
    assert not Purchase.objects.exists() and not StockMovement.objects.exists()
    assert StockBalance.objects.get(kitchen=world.kitchen).quantity == 0
    assert client.get(reverse("economy:purchase_cancel", kwargs={"pk": world.kitchen.pk,
                                                                 "purchase": purchase.pk})).status_code == 405


def test_cancel_in_a_closed_month_is_refused_in_spanish(world, login):
    last_month = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    purchase = buy(world.kitchen, farmer(world, "Rosa", "R-1"), 8, on=last_month)
    kitchens.close_month(scope=SYSTEM, kitchen=world.kitchen, month=last_month)
    response = login(world.leader).post(reverse("economy:purchase_cancel", kwargs={
        "pk": world.kitchen.pk, "purchase": purchase.pk}), follow=True)
    page = response.content.decode()
    assert "está cerrado" in page and "Compra anulada" not in page
    assert Purchase.objects.filter(pk=purchase.pk).exists() and StockMovement.objects.count() == 1


def test_out_of_sight_is_not_found_and_a_viewer_cannot_write(world, login):
    theirs = buy(world.kitchen_other, farmer(world, "Cusqueña", org=world.santiago), 4)
    client = login(world.leader)
    # Another kitchen's purchase under her own kitchen's address, and another kitchen's page.
    assert client.post(reverse("economy:purchase_cancel", kwargs={"pk": world.kitchen.pk,
                                                                  "purchase": theirs.pk})).status_code == 404
    assert client.get(url(world, world.kitchen_other)).status_code == 404
    # The other region's producer is not hers to choose.
    response = client.post(url(world), {"producer": theirs.producer.pk, "item": FoodItem.objects.get(code="papa").pk,
                                        "on": timezone.localdate().strftime("%d/%m/%Y"), "quantity": "1",
                                        "unit_price": "1", "programme": "kitchen"})
    assert "producer" in response.context["form"].errors
    # A federation is not a kitchen: no purchases page.
    assert client.get(url(world, world.ves)).status_code == 404
    viewer = login(world.viewer)
    page = viewer.get(url(world)).content.decode()
    assert "Cusqueña" not in page and "Guardar la compra" not in page and "Sí, anular esta compra" not in page
    assert viewer.post(url(world), {"party": "x"}).status_code == 403
    assert Purchase.objects.count() == 1


def test_a_producer_registered_from_the_page(world, login):
    papa, arroz = FoodItem.objects.get(code="papa"), FoodItem.objects.get(code="arroz")
    client = login(world.leader)
    page = reverse("economy:producers", kwargs={"pk": world.kitchen.pk})
    response = client.post(page, {"name": "Asociación Valle Verde", "kind": "association",
                                  "district": "150142", "products": [papa.pk, arroz.pk],
                                  "family_farm_registration": "REGAF-99"}, follow=True)
    assert "Productor registrado." in response.content.decode() and "Asociación Valle Verde" in \
        response.content.decode()
    producer = Producer.objects.get()
    assert (producer.organisation, producer.kind, producer.is_family_farm) == (world.kitchen, "association", True)
    assert set(producer.products.all()) == {papa, arroz}
    response = client.post(page, {"name": "", "kind": "person", "district": "Distrito Inexistente"})
    assert set(response.context["form"].errors) >= {"name", "district", "products"}
    assert Producer.objects.count() == 1
    # She now chooses it in the purchase form.
    assert producer in client.get(url(world)).context["form"].fields["producer"].queryset
    assert login(world.viewer).post(page, {"name": "x"}).status_code == 403


def test_the_pages_lead_to_the_purchases(world, login):
    purchases = url(world)
    leader = login(world.leader)
    assert purchases in leader.get(reverse("economy:groups", kwargs={"pk": world.kitchen.pk})).content.decode()
    assert purchases in leader.get(reverse("economy:nearby", kwargs={"pk": world.kitchen.pk})).content.decode()
    # Her one kitchen from the national share; a coordinator of many kitchens finds each on its page.
    assert purchases in leader.get(reverse("economy:family_farming")).content.decode()
    assert "/compras/" not in login(world.coordinator).get(reverse("economy:family_farming")).content.decode()


def correct_url(world, purchase, kitchen=None):
    return reverse("economy:purchase_correct", kwargs={"pk": (kitchen or world.kitchen).pk, "purchase": purchase.pk})


def test_a_purchase_typed_wrongly_is_corrected_on_a_form_filled_with_what_was_saved(world, login):
    """The market's 500 soles were 50, from the family farmer: the form opens with what she saved,
    and saving the correction moves the store and the share in one step, with its history."""
    rosa = farmer(world, "Rosa Quispe", "REGAF-7")
    market = producers.record_purchase(scope=SYSTEM, buyer=world.kitchen, producer=None, party="Mercado Modelo",
                                       item=FoodItem.objects.get(code="papa"), on=timezone.localdate(),
                                       quantity=Decimal(500), unit_price=Decimal(1))
    client = login(world.leader)
    assert correct_url(world, market) in client.get(url(world)).content.decode()
    form = client.get(correct_url(world, market)).context["form"]
    assert (form["producer"].value(), form["party"].value()) == (None, "Mercado Modelo")
    assert form["quantity"].value() == Decimal(500) and form["unit_price"].value() == Decimal(1)
    assert "item" not in form.fields and "programme" not in form.fields
    response = client.post(correct_url(world, market), {
        "producer": rosa.pk, "party": "", "on": timezone.localdate().strftime("%d/%m/%Y"), "quantity": "50",
        "unit_price": "1"}, follow=True)
    assert response.redirect_chain[-1][0] == url(world)
    assert "Compra corregida" in response.content.decode()
    fixed = Purchase.objects.get()
    assert (fixed.amount, fixed.family_farm, fixed.producer, fixed.programme) == (5000, True, rosa, "kitchen")
    assert StockMovement.objects.get().delta == 50
    assert StockBalance.objects.get(kitchen=world.kitchen).quantity == 50
    assert client.get(correct_url(world, market)).status_code == 404  # the wrong one is gone


def test_a_correction_keeps_the_seller_unless_changed_and_asks_about_an_unusual_quantity(world, login):
    rosa = farmer(world, "Rosa Quispe")
    buy(world.kitchen, rosa, 20)
    market = producers.record_purchase(scope=SYSTEM, buyer=world.kitchen, producer=None, party="Bodega Lucha",
                                       item=FoodItem.objects.get(code="papa"), on=timezone.localdate(),
                                       quantity=Decimal(15), unit_price=Decimal(1))
    client = login(world.leader)
    data = {"producer": "", "party": "Bodega Lucha", "on": timezone.localdate().strftime("%d/%m/%Y"),
            "quantity": "900", "unit_price": "1"}
    page = client.post(correct_url(world, market), data).content.decode()
    assert "Revise antes de guardar:" in page and 'value="900"' in page
    assert Purchase.objects.filter(pk=market.pk, amount=1500).exists()  # nothing changed yet
    client.post(correct_url(world, market), {**data, "quantity": "16", "party": "Bodega Doña Lucha"})
    fixed = Purchase.objects.get(producer=None)
    assert fixed.amount == 1600 and fixed.movement.party == "Bodega Doña Lucha"
    assert StockBalance.objects.get(kitchen=world.kitchen).quantity == 36


def test_a_correction_in_a_closed_month_and_out_of_sight(world, login):
    last_month = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    old = buy(world.kitchen, farmer(world, "Rosa", "R-1"), 8, on=last_month)
    kitchens.close_month(scope=SYSTEM, kitchen=world.kitchen, month=last_month)
    client = login(world.leader)
    page = client.post(correct_url(world, old), {"producer": old.producer_id, "party": "",
                                                 "on": last_month.strftime("%d/%m/%Y"), "quantity": "9",
                                                 "unit_price": "1"}).content.decode()
    assert "está cerrado" in page and Purchase.objects.get().amount == 800 and StockMovement.objects.count() == 1
    theirs = buy(world.kitchen_other, farmer(world, "Cusqueña", org=world.santiago), 4)
    assert client.get(correct_url(world, theirs)).status_code == 404
    assert client.get(correct_url(world, theirs, world.kitchen_other)).status_code == 404
    assert login(world.viewer).get(correct_url(world, old)).status_code == 403
