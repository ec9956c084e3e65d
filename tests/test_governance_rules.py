"""The statute's arithmetic and where its rules come from."""

import pytest
from django.core.exceptions import ValidationError

from ayni.accounts.scope import Scope
from ayni.audit.models import AuditEntry
from ayni.governance.models import DelegateWeight, Majority, Motion, Quorum, StatuteRule
from ayni.governance.rules import decide, quorum_met, quorum_needed, rule_for
from ayni.governance.services import set_statute_rule
from ayni.orgs.models import OrgKind

A, R, T = Motion.Outcome.ADOPTED, Motion.Outcome.REJECTED, Motion.Outcome.TIE


@pytest.mark.parametrize("quorum,total,needed", [
    (Quorum.HALF_PLUS_ONE, 10, 6), (Quorum.HALF_PLUS_ONE, 9, 5), (Quorum.TWO_THIRDS, 9, 6),
    (Quorum.TWO_THIRDS, 10, 7), (Quorum.THIRD, 10, 4), (Quorum.THIRD, 9, 3), (Quorum.PRESENT, 50, 1),
])
def test_quorum_needed_at_each_rule(quorum, total, needed):
    assert quorum_needed(quorum, total) == needed
    assert quorum_met(quorum, needed, total) and not quorum_met(quorum, needed - 1, total)


def test_an_empty_room_is_never_a_quorum_even_with_an_empty_roll():
    assert not quorum_met(Quorum.PRESENT, 0, 0)


@pytest.mark.parametrize("majority,yes,no,abstain,outcome", [
    (Majority.SIMPLE, 5, 4, 10, A), (Majority.SIMPLE, 4, 5, 0, R), (Majority.SIMPLE, 5, 5, 1, T),
    (Majority.ABSOLUTE, 5, 4, 10, R), (Majority.ABSOLUTE, 11, 4, 6, A), (Majority.ABSOLUTE, 10, 10, 0, T),
    (Majority.ABSOLUTE, 10, 5, 5, R),  # exactly half of the votes cast is not more than half
    (Majority.TWO_THIRDS, 20, 10, 0, A), (Majority.TWO_THIRDS, 19, 10, 0, R), (Majority.TWO_THIRDS, 20, 5, 5, A),
    (Majority.TWO_THIRDS, 0, 0, 0, R), (Majority.SIMPLE, 0, 0, 3, R),
])
def test_each_majority(majority, yes, no, abstain, outcome):
    assert decide(majority, yes=yes, no=no, abstain=abstain) == outcome


def test_defaults_come_from_the_kind(world):
    kitchen_rule, federation_rule = rule_for(world.kitchen), rule_for(world.ves)
    assert kitchen_rule.kind_id == "comedor-popular" and kitchen_rule.notice_days == 7
    assert federation_rule.notice_days == 10 and federation_rule.delegates_per_member == 2
    assert rule_for(world.confed).delegate_weight == DelegateWeight.BY_MEMBERS


def test_a_kind_without_a_row_gets_the_models_defaults(world):
    kind = OrgKind.objects.create(code="nuevo", name="Nuevo", name_plural="Nuevos", level=4)
    world.kitchen.kind = kind
    assert rule_for(world.kitchen).pk is None and rule_for(world.kitchen).notice_days == 7


def test_an_organisation_overrides_its_kinds_rules_and_the_change_is_audited(world):
    rule = set_statute_rule(scope=Scope.for_user(world.leader), organisation=world.kitchen, notice_days=3,
                            majority_ordinary=Majority.ABSOLUTE)
    assert rule_for(world.kitchen) == rule and rule.quorum_first == Quorum.HALF_PLUS_ONE
    assert rule_for(world.olla).notice_days == 7  # the kind's default is untouched
    assert AuditEntry.objects.filter(action="gov.rule", object_id=str(rule.pk)).exists()
    set_statute_rule(scope=Scope.for_user(world.leader), organisation=world.kitchen, notice_days=5)
    assert StatuteRule.objects.filter(organisation=world.kitchen).count() == 1
    assert rule_for(world.kitchen).majority_ordinary == Majority.ABSOLUTE


def test_a_leader_of_another_kitchen_cannot_change_the_rules(world):
    from django.http import Http404

    with pytest.raises(Http404):
        set_statute_rule(scope=Scope.for_user(world.leader_other), organisation=world.kitchen, notice_days=1)


def test_an_unreasonable_rule_is_refused(world):
    with pytest.raises(ValidationError):
        set_statute_rule(scope=Scope.for_user(world.leader), organisation=world.kitchen, max_proxies=40)
    with pytest.raises(ValidationError):
        set_statute_rule(scope=Scope.for_user(world.leader), organisation=world.kitchen, members_per_vote=0)
    assert not StatuteRule.objects.filter(organisation=world.kitchen).exists()
