"""The savings group's pages: the treasurer's meeting sheet (from the page and from the phone's
outbox, stored raw once), refusals that name the member, the share-out sheet, and names only
for who may see them."""

import json

import pytest
from django.urls import reverse

from ayni.capture.models import Inbound
from ayni.economy import ledger, services
from ayni.economy.models import Attendance, Cycle, Entry, Meeting
from tests.economy_helpers import SYSTEM, days_ago, meeting, savings_group

pytestmark = pytest.mark.django_db


def sheet(members, **per):
    """Form data: per = {"shares": {0: "3"}, ...} by the member's position."""
    data = {"on": days_ago(0).isoformat()}
    for field, values in per.items():
        if field == "box":
            data["box"] = values
            continue
        for i, value in values.items():
            data[f"{field}_{members[i].pk}"] = value
    return data


def test_a_whole_meeting_from_the_page(world, login):
    group, cycle, members = savings_group(world.kitchen, n=3)
    first = meeting(cycle, 60)
    for m in members:
        services.buy_shares(scope=SYSTEM, meeting=first, member=m, shares=5)
    services.disburse_loan(scope=SYSTEM, meeting=first, member=members[0], principal=6000, term_months=3)
    client = login(world.leader)
    url = reverse("economy:meeting", kwargs={"pk": world.kitchen.pk, "group": group.pk})
    page = client.get(url).content.decode()
    assert "1. Asistencia" in page and "6. Conteo de la caja" in page and members[0].person.full_name in page
    assert page.index("Asistencia") < page.index("Ahorro") < page.index("Pagos") < page.index("Préstamos nuevos") \
        < page.index("Multas") < page.index("Conteo")
    data = sheet(members, present={0: "on", 1: "on"}, late={1: "on"}, shares={0: "2", 1: "3"}, social={0: "on"},
                 repay={0: "26"}, loan={1: "50"}, term={1: "2"}, fine={2: "2.00"}, box="90")
    response = client.post(url, data)
    assert response.status_code == 302
    books = ledger.books(services.rows_of(cycle))
    # 150 + 20 + 30 + 1 social + 26 repaid (6 interest for 2 months, 20 principal) − 60 lent before − 50 lent + 2 fine
    assert books.box == 15000 + 2000 + 3000 + 100 + 2600 - 6000 - 5000 + 200 == 11900
    today = Meeting.objects.get(cycle=cycle, on=days_ago(0))
    assert (today.box_counted, today.box_expected, today.box_difference) == (9000, 11900, -2900)
    assert Attendance.objects.filter(meeting=today, present=True).count() == 2
    assert Attendance.objects.get(meeting=today, member=members[1]).late
    follow = client.get(reverse("economy:group", kwargs={"pk": world.kitchen.pk, "group": group.pk})).content.decode()
    assert "diferencia" in follow and "S/ 119.00" in follow


def test_a_refused_line_names_the_member_and_saves_nothing(world, login):
    group, cycle, members = savings_group(world.kitchen, n=2, shares_max=4)
    client = login(world.leader)
    url = reverse("economy:meeting", kwargs={"pk": world.kitchen.pk, "group": group.pk})
    response = client.post(url, sheet(members, present={0: "on"}, shares={0: "2", 1: "9"}, repay={0: "5"}))
    assert response.status_code == 422
    page = response.content.decode()
    assert "No se guardó nada" in page
    assert f"{members[1].person.full_name}: En cada reunión se compran de 1 a 4 acciones" in page
    assert f"{members[0].person.full_name}: Paga S/ 5.00 pero debe S/ 0.00" in page
    assert 'value="9"' in page  # what she typed is still there
    assert not Entry.objects.exists() and not Attendance.objects.exists()
    response = client.post(url, sheet(members, shares={0: "dos"}))
    assert "«dos» no es un número entero" in response.content.decode()


def _batch(client, group, world, items):
    url = reverse("economy:sync", kwargs={"pk": world.kitchen.pk, "group": group.pk})
    return client.post(url, json.dumps({"items": items}), content_type="application/json")


def test_the_outbox_sheet_is_stored_raw_and_applied_once(world, login):
    group, cycle, members = savings_group(world.kitchen, n=2)
    client = login(world.leader)
    item = {"type": "meeting", "client_id": "c0ffee-1", "data": sheet(members, present={0: "on", 1: "on"},
                                                                       shares={0: "1", 1: "2"}, box="3000")}
    first = _batch(client, group, world, [item])
    assert first.status_code == 200 and first.json()["results"][0]["status"] == "accepted"
    again = _batch(client, group, world, [item])  # the phone did not hear the answer and sends again
    assert again.json()["results"][0]["status"] == "accepted"
    assert Entry.objects.count() == 2 and Inbound.objects.filter(kind="meeting").count() == 1
    stored = Inbound.objects.get(kind="meeting")
    assert stored.payload[f"shares_{members[1].pk}"] == "2" and stored.channel == "outbox"
    refused = _batch(client, group, world, [{"type": "meeting", "client_id": "c0ffee-2",
                                             "data": sheet(members, shares={0: "50"})}])
    result = refused.json()["results"][0]
    assert result["status"] == "invalid" and "acciones" in json.dumps(result["errors"], ensure_ascii=False)
    assert Entry.objects.count() == 2


