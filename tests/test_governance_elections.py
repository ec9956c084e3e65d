"""Board elections: the electoral committee, lists of candidates, the vote as motions of kind
board election under the statute's majority, and the winning list written into the registry as
positions with their term; the term-expiry alert points to the election to call."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ayni.audit.models import AuditEntry
from ayni.capture.inbound import receive_text
from ayni.capture.models import Channel, Inbound
from ayni.governance import elections, services
from ayni.governance.integrity import election_violations, governance_violations
from ayni.governance.models import DecisionKind, Election, Motion
from ayni.people.models import Position, PositionKind
from tests.governance_helpers import SYSTEM, Clock, convene, in_session, socias

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def kind(code):
    return PositionKind.objects.get(code=code)


@pytest.fixture
def called(world):
    """A kitchen of 9 socias (and María Elena, presidenta until 30 days from now), an assembly
    convened for ten days from now, and its election with a committee of one."""
    people = socias(world.kitchen, 8)
    assembly = convene(world.kitchen, agenda=["Informe", "Elección de la junta directiva"])
    day = timezone.localdate(assembly.starts_at)
    election = elections.call_election(scope=SYSTEM, item=assembly.agenda.get(number=2), term_starts=day,
                                       term_ends=day + datetime.timedelta(days=730),
                                       committee=[(people[7], "Presidenta del comité")])
    return election, assembly, people


def slate(election, name, **by_kind):
    return elections.register_slate(scope=SYSTEM, election=election, name=name,
                                    candidates=[(kind(code), person) for code, person in by_kind.items()])


def test_the_winning_list_becomes_the_board_with_its_term(world, called, clock):
    election, assembly, people = called
    unity = slate(election, "Unidad", presidenta=people[0], secretaria=people[1], tesorera=people[2])
    [motion] = elections.open_ballot(scope=SYSTEM, election=election)
    assert (motion.decision, motion.ballot, motion.item_id) == (DecisionKind.ELECTION, Motion.Ballot.SECRET,
                                                                 election.item_id)
    in_session(assembly, clock)
    services.open_motion(scope=SYSTEM, motion=motion)
    for person in people[:5]:
        services.cast_vote(scope=SYSTEM, motion_id=motion.pk, person=person, choice="yes")
    # One more by text message, through the gateway's path.
    inbound = receive_text(gateway="android", channel=Channel.SMS, sender=people[5].phone, text=f"V {motion.pk} NO",
                           external_id="e1")
    assert inbound.status == Inbound.Status.ACCEPTED
    services.close_motion(scope=SYSTEM, motion=motion)
    decided, why = elections.decide_election(scope=SYSTEM, election=election)
    assert why == "" and decided.status == Election.Status.DECIDED and decided.winner == unity
    board = Position.objects.filter(organisation=world.kitchen, starts_on=election.term_starts,
                                    ends_on=election.term_ends)
    assert {(p.kind_id, p.person_id) for p in board} == {("presidenta", people[0].pk), ("secretaria", people[1].pk),
                                                         ("tesorera", people[2].pk)}
    assert all("Unidad" in p.elected_by for p in board)
    # The outgoing presidenta's term ends the day before the new one starts.
    outgoing = Position.objects.get(organisation=world.kitchen, person=world.member, kind_id="presidenta")
    assert outgoing.ends_on == election.term_starts - datetime.timedelta(days=1)
    assert AuditEntry.objects.filter(action="position.create").count() >= 3
    assert AuditEntry.objects.filter(action="position.end").exists()
    assert AuditEntry.objects.filter(action="gov.election.decide").exists()
    assert election_violations() == [] and governance_violations() == []


def test_bad_lists_are_refused_saying_why(world, called):
    election, _assembly, people = called
    with pytest.raises(ValidationError, match="es del comité electoral y no puede postular"):
        slate(election, "A", presidenta=people[7])
    with pytest.raises(ValidationError, match="necesita una candidata a presidenta"):
        slate(election, "B", tesorera=people[0])
    with pytest.raises(ValidationError, match="no es socia de Comedor Popular Santa Rosa"):
        slate(election, "C", presidenta=world.member_other)
    with pytest.raises(ValidationError, match="Escriba el nombre de la lista"):
        slate(election, "  ", presidenta=people[0])
    with pytest.raises(ValidationError, match="Solo se eligen cargos de la junta"):
        elections.register_slate(scope=SYSTEM, election=election, name="D", candidates=[
            (kind("presidenta"), people[0]), (kind("promotora-salud"), people[1])])
    slate(election, "Unidad", presidenta=people[0])
    with pytest.raises(ValidationError, match="ya postula en otra lista"):
        slate(election, "E", presidenta=people[0])
    assert election.slates.count() == 1
    elections.open_ballot(scope=SYSTEM, election=election)
    with pytest.raises(ValidationError, match="inscripción de listas ya se cerró"):
        slate(election, "Tarde", presidenta=people[3])
    with pytest.raises(ValidationError, match="Cierre primero la votación"):
        elections.decide_election(scope=SYSTEM, election=election)


def test_an_election_needs_a_committee_a_term_and_a_live_assembly(world, called):
    election, assembly, people = called
    item = assembly.agenda.get(number=1)
    day = timezone.localdate(assembly.starts_at)
    with pytest.raises(ValidationError) as caught:
        elections.call_election(scope=SYSTEM, item=item, term_starts=day, term_ends=day, committee=[])
    assert set(caught.value.message_dict) >= {"term_ends", "committee", "item"}
    with pytest.raises(ValidationError, match="No son socias"):
        elections.call_election(scope=SYSTEM, item=convene(world.kitchen, days=20).agenda.first(), term_starts=day,
                                term_ends=day + datetime.timedelta(days=700), committee=[(world.member_other, "x")])


def vote_on(motion, people, choices):
    for person, choice in zip(people, choices, strict=False):
        services.cast_vote(scope=SYSTEM, motion_id=motion.pk, person=person, choice=choice)
    return services.close_motion(scope=SYSTEM, motion=motion)


def test_of_two_adopted_lists_the_one_with_more_votes_wins_and_a_tie_elects_nobody(world, called, clock):
    election, assembly, people = called
    slate(election, "Uno", presidenta=people[0])
    two = slate(election, "Dos", presidenta=people[1])
    first, second = elections.open_ballot(scope=SYSTEM, election=election, ballot=Motion.Ballot.OPEN)
    in_session(assembly, clock)
    for m in (first, second):
        services.open_motion(scope=SYSTEM, motion=m)
    vote_on(first, people[:7], ["yes", "yes", "yes", "no", "no", "abstain", "abstain"])
    vote_on(second, people[:7], ["yes", "yes", "yes", "yes", "yes", "no", "no"])
    decided, _why = elections.decide_election(scope=SYSTEM, election=election)
    assert decided.winner == two
    assert Position.objects.filter(person=people[1], kind_id="presidenta", starts_on=election.term_starts).exists()
    assert not Position.objects.filter(person=people[0], kind_id="presidenta").exists()


def test_a_tie_or_a_rejected_list_elects_nobody(world, called, clock):
    election, assembly, people = called
    slate(election, "Uno", presidenta=people[0])
    slate(election, "Dos", presidenta=people[1])
    first, second = elections.open_ballot(scope=SYSTEM, election=election, ballot=Motion.Ballot.OPEN)
    in_session(assembly, clock)
    for m in (first, second):
        services.open_motion(scope=SYSTEM, motion=m)
    vote_on(first, people[:4], ["yes", "yes", "yes", "no"])
    vote_on(second, people[:4], ["yes", "yes", "yes", "no"])
    decided, why = elections.decide_election(scope=SYSTEM, election=election)
    assert decided.status == Election.Status.VOID and "Empate" in why and decided.winner is None
    assert not Position.objects.filter(starts_on=election.term_starts).exists()
    # Void, the election may be called again in another assembly.
    assert elections.board_term_ending(world.kitchen, on=timezone.localdate()) is not None


def test_the_term_expiry_alert_points_to_the_election_to_call(world, login):
    # María Elena's term as presidenta ends in 30 days and no election is under way.
    ends = elections.board_term_ending(world.kitchen)
    assert ends == timezone.localdate() + datetime.timedelta(days=30)
    page = login(world.leader).get(reverse("governance:assemblies", args=[world.kitchen.pk]))
    assert "convoque la elección" in page.content.decode()
    home = login(world.coordinator).get(reverse("core:home"))
    assert reverse("governance:elections", args=[world.kitchen.pk]) in home.content.decode()
    socias(world.kitchen, 2)
    assembly = convene(world.kitchen)
    day = timezone.localdate(assembly.starts_at)
    elections.call_election(scope=SYSTEM, item=assembly.agenda.first(), term_starts=day,
                            term_ends=day + datetime.timedelta(days=730),
                            committee=[(world.kitchen.memberships.last().person, "Presidenta")])
    assert elections.board_term_ending(world.kitchen) is None


def test_the_election_pages(world, called, login):
    election, _assembly, people = called
    client = login(world.leader)
    new = client.post(reverse("governance:slate_add", args=[world.kitchen.pk, election.pk]),
                      {"name": "Renovación", "dni_presidenta": "45678912"})
    assert new.status_code == 302
    assert election.slates.get().candidates.get().person == world.member
    refused = client.post(reverse("governance:slate_add", args=[world.kitchen.pk, election.pk]),
                          {"name": "Otra", "dni_presidenta": "23456781"})  # Juana, of Cusco: not in her sight
    assert refused.status_code == 200 and "No hay una persona con el DNI 23456781" in refused.content.decode()
    page = client.get(reverse("governance:election", args=[world.kitchen.pk, election.pk]))
    assert "Renovación" in page.content.decode() and "María Elena Quispe Mamani" in page.content.decode()
    client.post(reverse("governance:election_ballot", args=[world.kitchen.pk, election.pk]), {"ballot": "secret"})
    election.refresh_from_db()
    assert election.status == Election.Status.VOTING and election.slates.get().motion is not None
