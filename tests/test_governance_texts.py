"""Votes and attendance by text message, through the gateway's own path (`receive_text`): stored
raw first, the sender found on the roll by her phone, counted once by `cast_vote`, and every bad
input of the issue answered with why in Spanish."""

import datetime

import pytest
from django.utils import timezone

from ayni.audit.models import AuditEntry
from ayni.capture.inbound import receive_text, replay
from ayni.capture.models import Channel, Inbound, OutboundMessage
from ayni.governance import services
from ayni.governance.integrity import governance_violations
from ayni.governance.models import Assembly, Attendance, Motion, Vote
from ayni.people.models import Person
from ayni.people.services import register_person
from tests.governance_helpers import SYSTEM, Clock, convene, in_session, socias

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


class Phone:
    """Texts from one phone, a few minutes apart (as a person types them: never throttled)."""

    def __init__(self, clock, number):
        self.clock, self.number, self.sent = clock, number, 0

    def send(self, body, ident=None):
        self.clock.at(timezone.now() + datetime.timedelta(minutes=2))
        self.sent += 1
        return receive_text(gateway="android", channel=Channel.SMS, sender=self.number, text=body,
                            external_id=ident if ident is not None else f"{self.number}-{self.sent}")


def tally(motion):
    motion.refresh_from_db()
    return motion.yes, motion.no, motion.abstain, motion.voters


@pytest.fixture
def consultation(world, clock):
    """A consultation of the kitchen over three days, open now, with an open and a secret motion."""
    people = [world.member, *socias(world.kitchen, 9)]
    assembly = convene(world.kitchen, mode=Assembly.Mode.ASYNC, window_days=3)
    item = assembly.agenda.first()
    motion = services.add_motion(scope=SYSTEM, item=item, text="Aprobar el informe de la presidenta")
    secret = services.add_motion(scope=SYSTEM, item=item, text="Confianza en la tesorera", ballot="secret")
    clock.at(assembly.starts_at + datetime.timedelta(hours=1))
    return assembly, motion, secret, people


def phone_of(clock, person):
    return Phone(clock, f"+51 {person.phone[:3]} {person.phone[3:6]} {person.phone[6:]}")


def test_a_vote_by_text_is_stored_raw_counted_once_and_answered(consultation, clock):
    assembly, motion, _secret, people = consultation
    phone = phone_of(clock, people[1])
    inbound = phone.send(f"V {motion.pk} SI")
    assert inbound.status == Inbound.Status.ACCEPTED
    assert inbound.payload["text"] == f"V {motion.pk} SI"
    assert tally(motion) == (1, 0, 0, 1)
    vote = Vote.objects.get(motion=motion)
    assert vote.channel == "sms" and vote.elector.person == people[1]
    reply = OutboundMessage.objects.get(inbound=inbound).body
    assert f"Voto anotado en la moción {motion.pk}" in reply and "A favor" in reply
    # In a consultation, to vote is to attend.
    assert Attendance.objects.get(elector__person=people[1]).how == Attendance.How.VOTE
    assert AuditEntry.objects.filter(action="gov.vote").count() == 1
    assert governance_violations() == []


@pytest.mark.parametrize(("body", "expected"), [
    ("VOTO {n} no", (0, 1, 0, 1)),
    ("v{n} abs", (0, 0, 1, 1)),
    ("V {n} Sí", (1, 0, 0, 1)),
    ("AKLLAY {n} ARÍ", (1, 0, 0, 1)),
    ("V {n} MANAM", (0, 1, 0, 1)),
    ("V {n} mana akllaspa", (0, 0, 1, 1)),
    ("V #{n} A FAVOR", (1, 0, 0, 1)),
    ("V {n}. EN CONTRA", (0, 1, 0, 1)),
    ("V SI {n}", (1, 0, 0, 1)),
    ("V {n}si", (1, 0, 0, 1)),
])
def test_spanish_and_quechua_words(consultation, clock, body, expected):
    _a, motion, _s, people = consultation
    assert phone_of(clock, people[2]).send(body.format(n=motion.pk)).status == Inbound.Status.ACCEPTED
    assert tally(motion) == expected