def test_two_phones_for_one_meeting_add_up(world, login):
    group, cycle, members = savings_group(world.kitchen, n=2, shares_max=5)
    a = _batch(login(world.leader), group, world, [{"type": "meeting", "client_id": "phone-a", "data": sheet(
        members, present={0: "on"}, shares={0: "3"})}])
    b = _batch(login(world.coordinator), group, world, [{"type": "meeting", "client_id": "phone-b", "data": sheet(
        members, present={1: "on"}, shares={0: "3", 1: "1"})}])
    assert a.json()["results"][0]["status"] == "accepted"
    # The second phone also wrote shares for the first member: 3 + 3 is over the maximum of 5, refused whole.
    assert b.json()["results"][0]["status"] == "invalid"
    mine = ledger.books(services.rows_of(cycle)).members
    assert mine[members[0].pk].shares == 3 and members[1].pk not in mine
    c = _batch(login(world.coordinator), group, world, [{"type": "meeting", "client_id": "phone-c", "data": sheet(
        members, present={1: "on"}, shares={1: "1"})}])
    assert c.json()["results"][0]["status"] == "accepted"
    assert Meeting.objects.filter(cycle=cycle).count() == 1
    assert Attendance.objects.filter(present=True).count() == 2  # presences add up, never erased


def test_the_share_out_sheet_before_and_after(world, login):
    group, cycle, members = savings_group(world.kitchen, n=3)
    m = meeting(cycle, 30)
    for i, member in enumerate(members):
        services.buy_shares(scope=SYSTEM, meeting=m, member=member, shares=i + 1)
    services.pay_fine(scope=SYSTEM, meeting=m, member=members[0], reason="x", amount=100)
    client = login(world.leader)
    url = reverse("economy:share_out", kwargs={"pk": world.kitchen.pk, "group": group.pk})
    page = client.get(url).content.decode()
    assert "Reparto: cálculo previo" in page and "S/ 61.00" in page and members[2].person.full_name in page
    assert client.post(url, {"on": days_ago(0).isoformat()}).status_code == 302
    assert Cycle.objects.get(pk=cycle.pk).status == Cycle.Status.CLOSED
    page = client.get(url).content.decode()
    assert "Hoja del reparto" in page and "coincide al céntimo" in page and "imprima esta hoja" in page
    # 61.00 shared over 6 shares: 10.1666…; 10.16, 20.33, 30.50, and 0.01 left in the box.
    assert "S/ 10.16" in page and "S/ 20.33" in page and "S/ 30.50" in page and "S/ 0.01" in page


def test_a_viewer_sees_the_figures_but_no_name(world, login):
    group, cycle, members = savings_group(world.kitchen, n=2)
    services.buy_shares(scope=SYSTEM, meeting=meeting(cycle, 3), member=members[0], shares=2)
    client = login(world.viewer)
    page = client.get(reverse("economy:group", kwargs={"pk": world.kitchen.pk, "group": group.pk})).content.decode()
    assert "S/ 20.00" in page and members[0].person.full_name not in page
    page = client.get(reverse("economy:share_out", kwargs={"pk": world.kitchen.pk, "group": group.pk})).content.decode()
    assert "Socia 1" in page and members[0].person.full_name not in page


def test_reversing_from_the_page(world, login):
    group, cycle, members = savings_group(world.kitchen, n=2)
    entry = services.buy_shares(scope=SYSTEM, meeting=meeting(cycle, 3), member=members[0], shares=2)
    client = login(world.leader)
    url = reverse("economy:reverse", kwargs={"pk": world.kitchen.pk, "group": group.pk, "entry": entry.pk})
    assert client.post(url, {"reason": "Eran de otra socia"}).status_code == 302
    assert ledger.books(services.rows_of(cycle)).box == 0
    assert "ya fue anulado" in client.post(url, {"reason": "otra vez"}).content.decode()


def test_creating_a_group_with_its_rules(world, login):
    client = login(world.leader)
    url = reverse("economy:group_create", kwargs={"pk": world.kitchen.pk})
    data = {"name": "Banquito Nuevo", "starts_on": days_ago(10).isoformat(), "ends_on": days_ago(-300).isoformat(),
            "share_value": "5.50", "shares_min": "1", "shares_max": "3", "interest_rate": "4",
            "interest_method": "flat", "loan_multiple": "2", "max_term_months": "4", "late_fine": "1",
            "absence_fine": "2", "social_fund": "0.50"}
    assert client.post(url, data).status_code == 302
    cycle = Cycle.objects.get(group__name="Banquito Nuevo")
    assert (cycle.share_value, cycle.social_fund, cycle.shares_max) == (550, 50, 3)
    assert "no puede ser menor" in client.post(url, {**data, "shares_min": "5"}).content.decode()
