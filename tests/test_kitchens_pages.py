"""The kitchen pages through the test client: forms, messages, the home page's alerts, and
query counts on the summaries."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ayni.kitchens import services
from ayni.kitchens.models import DailyReport, DeliveryReceipt, MonthClose, StockMovement
from tests.conftest import as_scope
from tests.kitchens import TODAY, days_ago, item, last_month, move, report

pytestmark = pytest.mark.django_db


def report_post(version=0, **over):
    data = {"rations_prepared": "60", "served_paying": "40", "served_subsidised": "12", "served_free": "5",
            "price_per_ration": "3.50", "cash_received": "140", "menu": "Arroz con pollo", "cooks": "Rosa",
            "cooks_count": "2", "notes": "", "closed_reason": "", "version": str(version)}
    data.update(over)
    return data


def report_url(world, day=TODAY):
    return reverse("kitchens:report", kwargs={"pk": world.kitchen.pk, "day": day.isoformat()})


def test_a_leader_saves_todays_report_from_the_form(client, world):
    client.force_login(world.leader)
    response = client.post(report_url(world), report_post(), follow=True)
    assert "Se guardó el parte" in response.content.decode()
    assert DailyReport.objects.get(kitchen=world.kitchen, date=TODAY).menu == "Arroz con pollo"


def test_an_outdated_form_shows_the_conflict_and_keeps_the_other_save(client, world):
    report(world.kitchen, served_free=3)
    client.force_login(world.leader)
    response = client.post(report_url(world), report_post(version=0, served_free="1"), follow=True)
    assert "Otra persona guardó el parte" in response.content.decode()
    assert DailyReport.objects.get().served_free == 3


def test_absurd_numbers_show_a_confirmation_box_and_save_once_ticked(client, world):
    client.force_login(world.leader)
    data = report_post(rations_prepared="10000", served_paying="9983")
    page = client.post(report_url(world), data).content.decode()
    assert "10000 raciones en un día" in page and "Sí, está bien: 10000 raciones en el día." in page
    assert not DailyReport.objects.exists()
    client.post(report_url(world), {**data, "confirm": "on"})
    assert DailyReport.objects.get().rations_prepared == 10000


def test_a_future_day_is_refused_on_the_form(client, world):
    client.force_login(world.leader)
    page = client.post(report_url(world, TODAY.replace(year=TODAY.year + 1)), report_post()).content.decode()
    assert "es futura" in page and not DailyReport.objects.exists()


def test_using_more_than_the_balance_warns_and_flags(client, world):
    move(world.kitchen, "arroz", "state", 2)
    client.force_login(world.leader)
    response = client.post(reverse("kitchens:movement", kwargs={"pk": world.kitchen.pk}), {
        "kind": "used", "item": "arroz", "quantity": "5", "date": TODAY.isoformat()}, follow=True)
    assert "Se usó más de lo que figura en el kárdex" in response.content.decode()
    assert StockMovement.objects.get(kind="used").over_balance


def test_a_receipt_for_an_unknown_schedule_is_refused(client, world):
    client.force_login(world.leader)
    page = client.post(reverse("kitchens:receipt", kwargs={"pk": world.kitchen.pk}), {
        "schedule": "999999", "received_on": TODAY.isoformat(), "quantity": "10", "condition": "good"},
    ).content.decode()
    assert "Esa entrega programada no existe" in page and not DeliveryReceipt.objects.exists()


def test_a_receipt_enters_the_store(client, world):
    schedule = services.create_schedule(scope=as_scope(None), kitchen=world.kitchen,
                                        municipality=world.kitchen.district,
                                        item=item("arroz"), quantity=Decimal(100), period_start=last_month(),
                                        period_end=TODAY, due_on=days_ago(5))
    client.force_login(world.leader)
    client.post(reverse("kitchens:receipt", kwargs={"pk": world.kitchen.pk}), {
        "schedule": schedule.pk, "received_on": TODAY.isoformat(), "quantity": "80", "condition": "partial"})
    line = StockMovement.objects.get()
    assert (line.kind, line.delta, line.receipt.schedule) == ("state", Decimal(80), schedule)
    page = client.get(reverse("kitchens:deliveries", kwargs={"pk": world.kitchen.pk})).content.decode()
    assert "<b class=\"warn\">20</b>" in page and "<b class=\"warn\">5</b>" in page


def test_the_leader_closes_and_the_coordinator_validates_through_the_pages(client, world):
    month = last_month()
    report(world.kitchen, month)
    kwargs = {"pk": world.kitchen.pk, "year": month.year, "month": month.month}
    client.force_login(world.leader)
    client.post(reverse("kitchens:month_close", kwargs=kwargs))
    assert MonthClose.objects.get().status == "closed"
    client.force_login(world.coordinator)
    page = client.get(reverse("kitchens:month", kwargs=kwargs)).content.decode()
    assert "Validar el mes" in page
    client.post(reverse("kitchens:month_review", kwargs=kwargs), {"action": "validate"})
    assert MonthClose.objects.get().status == "validated"


def test_the_coordinator_returns_a_month_with_a_comment(client, world):
    month = last_month()
    services.close_month(scope=as_scope(None), kitchen=world.kitchen, month=month)
    kwargs = {"pk": world.kitchen.pk, "year": month.year, "month": month.month}
    client.force_login(world.coordinator)
    client.post(reverse("kitchens:month_review", kwargs=kwargs), {"action": "return", "comment": "Faltan días"})
    close = MonthClose.objects.get()
    assert (close.status, close.comment) == ("returned", "Faltan días")
    client.force_login(world.leader)
    assert "Faltan días" in client.get(reverse("kitchens:month", kwargs=kwargs)).content.decode()


def test_the_coordinators_home_shows_the_kitchen_out_of_rice_and_the_silent_one(client, world):
    move(world.kitchen, "arroz", "state", 30, days_ago(5))
    move(world.kitchen, "arroz", "used", 30, days_ago(1))
    report(world.kitchen)
    client.force_login(world.coordinator)
    page = client.get(reverse("core:home")).content.decode()
    assert "2 cocinas necesitan su atención hoy" in page and "sin arroz" in page
    assert "Olla Común Los Jardines" in page and "nunca envió su parte" in page
    client.force_login(world.leader)
    page = client.get(reverse("core:home")).content.decode()
    assert "su atención hoy" not in page and "parte de hoy registrado" in page


def test_the_overview_reads_a_constant_number_of_queries_whatever_the_kitchens(client, world):
    for kitchen in (world.kitchen, world.olla):
        report(kitchen, days_ago(1))
        move(kitchen, "arroz", "purchase", 10)
    client.force_login(world.coordinator)
    url = reverse("kitchens:overview", kwargs={"pk": world.lima.pk})
    with CaptureQueriesContext(connection) as few:
        page = client.get(url).content.decode()
    assert "Comedor Popular Santa Rosa" in page
    from ayni.orgs.services import create_organisation
    from tests.conftest import kind

    for n in range(5):
        extra = create_organisation(scope=as_scope(None), kind=kind("olla-comun"), parent=world.ves, name=f"Olla {n}",
                                    district=world.ves.district)
        report(extra, days_ago(1))
        move(extra, "arroz", "purchase", 10)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