@pytest.mark.parametrize(("body", "reply"), [
    ("V", "Falta el número de la moción"),
    ("V SI", "Falta el número de la moción"),
    ("VOTO {n}", "Falta su voto en la moción {n}"),
    ("V l2 SI", "No entendí el número de la moción «L2»"),
    ("V 1O SI", "No entendí el número de la moción «1O»"),
    ("V {n} QUIZAS", "No entendí su voto «QUIZAS»"),
    ("V {n} SI NO", "No entendí su voto «SI NO»"),
    ("V 99999999999999999999 SI", "No existe la moción 99999999999999999999"),
])
def test_a_missing_or_garbled_vote_text_is_refused_saying_what_is_wrong(consultation, clock, body, reply):
    _a, motion, _s, people = consultation
    inbound = phone_of(clock, people[1]).send(body.format(n=motion.pk))
    assert inbound.status == Inbound.Status.REJECTED
    assert reply.format(n=motion.pk) in inbound.error
    assert "V 12 SI" in inbound.error or "No existe" in inbound.error or f"V {motion.pk} SI" in inbound.error
    assert OutboundMessage.objects.get(inbound=inbound).body == inbound.error
    assert tally(motion) == (0, 0, 0, 0) and not Vote.objects.exists()


def test_a_motion_that_does_not_exist_and_one_she_is_not_on_the_roll_of_read_the_same(consultation, clock, world):
    _a, motion, _s, people = consultation
    # Juana is a socia of another kitchen, with a phone on record: the motion is not hers.
    world.member_other.phone = "955000111"
    world.member_other.save()
    stranger = Phone(clock, "955000111").send(f"V {motion.pk} SI")
    missing = phone_of(clock, people[1]).send("V 999999 SI")
    assert stranger.status == missing.status == Inbound.Status.REJECTED
    assert missing.error == "No existe la moción 999999. Revise el número en la convocatoria."
    assert stranger.error == missing.error.replace("999999", str(motion.pk))
    assert not Vote.objects.exists()


def test_a_phone_not_on_any_roll_is_told_so(consultation, clock):
    _a, motion, _s, _people = consultation
    inbound = Phone(clock, "+51 944 000 000").send(f"V {motion.pk} SI")
    assert inbound.status == Inbound.Status.REJECTED
    assert "Su celular no figura en ningún padrón" in inbound.error
    assert not Vote.objects.exists()
    assert Inbound.objects.filter(pk=inbound.pk, payload__text=f"V {motion.pk} SI").exists()  # stored raw


def test_a_socia_not_in_good_standing_learns_why_she_is_off_the_roll(world, clock):
    socias(world.kitchen, 4)
    services.set_statute_rule(scope=SYSTEM, organisation=world.kitchen, min_membership_days=90)
    newcomer = register_person(scope=SYSTEM, organisation=world.kitchen, given_names="Nueva", paternal_surname="Socia",
                               since=timezone.localdate() - datetime.timedelta(days=10), phone="966000222")
    assembly = convene(world.kitchen, mode=Assembly.Mode.ASYNC)
    motion = services.add_motion(scope=SYSTEM, item=assembly.agenda.first(), text="Pintar el local")
    clock.at(assembly.starts_at + datetime.timedelta(hours=1))
    assert not assembly.electors.filter(person=newcomer).exists()
    inbound = Phone(clock, "966000222").send(f"V {motion.pk} SI")
    assert inbound.status == Inbound.Status.REJECTED
    assert "no tenía la antigüedad de 90 días" in inbound.error
    assert tally(motion) == (0, 0, 0, 0)


def test_a_vote_before_or_after_the_window_is_refused(consultation, clock):
    assembly, motion, _s, people = consultation
    phone = phone_of(clock, people[3])
    clock.at(assembly.starts_at - datetime.timedelta(days=1))
    early = phone.send(f"V {motion.pk} SI")
    assert early.status == Inbound.Status.REJECTED and "se abre el" in early.error
    clock.at(assembly.ends_at + datetime.timedelta(minutes=1))
    late = phone.send(f"V {motion.pk} SI")
    assert late.status == Inbound.Status.REJECTED and "cerró el" in late.error and "no se cuenta" in late.error
    assert tally(motion) == (0, 0, 0, 0)


def test_a_vote_in_a_session_only_while_the_motion_is_open(world, clock):
    people = [world.member, *socias(world.kitchen, 4)]
    assembly = in_session(convene(world.kitchen), clock)
    motion = services.add_motion(scope=SYSTEM, item=assembly.agenda.first(), text="Aprobar el informe")
    phone = phone_of(clock, people[1])
    assert "aún no está en votación" in phone.send(f"V {motion.pk} SI").error
    services.open_motion(scope=SYSTEM, motion=motion)
    assert phone.send(f"V {motion.pk} SI").status == Inbound.Status.ACCEPTED
    services.close_motion(scope=SYSTEM, motion=motion)
    assert "ya cerró" in phone.send(f"V {motion.pk} NO").error
    assert tally(motion) == (1, 0, 0, 1)


