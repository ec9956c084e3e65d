"""A member's own phone records her savings-group movements by text (`A 3`, `P 50`), for today's
meeting, confirmed back; another phone is refused; a replay counts once."""

import pytest

from ayni.capture import commands
from ayni.capture.inbound import receive_text, replay
from ayni.capture.models import Channel, Inbound, OutboundMessage
from ayni.economy import ledger, services
from ayni.economy.models import Entry, EntryKind
from tests.economy_helpers import SYSTEM, meeting, savings_group

pytestmark = pytest.mark.django_db


def text(phone, body, ident=""):
    return receive_text(gateway="android", channel=Channel.SMS, sender=phone, text=body, external_id=ident)


def reply(inbound):
    """What she is answered (a burst of texts within seconds gets one text back: the reply is in the result)."""
    return inbound.result["reply"]


def test_the_words_are_registered_and_do_not_clash_with_the_kitchen():
    assert commands.find("A 3")[0].name == "savings_shares"
    assert commands.find("p50")[0].name == "savings_payment"
    assert commands.find("R 120 30 10 5") is None  # the kitchen's daily report stays hers


def test_shares_by_text_are_confirmed_and_counted_once(world):
    _g, cycle, (ana, *_r) = savings_group(world.kitchen)
    inbound = text("+51 " + ana.person.phone, "A 3", ident="m1")
    assert inbound.status == Inbound.Status.ACCEPTED, inbound.error
    assert "3 acciones (S/ 30.00) anotadas" in reply(inbound) and "tiene 3 acciones" in reply(inbound)
    assert OutboundMessage.objects.get(inbound=inbound).body == reply(inbound)
    entry = Entry.objects.get()
    assert (entry.kind, entry.shares, entry.channel, entry.client_id) == (EntryKind.SHARES, 3, "sms",
                                                                          f"sms:{inbound.pk}")
    # The gateway retries, the server replays: still one entry.
    assert text("+51 " + ana.person.phone, "A 3", ident="m1").pk == inbound.pk
    Inbound.objects.filter(pk=inbound.pk).update(status=Inbound.Status.FAILED)
    replay()
    assert Entry.objects.count() == 1


def test_a_payment_by_text_splits_interest_and_principal(world):
    _g, cycle, (ana, bea, *_r) = savings_group(world.kitchen)
    first = meeting(cycle, 100)
    services.buy_shares(scope=SYSTEM, meeting=first, member=ana, shares=5)
    services.buy_shares(scope=SYSTEM, meeting=first, member=bea, shares=5)
    services.disburse_loan(scope=SYSTEM, meeting=first, member=ana, principal=10000, term_months=3)
    inbound = text(ana.person.phone, "pago 50")
    assert inbound.status == Inbound.Status.ACCEPTED, inbound.error
    # 100 days at 5 % flat: four months begun, S/ 20.00 of interest first.
    assert reply(inbound).endswith("pago de S/ 50.00 anotado (interés S/ 20.00, capital S/ 30.00). Aún debe "
                                   "S/ 70.00.")
    too_much = text(ana.person.phone, "P 70.01")
    assert too_much.status == Inbound.Status.REJECTED and "no puede ser mayor que la deuda" in reply(too_much)
    assert ledger.books(services.rows_of(cycle)).members[ana.pk].loan_outstanding == 7000


def test_a_phone_not_in_a_group_is_refused(world):
    _g, cycle, (ana, *_r) = savings_group(world.kitchen)
    inbound = text("+51 987 000 999", "A 2")
    assert inbound.status == Inbound.Status.REJECTED
    assert "no es de una socia de un banquito" in reply(inbound)
    assert not Entry.objects.exists()


def test_shares_out_of_the_rule_by_text_are_refused_with_why(world):
    _g, cycle, (ana, *_r) = savings_group(world.kitchen, shares_max=4)
    inbound = text(ana.person.phone, "A 9")
    assert inbound.status == Inbound.Status.REJECTED and "de 1 a 4 acciones" in reply(inbound)
    assert "A y el número" in reply(text(ana.person.phone, "A tres"))
