"""The field forms by text message in their ODK XForms compact record representation for SMS
(https://getodk.github.io/xforms-spec/#compact-record-representation-(for-sms)): the form's
prefix, then tag and value pairs, a delimiter inside a value escaped with a backslash. Checked
against the spec's own rules and against the reference encoder, the npm package
`odk-xform-compact-record-representation-for-sms` (its output for the same instance is read
back). A text is stored raw by capture, handed over through capture's text-command registry,
saved by the kitchens' services; replies in Spanish or Quechua; refusals name what is wrong."""

import datetime
from decimal import Decimal

import pytest

from ayni.capture.inbound import receive_text, replay
from ayni.capture.models import Channel, Inbound, OutboundMessage
from ayni.kitchens.models import DailyReport, StockMovement
from ayni.people.models import Language, Person
from ayni.reach import compact
from tests.kitchens import TODAY, report

pytestmark = pytest.mark.django_db
PHONE = "+51912345678"  # the leader's phone (tests/conftest.py: rosa)


def text(body, ident="", sender=PHONE):
    return receive_text(gateway="android", channel=Channel.SMS, sender=sender, text=body, external_id=ident)


def reply(inbound) -> str:
    return inbound.result["reply"]


# --- The representation itself ----------------------------------------------------------------


def test_the_forms_carry_their_prefix_and_tags_as_the_spec_says():
    forms = compact.compact_forms()
    assert set(forms) == {"pd", "mv"}
    assert forms["pd"].tags["rp"] == "rations_prepared" and forms["pd"].delimiter == " "
    assert b'odk:prefix="PD"' in forms["pd"].built.xml and b'odk:tag="rp"' in forms["pd"].built.xml


def test_a_record_is_split_on_the_delimiter_and_a_backslash_keeps_it_in_the_value():
    assert compact.split("hh|fn|Mary\\|Kate|ln|Doe", "|") == ["hh", "fn", "Mary|Kate", "ln", "Doe"]
    assert compact.split("hh|fn||ln|Bar", "|") == ["hh", "fn", "", "ln", "Bar"]  # the spec's empty value
    assert compact.split("PD  me Arroz\\ con\\ pollo", " ") == ["PD", "me", "Arroz con pollo"]


def test_the_reference_encoders_output_is_read_back():
    # What odk-xform-compact-record-representation-for-sms 1.0.1 writes for an instance of the daily
    # form (prefix, then tag and value of each tagged node with a value, joined by the delimiter,
    # the first delimiter inside a value escaped): read back to the same values.
    encoded = "PD f 2026-11-28 nc no rp 120 pa 80 su 30 gr 10 me Arroz\\ con pollo ok no"
    form, values = compact.read(encoded)
    assert form.built.form.form_id == "ayni_parte_diario"
    assert values == {
        "date": "2026-11-28",
        "is_closed": "no",
        "rations_prepared": "120",
        "served_paying": "80",
        "served_subsidised": "30",
        "served_free": "10",
        "menu": "Arroz con pollo",
        "confirm": "no",
    }


# --- A daily report by text ---------------------------------------------------------------------


def test_a_compact_daily_report_is_stored_raw_and_saved_by_the_kitchen_service(world):
    inbound = text("PD rp 130 pa 80 su 30 gr 10 me Arroz con pollo", "m-1")
    assert inbound.status == Inbound.Status.ACCEPTED, reply(inbound)
    saved = DailyReport.objects.get(kitchen=world.kitchen, date=TODAY)
    assert (saved.rations_prepared, saved.served_paying, saved.served_free, saved.menu) == (
        130,
        80,
        10,
        "Arroz con pollo",
    )
    assert "120 raciones" in reply(inbound)
    assert inbound.payload["text"].startswith("PD rp 130")  # the text as it came
    item = Inbound.objects.get(kind=Inbound.Kind.REPORT)
    assert item.channel == Channel.SMS and item.client_id == f"sms/{inbound.pk}" and item.kitchen == world.kitchen
    assert OutboundMessage.objects.get(inbound=inbound).to == PHONE


def test_a_compact_report_corrects_the_day_and_keeps_what_it_leaves_out(world):
    report(
        world.kitchen, TODAY, rations_prepared=100, served_paying=60, served_subsidised=20, served_free=5, menu="Sopa"
    )
    inbound = text("PD pa 70")
    assert inbound.status == Inbound.Status.ACCEPTED, reply(inbound)
    day = DailyReport.objects.get(kitchen=world.kitchen, date=TODAY)
    assert (day.served_paying, day.served_subsidised, day.menu, day.version) == (70, 20, "Sopa", 2)


