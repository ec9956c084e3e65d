"""Registry invariants (ayni.ops.integrity): a sound registry has none, and each break is named."""

import pytest

from ayni.ops.integrity import orphan_violations, path_violations, registry_violations
from ayni.orgs.models import Organisation
from ayni.orgs.services import move_organisation
from ayni.people.models import Membership

pytestmark = pytest.mark.django_db


def test_a_sound_registry_has_no_violations_even_after_a_move(world):
    move_organisation(actor=None, organisation=world.ves, new_parent=world.cusco)
    assert registry_violations() == []


def test_a_path_left_behind_by_a_half_applied_move_is_named(world):
    # As if the UPDATE of the subtree had run but not the one of the kitchen below it.
    Organisation.objects.filter(pk=world.kitchen.pk).update(path=world.cusco.path + "zzzzzzz/")
    problems = path_violations()
    assert len(problems) == 1 and problems[0].startswith(f"organización {world.kitchen.pk}: ruta")


def test_a_wrong_depth_is_named(world):
    Organisation.objects.filter(pk=world.olla.pk).update(depth=7)
    assert path_violations() == [f"organización {world.olla.pk}: profundidad 7, debería ser 3"]


def test_a_membership_pointing_at_no_person_is_named(world):
    # Foreign keys are checked at commit; the test's transaction never commits.
    membership = Membership.objects.filter(person=world.member).first()
    Membership.objects.filter(pk=membership.pk).update(person_id=987654)
    try:
        problems = orphan_violations()
    finally:
        # Put it back: the test database checks every constraint when the test ends.
        Membership.objects.filter(pk=membership.pk).update(person_id=world.member.pk)
    assert len(problems) == 1 and problems[0].startswith(f"membresía {membership.pk}:")
