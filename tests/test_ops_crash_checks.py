"""The checks bench/crash.py runs after killing the server find what they are meant to find."""

import sys
from pathlib import Path

import pytest

from ayni.audit.models import AuditEntry
from ayni.orgs.models import Organisation
from ayni.orgs.services import create_organisation
from ayni.people.models import Membership
from ayni.people.services import register_person

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from support.registry_invariants import check  # noqa: E402

pytestmark = pytest.mark.django_db

MARKER = "Choque1"


def register(world, name):
    org = create_organisation(actor=None, kind=world.kitchen.kind, parent=world.ves, name=name,
                              district=world.ves.district)
    person = register_person(actor=None, organisation=org, given_names=name, paternal_surname="Quispe")
    return org, person


def test_a_whole_registry_has_no_violations_and_loses_nothing(world):
    register(world, f"{MARKER} 0-1")
    report = check(MARKER, [{"kind": "org", "name": f"{MARKER} 0-1"}, {"kind": "person", "name": f"{MARKER} 0-1"}])
    assert report["violations"] == [] and report["lost"] == []


def test_a_path_that_does_not_follow_its_parent_is_a_violation(world):
    org, _person = register(world, f"{MARKER} 0-1")
    Organisation.objects.filter(pk=org.pk).update(path=world.cusco.path + "zzzzzzz/")
    assert any(f"organización {org.pk}: ruta" in v for v in check(MARKER, [])["violations"])


def test_a_person_without_membership_or_audit_entry_is_a_violation(world):
    _org, person = register(world, f"{MARKER} 0-1")
    Membership.objects.filter(person=person).delete()
    AuditEntry.objects.filter(action="person.create", object_id=str(person.pk)).delete()
    violations = check(MARKER, [])["violations"]
    assert f"persona {person.pk} registrada sin membresía" in violations
    assert f"persona {person.pk} sin registro de auditoría de su registro" in violations


def test_an_acknowledged_write_missing_from_the_database_is_lost(world):
    lost = check(MARKER, [{"kind": "org", "name": f"{MARKER} 9-9"},
                          {"kind": "edit", "org": world.kitchen.pk, "address": "Jr. Nunca Guardado 1"}])["lost"]
    assert len(lost) == 2


def test_a_move_onto_the_parent_it_already_had_is_not_lost(world):
    from ayni.orgs.services import move_organisation

    org, _person = register(world, f"{MARKER} 0-1")
    move_organisation(actor=None, organisation=org, new_parent=world.ves)  # a no-op: no entry
    moved = {"kind": "move", "org": org.pk, "parent": world.ves.pk}
    assert check(MARKER, [moved])["lost"] == []
    assert check(MARKER, [{**moved, "parent": world.santiago.pk}])["lost"] != []