def test_the_same_text_replayed_or_resent_changes_nothing(world):
    inbound = text(f"PD f {(TODAY - datetime.timedelta(days=1)).isoformat()} rp 90 pa 60 su 20 gr 5", "m-2")
    assert inbound.status == Inbound.Status.ACCEPTED
    Inbound.objects.filter(pk=inbound.pk).update(status=Inbound.Status.FAILED)  # as if the server died after
    replay()
    assert Inbound.objects.filter(kind=Inbound.Kind.REPORT).count() == 1
    assert DailyReport.objects.get(kitchen=world.kitchen).version == 1
    assert text(inbound.payload["text"], "m-2").pk == inbound.pk  # the gateway's retry: the first result


def test_a_closed_day_by_text_with_a_spanish_yes(world):
    inbound = text("PD nc si mo Sin gas")
    assert inbound.status == Inbound.Status.ACCEPTED, reply(inbound)
    day = DailyReport.objects.get(kitchen=world.kitchen, date=TODAY)
    assert day.is_closed and day.closed_reason == "Sin gas"


def test_unusual_numbers_ask_for_ok_si_and_the_confirmed_text_is_taken(world):
    for n in range(1, 4):
        report(world.kitchen, TODAY - datetime.timedelta(days=n), rations_prepared=100, served_paying=80)
    refused = text("PD rp 900 pa 900")
    assert refused.status == Inbound.Status.REJECTED and "ok si" in reply(refused)
    taken = text("PD rp 900 pa 900 ok si")
    assert taken.status == Inbound.Status.ACCEPTED, reply(taken)


# --- A stock movement by text -------------------------------------------------------------------


def test_a_compact_movement_is_recorded_once_even_when_the_phone_sends_it_again(world):
    first = text("MV t used a arroz c 5", "g-1")
    assert first.status == Inbound.Status.ACCEPTED, reply(first)
    again = text("MV t used a arroz c 5", "g-2")  # another id from an Android gateway, moments later
    assert again.status == Inbound.Status.ACCEPTED and "ya estaba anotado" in reply(again)
    assert StockMovement.objects.get(kitchen=world.kitchen).quantity == Decimal("5")


# --- Bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("PD rp", "cortado"),  # truncated: a tag without its value
        ("PD rp 120 xx 3", "«xx»"),  # a tag the form does not have
        ("PD rp 120 rp 130", "dos veces"),  # ambiguous: the same question twice
        ("PD", "no trae datos"),
        ("PD rp ciento pa 80", "número"),  # the web form's own rule, in its words
        ("PD f 28/11/2026 rp 10", "AAAA-MM-DD"),
        ("PD f 2999-01-01 rp 10", "futur"),
        ("MV t used a caviar c 5", "caviar"),
        ("MV t used a arroz c -5", "mayor"),
    ],
)
def test_malformed_texts_are_refused_naming_what_is_wrong_and_kept(world, body, words):
    inbound = text(body)
    assert inbound.status == Inbound.Status.REJECTED and words in reply(inbound).lower() or words in reply(inbound)
    assert Inbound.objects.get(pk=inbound.pk).payload["text"] == body
    assert not DailyReport.objects.exists() and not StockMovement.objects.exists()


def test_a_record_naming_another_kitchen_is_refused(world):
    inbound = text(f"PD k {world.kitchen_other.pk} rp 10 pa 10")
    assert inbound.status == Inbound.Status.REJECTED and world.kitchen.name in reply(inbound)
    assert not DailyReport.objects.exists()


def test_an_unknown_phone_is_told_so(world):
    inbound = text("PD rp 10 pa 10", sender="+51900000000")
    assert inbound.status == Inbound.Status.REJECTED and "no está registrado" in reply(inbound)


def test_replies_are_in_quechua_for_a_leader_who_speaks_quechua_only(world):
    person = Person.objects.create(given_names="Rosa", paternal_surname="Quispe", phone="912345678")
    person.languages.set([Language.objects.get(code="quechua")])
    world.leader.person = person
    world.leader.save()
    taken = text("PD rp 50 pa 50 su 0 gr 0 me Lawa con chuño")  # Quechua and Spanish words in one text
    assert taken.status == Inbound.Status.ACCEPTED, reply(taken)
    assert "Añay" in reply(taken)  # the confirmation in Quechua
    refused = text("PD rp")
    assert "cortado" not in reply(refused)
