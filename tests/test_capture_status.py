"""Sync status for coordinators: pending and failed submissions, last contact per kitchen and
channel, inside her scope only, in a fixed number of queries."""

import pytest
from django.urls import reverse

from ayni.capture import inbound
from ayni.capture.models import Channel, Inbound, OutboundMessage
from tests.conftest import as_scope
from tests.kitchens import TODAY

pytestmark = pytest.mark.django_db


def submit(world, kitchen, client_id, quantity="5", user=None):
    return inbound.submit(channel=Channel.API, scope=as_scope(user or world.leader), kitchen=kitchen,
                           kind=Inbound.Kind.MOVEMENT, client_id=client_id,
                           payload={"date": TODAY.isoformat(), "item": "arroz", "kind": "state", "quantity": quantity})


def test_the_coordinator_sees_trouble_and_last_contact_per_channel(client, world):
    submit(world, world.kitchen, "ok")
    submit(world, world.kitchen, "bad", quantity="-1")
    OutboundMessage.objects.create(channel=Channel.SMS, to="+51912345678", body="x", kitchen=world.kitchen,
                                   status=OutboundMessage.Status.FAILED)
    client.force_login(world.coordinator)
    response = client.get(reverse("capture:sync_status"))
    rows = response.context["rows"]
    first = rows[0]
    assert first["kitchen"] == world.kitchen  # the one in trouble comes first
    assert first["trouble"] == 1 and first["failed_messages"] == 1 and first["pending"] == 0
    assert first["last"][Channel.API] is not None and Channel.SMS not in first["last"]
    page = response.content.decode()
    assert "Comedor Popular Santa Rosa" in page and "mayor o igual a 0.001" in page


def test_a_coordinator_does_not_see_kitchens_of_another_province(client, world):
    submit(world, world.kitchen_other, "x", quantity="-1", user=world.leader_other)
    client.force_login(world.coordinator)
    response = client.get(reverse("capture:sync_status"))
    assert world.kitchen_other not in [r["kitchen"] for r in response.context["rows"]]
    assert "Virgen de Belén" not in response.content.decode()


def test_the_status_page_costs_the_same_queries_for_one_kitchen_or_many(client, world, django_assert_max_num_queries):
    for n in range(5):
        submit(world, world.kitchen, f"a{n}")
        submit(world, world.olla, f"b{n}", user=world.coordinator)
    client.force_login(world.coordinator)
    with django_assert_max_num_queries(12):
        client.get(reverse("capture:sync_status"))