def test_twice_counts_once_and_a_change_replaces_keeping_history(consultation, clock):
    _a, motion, _s, people = consultation
    phone = phone_of(clock, people[4])
    first = phone.send(f"V {motion.pk} SI", ident="gw-1")
    # The gateway posts the same webhook again: the same stored text, its first result.
    again = receive_text(gateway="android", channel=Channel.SMS, sender=phone.number, text=f"V {motion.pk} SI",
                         external_id="gw-1")
    assert again.pk == first.pk
    # She sends it again herself: refused as already counted.
    twice = phone.send(f"V {motion.pk} SI")
    assert twice.status == Inbound.Status.REJECTED and "Ya votó «A favor»" in twice.error
    assert tally(motion) == (1, 0, 0, 1)
    changed = phone.send(f"V {motion.pk} NO")
    assert "Cambió su voto" in OutboundMessage.objects.get(inbound=changed).body
    assert tally(motion) == (0, 1, 0, 1)
    assert list(Vote.objects.filter(motion=motion).order_by("sequence").values_list("choice", "is_current")) == [
        ("yes", False), ("no", True)]
    assert governance_violations() == []


def test_a_replay_of_an_earlier_text_does_not_undo_a_later_vote(consultation, clock):
    _a, motion, _s, people = consultation
    phone = phone_of(clock, people[5])
    early = phone.send(f"V {motion.pk} SI")
    # As if the server had died before processing it: it waits to be replayed.
    Inbound.objects.filter(pk=early.pk).update(status=Inbound.Status.FAILED)
    Vote.objects.all().delete()
    Motion.objects.filter(pk=motion.pk).update(yes=0, voters=0)
    motion.participations.all().delete()
    phone.send(f"V {motion.pk} NO")
    replay(ids=[early.pk])
    early.refresh_from_db()
    assert early.status == Inbound.Status.REJECTED and "ya fue reemplazado" in early.error
    assert tally(motion) == (0, 1, 0, 1)
    replay(ids=[early.pk])  # final now: nothing more
    assert tally(motion) == (0, 1, 0, 1) and Vote.objects.count() == 1


def test_a_secret_vote_by_text_names_nobody_and_its_reply_does_not_say_how(consultation, clock):
    _a, _m, secret, people = consultation
    inbound = phone_of(clock, people[6]).send(f"V {secret.pk} NO")
    assert inbound.status == Inbound.Status.ACCEPTED
    vote = Vote.objects.get(motion=secret)
    assert vote.elector is None and vote.cast_at is None
    reply = OutboundMessage.objects.get(inbound=inbound).body
    assert "secreto" in reply and "contra" not in reply.lower()
    entry = AuditEntry.objects.get(action="gov.vote")
    assert "choice" not in str(entry.after)
    assert tally(secret) == (0, 1, 0, 1)


def test_a_delegate_votes_by_text_with_her_weight(world, clock):
    socias(world.kitchen, 40)
    services.set_statute_rule(scope=SYSTEM, organisation=world.ves, delegate_weight="members", members_per_vote=20)
    assembly = convene(world.ves, mode=Assembly.Mode.ASYNC)
    delegate = world.member
    services.accredit_delegate(scope=SYSTEM, assembly=assembly, member_org=world.kitchen, person=delegate)
    motion = services.add_motion(scope=SYSTEM, item=assembly.agenda.first(), text="Plan anual")
    clock.at(assembly.starts_at + datetime.timedelta(hours=1))
    assert phone_of(clock, delegate).send(f"V {motion.pk} SI").status == Inbound.Status.ACCEPTED
    assert tally(motion) == (3, 0, 0, 1)
    # A socia of the kitchen who is not a delegate learns that delegates vote here.
    socia = Person.objects.filter(memberships__organisation=world.kitchen).exclude(pk=delegate.pk).first()
    refused = phone_of(clock, socia).send(f"V {motion.pk} SI")
    assert "votan las delegadas acreditadas" in refused.error


