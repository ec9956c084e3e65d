"""Follow-ups by text message (`K 34 AVANCE …`): from an account or a board member of the
organisation the commitment was made to; for anyone else the commitment does not exist; a
replay records nothing twice."""

import pytest

from ayni.advocacy.models import Commitment, StageChange
from ayni.capture.inbound import receive_text
from ayni.capture.messages import process_message
from ayni.capture.models import Channel, Inbound, OutboundMessage
from ayni.people.models import PositionKind
from ayni.people.services import assign_position, register_person
from tests.advocacy_helpers import SYSTEM, commitment, days

pytestmark = pytest.mark.django_db


def text(phone, body, ident=""):
    return receive_text(gateway="android", channel=Channel.SMS, sender=phone, text=body, external_id=ident)


def coordinator_phone(world, phone="987111222"):
    world.coordinator.phone = phone
    world.coordinator.save(update_fields=["phone"])
    return "+51" + phone


def test_a_coordinator_texts_a_follow_up_and_her_note_is_kept_as_typed(world):
    c = commitment(world)
    inbound = text(coordinator_phone(world), f"K {c.pk} AVANCE Entregaron arroz a 5 comedores, faltan 3")
    assert inbound.status == Inbound.Status.ACCEPTED, inbound.error
    c.refresh_from_db()
    assert c.stage == Commitment.Stage.IN_PROGRESS
    change = c.changes.latest("pk")
    assert change.note == "Entregaron arroz a 5 comedores, faltan 3" and change.recorded_by == world.coordinator
    assert change.by_text == inbound.pk
    assert "En avance" in OutboundMessage.objects.get(inbound=inbound).body


@pytest.mark.parametrize(
    "word,stage", [("PARCIAL", "partly"), ("cumplido", "fulfilled"), ("Incumplió", "failed"), ("NOTA", "registered")]
)
def test_every_stage_word(world, word, stage):
    c = commitment(world)
    inbound = text(coordinator_phone(world), f"K{c.pk} {word} nota de campo")
    assert inbound.status == Inbound.Status.ACCEPTED, inbound.error
    assert Commitment.objects.get(pk=c.pk).stage == stage


def test_a_board_member_without_an_account_follows_up_by_her_phone(world):
    c = commitment(world)
    person = register_person(
        scope=SYSTEM,
        organisation=world.ves,
        given_names="Lidia",
        paternal_surname="Vargas",
        dni="40404040",
        phone="955444333",
    )
    assign_position(
        scope=SYSTEM,
        person=person,
        organisation=world.ves,
        kind=PositionKind.objects.get(code="presidenta"),
        starts_on=days(-100),
        ends_on=days(100),
    )
    inbound = text("955444333", f"K {c.pk} PARCIAL llegó la mitad")
    assert inbound.status == Inbound.Status.ACCEPTED, inbound.error
    assert Commitment.objects.get(pk=c.pk).stage == Commitment.Stage.PARTLY


def test_a_commitment_outside_her_organisation_gets_the_same_reply_as_one_that_does_not_exist(world):
    c = commitment(world)
    world.coordinator_other.phone = "988777666"
    world.coordinator_other.save(update_fields=["phone"])
    outside = text("+51988777666", f"K {c.pk} CUMPLIDO", ident="a")
    missing = text("+51988777666", "K 99999 CUMPLIDO", ident="b")
    assert outside.status == missing.status == Inbound.Status.REJECTED
    assert outside.error.replace(str(c.pk), "N") == missing.error.replace("99999", "N")
    assert Commitment.objects.get(pk=c.pk).stage == Commitment.Stage.REGISTERED
    stranger = text("+51911000111", f"K {c.pk} CUMPLIDO", ident="c")
    assert stranger.status == Inbound.Status.REJECTED and "No hay un compromiso" in stranger.error


def test_going_back_by_text_without_a_note_is_refused(world):
    c = commitment(world)
    phone = coordinator_phone(world)
    assert text(phone, f"K {c.pk} CUMPLIDO", ident="a").status == Inbound.Status.ACCEPTED
    back = text(phone, f"K {c.pk} AVANCE", ident="b")
    assert back.status == Inbound.Status.REJECTED and "volver atrás" in back.error
    assert Commitment.objects.get(pk=c.pk).stage == Commitment.Stage.FULFILLED


def test_a_replayed_text_records_its_change_once(world):
    c = commitment(world)
    inbound = text(coordinator_phone(world), f"K {c.pk} AVANCE primera entrega")
    Inbound.objects.filter(pk=inbound.pk).update(status=Inbound.Status.RECEIVED)
    process_message(Inbound.objects.get(pk=inbound.pk), replay=True)
    assert StageChange.objects.filter(commitment=c).count() == 2  # registered + the one follow-up


def test_nonsense_gets_the_usage(world):
    reply = text(coordinator_phone(world), "K hola")
    assert reply.status == Inbound.Status.REJECTED and "Ejemplo: K 34 AVANCE" in reply.error
