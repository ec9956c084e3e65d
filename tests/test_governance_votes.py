"""Motions and votes: replacement with history, refusals with reasons, show of hands,
weighted delegates, majorities and ties, and secret ballots that name nobody."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ayni.accounts.scope import Scope
from ayni.audit.models import AuditEntry
from ayni.governance import services
from ayni.governance.integrity import governance_violations, recount
from ayni.governance.models import Assembly, Motion, Participation, Vote
from ayni.governance.services import VoteRefused, cast_vote
from ayni.people.models import Person
from tests.conftest import make_user
from tests.governance_helpers import SYSTEM, Clock, convene, in_session, socias


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def vote(motion, person, choice, **kw):
    return cast_vote(scope=SYSTEM, motion_id=motion.pk if isinstance(motion, Motion) else motion, person=person,
                     choice=choice, **kw)


def tally(motion):
    motion.refresh_from_db()
    return motion.yes, motion.no, motion.abstain, motion.voters


@pytest.fixture
def session(world, clock):
    """A kitchen assembly of 10 in session, one open motion."""
    people = [world.member, *socias(world.kitchen, 9)]
    assembly = in_session(convene(world.kitchen), clock)
    motion = services.add_motion(scope=SYSTEM, item=assembly.agenda.first(), text="Aprobar el informe")
    services.open_motion(scope=SYSTEM, motion=motion)
    return assembly, motion, people


def test_a_changed_vote_replaces_the_earlier_and_both_stay(session):
    _a, motion, people = session
    vote(motion, people[0], "yes")
    vote(motion, people[1], "no")
    vote(motion, people[0], "no")
    assert tally(motion) == (0, 2, 0, 2)
    history = Vote.objects.filter(motion=motion, elector__person=people[0]).order_by("sequence")
    assert [(v.choice, v.is_current) for v in history] == [("yes", False), ("no", True)]
    assert governance_violations() == []


def test_the_same_vote_twice_is_refused_and_counted_once(session):
    _a, motion, people = session
    vote(motion, people[0], "yes")
    with pytest.raises(VoteRefused, match="Ya votó «A favor»"):
        vote(motion, people[0], "yes")
    assert tally(motion) == (1, 0, 0, 1) and Vote.objects.count() == 1


def test_refusals_say_why(session, world):
    assembly, motion, people = session
    with pytest.raises(VoteRefused, match="No existe la moción 999"):
        vote(999, people[0], "yes")
    with pytest.raises(VoteRefused, match="No existe la moción"):
        vote("12a", people[0], "yes")
    with pytest.raises(VoteRefused, match="no figura en el padrón"):
        vote(motion, world.member_other, "yes")
    with pytest.raises(VoteRefused, match="SI"):
        vote(motion, people[0], "maybe")
    draft = services.add_motion(scope=SYSTEM, item=assembly.agenda.first(), text="Otra")
    with pytest.raises(VoteRefused, match="aún no está en votación"):
        vote(draft, people[0], "yes")
    services.close_motion(scope=SYSTEM, motion=motion)
    with pytest.raises(VoteRefused, match="ya cerró"):
        vote(motion, people[0], "yes")
    assert not Vote.objects.exists()


def test_absent_electors_vote_through_their_proxy_only(world, clock):
    people = [world.member, *socias(world.kitchen, 4)]
    assembly = convene(world.kitchen)
    clock.at(assembly.starts_at)
    services.record_attendance(scope=SYSTEM, assembly=assembly, numbers=[1, 2, 3], how="tap")
    services.record_proxy(scope=SYSTEM, assembly=assembly, giver_number=4, holder_number=1)
    services.check_quorum(scope=SYSTEM, assembly=assembly, call="first")
    motion = services.add_motion(scope=SYSTEM, item=assembly.agenda.first(), text="X")
    services.open_motion(scope=SYSTEM, motion=motion)
    by_number = {e.number: e.person for e in assembly.electors.select_related("person")}
    with pytest.raises(VoteRefused, match="dio carta poder"):
        vote(motion, by_number[4], "yes")
    with pytest.raises(VoteRefused, match="no figura en la asistencia"):
        vote(motion, by_number[5], "yes")
    with pytest.raises(VoteRefused, match="No tiene carta poder"):
        vote(motion, by_number[2], "yes", on_behalf_of=by_number[4])
    vote(motion, by_number[1], "yes")
    vote(motion, by_number[1], "no", on_behalf_of=by_number[4])
    assert tally(motion) == (1, 1, 0, 2)
    assert len(people) == 5


def test_a_person_votes_only_from_her_own_account(session, world):
    _a, motion, people = session
    maria = make_user("maria", person=people[0])
    cast_vote(scope=Scope.for_user(maria), motion_id=motion.pk, person=people[0], choice="yes")
    with pytest.raises(PermissionDenied):
        cast_vote(scope=Scope.for_user(maria), motion_id=motion.pk, person=people[1], choice="yes")
    with pytest.raises(PermissionDenied):
        cast_vote(scope=Scope.for_user(world.leader), motion_id=motion.pk, person=people[1], choice="yes")


def test_a_secret_ballot_names_nobody_yet_counts_each_person_once(session):
    assembly, _m, people = session
    secret = services.add_motion(scope=SYSTEM, item=assembly.agenda.first(), text="Elegir", ballot="secret")
    services.open_motion(scope=SYSTEM, motion=secret)
    vote(secret, people[0], "yes")
    vote(secret, people[1], "no")
    vote(secret, people[0], "abstain")
    with pytest.raises(VoteRefused):
        vote(secret, people[0], "abstain")
    assert tally(secret) == (0, 1, 1, 2)
    assert Vote.objects.filter(motion=secret).count() == 3
    assert not Vote.objects.filter(motion=secret, elector__isnull=False).exists()
    assert not Vote.objects.filter(motion=secret, cast_at__isnull=False).exists()
    # Who took part is known; how, nowhere a page reads: not in the audit trail either.
    assert Participation.objects.filter(motion=secret).count() == 2
    for entry in AuditEntry.objects.filter(action="gov.vote", after__motion=secret.pk):
        assert "choice" not in entry.after
    keys = set(Vote.objects.filter(motion=secret).values_list("voter_key", flat=True))
    assert len(keys) == 2


def test_an_open_vote_is_audited_with_its_choice(session):
    _a, motion, people = session
    vote(motion, people[0], "no")
    assert AuditEntry.objects.get(action="gov.vote").after == {"motion": motion.pk, "channel": "web", "choice": "no"}


def test_a_show_of_hands_cannot_count_more_than_those_present(session):
    assembly, _m, _p = session
    hands = services.add_motion(scope=SYSTEM, item=assembly.agenda.first(), text="Fiesta", ballot="hands")
    services.open_motion(scope=SYSTEM, motion=hands)
    with pytest.raises(ValidationError, match="solo hay 10 presentes"):
        services.record_hand_count(scope=SYSTEM, motion=hands, yes=8, no=3)
    with pytest.raises(ValidationError, match="Anote primero"):
        services.close_motion(scope=SYSTEM, motion=hands)
    services.record_hand_count(scope=SYSTEM, motion=hands, yes=6, no=3, abstain=1)
    services.record_hand_count(scope=SYSTEM, motion=hands, yes=5, no=3, abstain=1)  # counted again
    with pytest.raises(VoteRefused, match="mano alzada"):
        vote(hands, _p[0], "yes")
    closed = services.close_motion(scope=SYSTEM, motion=hands)
    assert (closed.yes, closed.outcome, hands.hand_counts.count()) == (5, Motion.Outcome.ADOPTED, 2)
    assert governance_violations() == []


def test_majority_by_kind_of_decision_and_ties(session):
    assembly, motion, people = session
    statute = services.add_motion(scope=SYSTEM, item=assembly.agenda.first(), text="Reforma", decision="statute")
    services.open_motion(scope=SYSTEM, motion=statute)
    for i, person in enumerate(people[:9]):
        vote(statute, person, "yes" if i < 5 else "no")  # 5 to 4: a simple majority, not two thirds
        if i < 8:
            vote(motion, person, "yes" if i < 4 else "no")  # 4 to 4
    assert services.close_motion(scope=SYSTEM, motion=statute).outcome == Motion.Outcome.REJECTED
    closed = services.close_motion(scope=SYSTEM, motion=motion)
    assert (closed.outcome, closed.majority) == (Motion.Outcome.TIE, "simple")


def test_weighted_delegate_votes_in_a_federation(world, clock):
    socias(world.kitchen, 40)
    services.set_statute_rule(scope=SYSTEM, organisation=world.ves, delegate_weight="members", members_per_vote=20)
    assembly = convene(world.ves)
    big = Person.objects.filter(memberships__organisation=world.kitchen).order_by("pk")[0]
    small = register_olla_socia(world)
    services.accredit_delegate(scope=SYSTEM, assembly=assembly, member_org=world.kitchen, person=big)
    services.accredit_delegate(scope=SYSTEM, assembly=assembly, member_org=world.olla, person=small)
    clock.at(assembly.starts_at)
    services.record_attendance(scope=SYSTEM, assembly=assembly, numbers=[1, 2], how="tap")
    # 3 + 1 present of 2×3 + 2×1 = 8: half plus one is 5, not met; a third (second call) is.
    assert not services.check_quorum(scope=SYSTEM, assembly=assembly, call="first").first
    clock.at(assembly.starts_at + datetime.timedelta(minutes=30))
    assert services.check_quorum(scope=SYSTEM, assembly=assembly, call="second").second
    motion = services.add_motion(scope=SYSTEM, item=assembly.agenda.first(), text="Plan")
    services.open_motion(scope=SYSTEM, motion=motion)
    vote(motion, big, "no")
    vote(motion, small, "yes")
    assert tally(motion) == (1, 3, 0, 2)
    assert services.close_motion(scope=SYSTEM, motion=motion).outcome == Motion.Outcome.REJECTED


def register_olla_socia(world):
    return socias(world.olla, 1)[0]


def test_an_asynchronous_consultation_counts_its_quorum_on_who_voted(world, clock):
    people = [world.member, *socias(world.kitchen, 9)]
    assembly = convene(world.kitchen, mode=Assembly.Mode.ASYNC, window_days=3)
    motion = services.add_motion(scope=SYSTEM, item=assembly.agenda.first(), text="¿Cambiamos el menú?")
    with pytest.raises(VoteRefused, match="se abre el"):
        vote(motion, people[0], "yes")
    clock.at(assembly.starts_at + datetime.timedelta(days=1))
    with pytest.raises(ValidationError, match="ya se abrió"):
        services.add_motion(scope=SYSTEM, item=assembly.agenda.first(), text="Tarde")
    for person in people[:5]:
        vote(motion, person, "yes")
    with pytest.raises(ValidationError, match="sigue abierta"):
        services.close_assembly(scope=SYSTEM, assembly=assembly)
    clock.at(assembly.ends_at + datetime.timedelta(minutes=1))
    with pytest.raises(VoteRefused, match="cerró"):
        vote(motion, people[6], "yes")
    closed = services.close_assembly(scope=SYSTEM, assembly=assembly)
    motion.refresh_from_db()
    # 5 of 10 took part: half plus one is 6, so nothing is adopted.
    assert closed.status == Assembly.Status.NO_QUORUM and motion.outcome == Motion.Outcome.NO_QUORUM
    assert motion.yes == 5
    assert governance_violations() == []


def test_integrity_names_a_tally_that_drifted(session):
    _a, motion, people = session
    vote(motion, people[0], "yes")
    Motion.objects.filter(pk=motion.pk).update(yes=7)
    assert any("recuento 1" in v for v in governance_violations())
    assert recount([motion.pk])[motion.pk]["yes"] == 1


def test_consultations_past_their_window_are_closed_by_the_nightly_command(world, clock):
    from django.core.management import call_command

    people = [world.member, *socias(world.kitchen, 2)]
    assembly = convene(world.kitchen, mode=Assembly.Mode.ASYNC, window_days=2)
    motion = services.add_motion(scope=SYSTEM, item=assembly.agenda.first(), text="¿Feria?")
    clock.at(assembly.starts_at + datetime.timedelta(hours=2))
    for person in people[:2]:
        vote(motion, person, "yes")
    call_command("close-consultations")
    assert Assembly.objects.get().status == Assembly.Status.CONVENED  # still open
    clock.at(assembly.ends_at + datetime.timedelta(hours=1))
    call_command("close-consultations")
    motion.refresh_from_db()
    assert Assembly.objects.get().status == Assembly.Status.CLOSED and motion.outcome == Motion.Outcome.ADOPTED
    assert AuditEntry.objects.get(action="gov.close").reason == "cierre de consultas vencidas"
    assert governance_violations() == []