def test_a_shared_phone_on_the_roll_twice_is_asked_to_vote_otherwise(consultation, clock):
    _a, motion, _s, people = consultation
    people[8].phone = people[7].phone
    people[8].save()
    assembly = motion.item.assembly
    assert assembly.electors.filter(person__in=people[7:9]).count() == 2
    inbound = phone_of(clock, people[7]).send(f"V {motion.pk} SI")
    assert inbound.status == Inbound.Status.REJECTED and "varias personas" in inbound.error
    assert not Vote.objects.exists()


def test_many_votes_tally_as_a_recount(consultation, clock):
    _a, motion, secret, people = consultation
    for i, person in enumerate(people):
        phone = phone_of(clock, person)
        phone.send(f"V {motion.pk} {'SI' if i % 3 else 'NO'}")
        phone.send(f"V {secret.pk} {'ABS' if i % 2 else 'SI'}")
        if i % 4 == 0:
            phone.send(f"V {motion.pk} ABS")
    assert tally(motion)[3] == 10 and tally(secret)[3] == 10
    assert sum(tally(motion)[:3]) == 10
    assert governance_violations() == []


# --- PRESENTE ------------------------------------------------------------------------------------

def test_present_marks_her_once_at_todays_assembly(world, clock):
    people = [world.member, *socias(world.kitchen, 4)]
    assembly = convene(world.kitchen, mode=Assembly.Mode.HYBRID)
    phone = phone_of(clock, people[2])
    clock.at(assembly.starts_at - datetime.timedelta(days=2))
    early = phone.send("PRESENTE")
    assert early.status == Inbound.Status.REJECTED and "La asistencia se toma el día de la asamblea" in early.error
    clock.at(assembly.starts_at - datetime.timedelta(minutes=30))
    inbound = phone.send("Presente")
    assert inbound.status == Inbound.Status.ACCEPTED and "quedó anotada como presente" in inbound.error + \
        OutboundMessage.objects.get(inbound=inbound).body
    again = phone.send("KAYPIM")
    assert again.status == Inbound.Status.ACCEPTED
    assert "ya estaba anotada" in OutboundMessage.objects.get(inbound=again).body
    attendance = Attendance.objects.get(assembly=assembly)
    assert attendance.elector.person == people[2] and attendance.how == Attendance.How.TEXT
    assert services.quorum_state(assembly).present == 1
    assert AuditEntry.objects.filter(action="gov.attendance").count() == 1


def test_present_with_two_assemblies_today_asks_which(world, clock):
    people = [world.member, *socias(world.kitchen, 2)]
    first = convene(world.kitchen, mode=Assembly.Mode.IN_PERSON)
    federation = convene(world.ves, mode=Assembly.Mode.IN_PERSON)
    services.accredit_delegate(scope=SYSTEM, assembly=federation, member_org=world.kitchen, person=people[0])
    clock.at(first.starts_at)
    phone = phone_of(clock, people[0])
    asked = phone.send("PRESENTE")
    assert asked.status == Inbound.Status.REJECTED
    assert f"PRESENTE {first.pk}" in asked.error and f"PRESENTE {federation.pk}" in asked.error
    assert phone.send(f"PRESENTE {federation.pk}").status == Inbound.Status.ACCEPTED
    assert Attendance.objects.get().assembly == federation
    assert "No tiene hoy una asamblea N° 424242" in phone.send("PRESENTE 424242").error


def test_present_in_a_consultation_or_from_a_stranger(consultation, clock):
    _a, _m, _s, people = consultation
    assembly = _a
    clock.at(assembly.starts_at - datetime.timedelta(days=1))
    assert "su asistencia es su voto" in phone_of(clock, people[1]).send("PRESENTE").error
    assert "Su celular no figura en ningún padrón" in Phone(clock, "933999888").send("PRESENTE").error
    assert not Attendance.objects.exists()


def test_an_open_consultation_texts_its_ballot_to_the_roll_once(consultation, clock):
    assembly, motion, secret, people = consultation
    assert services.announce_open_consultations() == 1
    assert services.announce_open_consultations() == 0
    sent = OutboundMessage.objects.filter(purpose=OutboundMessage.Purpose.REMINDER, body__contains="vote hasta")
    assert sent.count() == len({p.phone for p in people})
    body = sent.first().body
    assert f"Moción {motion.pk}:" in body and f"Moción {secret.pk}:" in body and f"V {motion.pk} SI" in body
    assert len(body) <= 300
