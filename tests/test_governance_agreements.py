"""Agreements: from an adopted motion, with who and by when; reminded before the deadline;
back on the next agenda while pending; listed as overdue across the subtree."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ayni.capture.models import OutboundMessage
from ayni.governance import services
from ayni.governance.integrity import governance_violations
from ayni.governance.models import Agreement, Motion
from tests.governance_helpers import SYSTEM, Clock, convene, in_session, socias


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def adopted(world, clock):
    socias(world.kitchen, 2)
    assembly = in_session(convene(world.kitchen), clock)
    motion = services.add_motion(scope=SYSTEM, item=assembly.agenda.first(), text="Pintar el local")
    services.open_motion(scope=SYSTEM, motion=motion)
    services.cast_vote(scope=SYSTEM, motion_id=motion.pk, person=world.member, choice="yes")
    return services.close_motion(scope=SYSTEM, motion=motion)


def test_an_adopted_motion_becomes_an_agreement_with_who_and_when(world, adopted):
    deadline = timezone.localdate() + datetime.timedelta(days=20)
    agreement = services.record_agreement(scope=SYSTEM, motion=adopted, responsible=world.member, deadline=deadline)
    assert (agreement.text, agreement.organisation, agreement.status) == ("Pintar el local", world.kitchen, "pending")
    with pytest.raises(ValidationError, match="ya tiene su acuerdo"):
        services.record_agreement(scope=SYSTEM, motion=adopted, responsible=world.member, deadline=deadline)
    assert governance_violations() == []


def test_what_cannot_be_an_agreement(world, adopted):
    later = timezone.localdate() + datetime.timedelta(days=5)
    with pytest.raises(ValidationError) as exc:
        services.record_agreement(scope=SYSTEM, motion=adopted, responsible=world.member_other,
                                  deadline=timezone.localdate() - datetime.timedelta(days=1), involves_authority=True)
    assert set(exc.value.message_dict) == {"responsible", "deadline", "authority"}
    Motion.objects.filter(pk=adopted.pk).update(outcome=Motion.Outcome.TIE)
    with pytest.raises(ValidationError, match="Solo una moción aprobada"):
        services.record_agreement(scope=SYSTEM, motion=adopted, responsible=world.member, deadline=later)
    assert not Agreement.objects.exists()


def test_the_responsible_is_reminded_once_before_the_deadline(world, adopted, clock):
    today = timezone.localdate()
    services.record_agreement(scope=SYSTEM, motion=adopted, responsible=world.member,
                              deadline=today + datetime.timedelta(days=10))
    before = OutboundMessage.objects.count()
    assert services.send_agreement_reminders(today) == 0
    assert services.send_agreement_reminders(today + datetime.timedelta(days=8)) == 1
    assert services.send_agreement_reminders(today + datetime.timedelta(days=9)) == 0
    message = OutboundMessage.objects.order_by("-pk").first()
    assert OutboundMessage.objects.count() == before + 1 and "Pintar el local" in message.body
    assert message.to == "+51987654321"


def test_pending_agreements_open_the_next_agenda_and_done_ones_do_not(world, adopted):
    agreement = services.record_agreement(scope=SYSTEM, motion=adopted, responsible=world.member,
                                          deadline=timezone.localdate() + datetime.timedelta(days=30))
    clock_free = convene(world.kitchen, days=12, agenda=["Balance"])
    assert [i.title for i in clock_free.agenda.all()] == ["Acuerdos pendientes de asambleas anteriores", "Balance"]
    services.set_agreement_status(scope=SYSTEM, agreement=agreement, status="done")
    agreement.refresh_from_db()
    assert agreement.done_on == timezone.localdate()
    again = convene(world.kitchen, days=13, agenda=["Balance"])
    assert [i.title for i in again.agenda.all()] == ["Balance"]


def test_overdue_agreements_are_listed_for_the_federation_without_names_for_a_viewer(client, world, adopted):
    agreement = services.record_agreement(scope=SYSTEM, motion=adopted, responsible=world.member,
                                          deadline=timezone.localdate() + datetime.timedelta(days=1))
    Agreement.objects.filter(pk=agreement.pk).update(deadline=timezone.localdate() - datetime.timedelta(days=3))
    client.force_login(world.coordinator)
    url = reverse("governance:agreements", kwargs={"pk": world.lima.pk})
    page = client.get(url, {"vencidos": "1"}).content.decode()
    assert "Pintar el local" in page and "Quispe" in page
    client.force_login(world.viewer)
    page = client.get(url, {"vencidos": "1"}).content.decode()
    assert "Pintar el local" in page and "Quispe" not in page
    client.force_login(world.coordinator_other)
    assert client.get(url).status_code == 404
