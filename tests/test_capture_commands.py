"""Texts for other domains go through capture's command registry: stored raw first, throttled like
every text, handed to the domain's handler inside a savepoint, refusals answered with their reason,
and the kitchen's own words never taken."""

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError

from ayni.audit.models import AuditEntry
from ayni.capture import commands
from ayni.capture.inbound import receive_text
from ayni.capture.models import Channel, Inbound, OutboundMessage

pytestmark = pytest.mark.django_db
PHONE = "+51987000111"


@pytest.fixture
def echo(monkeypatch):
    """A domain command registered for the test only: `ECO <word>`."""
    monkeypatch.setattr(commands, "_REGISTRY", dict(commands._REGISTRY))
    seen = []

    def handle(inbound, args):
        seen.append((inbound.pk, args))
        if args[:1] == ["no"]:
            raise commands.Refused("No se puede: dijo NO.")
        if args[:1] == ["mal"]:
            raise ValidationError("Falta el número.")
        if args[:1] == ["roto"]:
            AuditEntry.objects.create(action="eco.partial", object_type="eco", object_id="1", object_label="a medias")
            raise RuntimeError("boom")
        return f"Anotado: {' '.join(args)}"

    commands.register(commands.TextCommand(name="echo", words=frozenset({"eco", "rimay"}), handle=handle,
                                           example="ECO HOLA"))
    return seen


def text(body, ident=""):
    return receive_text(gateway="android", channel=Channel.SMS, sender=PHONE, text=body, external_id=ident)


def test_handler_gets_the_words_after_the_keyword_and_its_reply_goes_out(echo):
    inbound = text("Eco  Hóla, Mundo")
    assert inbound.status == Inbound.Status.ACCEPTED
    assert inbound.payload["text"] == "Eco  Hóla, Mundo"  # stored as it came
    assert echo == [(inbound.pk, ["hola", "mundo"])]
    assert OutboundMessage.objects.get(inbound=inbound).body == "Anotado: hola mundo"
    assert commands.find("RIMAY 3")[1] == ["3"] and commands.find("eco7")[1] == ["7"]


def test_a_refusal_is_her_reply_and_nothing_is_written(echo):
    refused = text("ECO NO", ident="a")
    assert refused.status == Inbound.Status.REJECTED and refused.error == "No se puede: dijo NO."
    invalid = text("ECO MAL", ident="b")
    assert invalid.status == Inbound.Status.REJECTED and invalid.error == "Falta el número."


def test_a_handler_that_breaks_leaves_nothing_half_saved(echo):
    broken = text("ECO ROTO")
    assert broken.status == Inbound.Status.FAILED
    assert not AuditEntry.objects.filter(action="eco.partial").exists()
    assert Inbound.objects.filter(pk=broken.pk).exists()  # the raw text stays, to be replayed


def test_kitchen_texts_are_not_taken_and_keywords_are_not_shared(echo):
    assert commands.find("R 120 30 10") is None and commands.find("zzz") is None
    with pytest.raises(ImproperlyConfigured):
        commands.register(commands.TextCommand(name="other", words=frozenset({"eco"}), handle=lambda i, a: ""))
    with pytest.raises(ImproperlyConfigured):
        commands.register(commands.TextCommand(name="other", words=frozenset({"s"}), handle=lambda i, a: ""))
