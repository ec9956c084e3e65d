"""The person page reads all her memberships and positions once and decides from them, and from
her roll entries, whether the viewer may edit her identity (issue 22 item 3): the same answer as
`organisations_of` asked alone, for every kind of belonging; the form to end a membership or a
term is rendered once and shown on each open line."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from ayni.people import services
from ayni.people.models import PositionKind
from tests.conftest import as_scope
from tests.rolls_helpers import put_on_roll

pytestmark = pytest.mark.django_db


def answers(world, person) -> list[tuple[str, bool, set]]:
    memberships = list(person.memberships.select_related("organisation__kind"))
    positions = list(person.positions.select_related("organisation", "kind"))
    read = services.organisations_of(person, memberships=memberships, positions=positions)
    asked = services.organisations_of(person)
    assert {o.pk for o in read} == {o.pk for o in asked}
    out = []
    for who in ("leader", "leader_other", "coordinator", "coordinator_other", "national"):
        scope = as_scope(getattr(world, who))
        fast = services.may_edit_identity(scope, person, memberships=memberships, positions=positions)
        assert fast == services.may_edit_identity(scope, person), who
        out.append((who, fast, {o.pk for o in read}))
    return out


def test_who_may_edit_her_identity_is_the_same_read_from_the_page(world):
    system, today = as_scope(None), timezone.localdate()
    person = world.member
    answers(world, person)  # a membership and a position
    services.add_membership(scope=system, person=person, organisation=world.kitchen_other, since=today)
    answers(world, person)  # two provinces: only the national board
    for m in person.memberships.all():
        services.end_membership(scope=system, membership=m, until=today - datetime.timedelta(days=1)
                                if m.since < today else today)
    answers(world, person)  # the position still holds
    person.positions.update(ends_on=today - datetime.timedelta(days=1))
    answers(world, person)  # nothing now: everywhere she ever belonged
    put_on_roll(world.olla, category="discapacidad", person=person)
    answers(world, person)  # an open roll entry


def test_the_form_to_end_a_membership_or_a_term_is_on_each_open_line(world, login):
    services.assign_position(scope=as_scope(None), person=world.member, organisation=world.kitchen,
                             kind=PositionKind.objects.get(code="tesorera"), starts_on=timezone.localdate(),
                             ends_on=timezone.localdate() + datetime.timedelta(days=300))
    html = login(world.coordinator).get(reverse("people:detail", kwargs={"pk": world.member.pk})).content.decode()
    assert html.count('name="on"') == 3  # one membership, two terms
    viewer = login(world.viewer).get(reverse("people:detail", kwargs={"pk": world.member.pk}))
    assert 'name="on"' not in viewer.content.decode()
