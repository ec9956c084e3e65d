"""Any sequence of votes, changes and refusals tallies the same as a recount, and as the plain
rule «each person's last vote counts once» — open and secret ballots, weighted or not."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ayni.governance import services
from ayni.governance.integrity import governance_violations, recount
from ayni.governance.models import Motion
from ayni.governance.services import VoteRefused, cast_vote
from tests.governance_helpers import SYSTEM, Clock, convene, in_session, socias

CHOICES = ["yes", "no", "abstain"]
# (who: 0-5 on the roll, 6 an outsider; what: a choice, or garbage; which motion: the real one, or none)
STEP = st.tuples(st.integers(0, 6), st.sampled_from([*CHOICES, "si?"]), st.booleans())


@pytest.mark.parametrize("ballot", [Motion.Ballot.OPEN, Motion.Ballot.SECRET])
def test_any_sequence_of_votes_tallies_as_a_recount(world, monkeypatch, ballot):
    people = [world.member, *socias(world.kitchen, 5)]
    outsider = world.member_other
    assembly = in_session(convene(world.kitchen), Clock(monkeypatch))
    item = assembly.agenda.first()

    @settings(max_examples=60)
    @given(st.lists(STEP, max_size=25))
    def run(steps):
        motion = services.add_motion(scope=SYSTEM, item=item, text="Moción", ballot=ballot)
        services.open_motion(scope=SYSTEM, motion=motion)
        last: dict[int, str] = {}
        for who, choice, real in steps:
            person = people[who] if who < len(people) else outsider
            counted = real and who < len(people) and choice in CHOICES and last.get(who) != choice
            try:
                cast_vote(scope=SYSTEM, motion_id=motion.pk if real else motion.pk + 10_000, person=person,
                          choice=choice, channel="sms")
            except VoteRefused:
                assert not counted
            else:
                assert counted
                last[who] = choice
        motion.refresh_from_db()
        expected = {c: sum(1 for v in last.values() if v == c) for c in CHOICES}
        stored = {"yes": motion.yes, "no": motion.no, "abstain": motion.abstain, "voters": motion.voters}
        assert stored == {**expected, "voters": len(last)}
        assert recount([motion.pk]).get(motion.pk, dict.fromkeys(stored, 0)) == stored

    run()
    assert governance_violations() == []
