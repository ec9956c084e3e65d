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

from tests.conftest import as_scope

pytestmark = pytest.mark.django_db

MARKER = "Choque1"


def register(world, name):
    org = create_organisation(scope=as_scope(None), kind=world.kitchen.kind, parent=world.ves, name=name,
                              district=world.ves.district)
    person = register_person(scope=as_scope(None), organisation=org, given_names=name, paternal_surname="Quispe")
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
    move_organisation(scope=as_scope(None), organisation=org, new_parent=world.ves)  # a no-op: no entry
    moved = {"kind": "move", "org": org.pk, "parent": world.ves.pk}
    assert check(MARKER, [moved])["lost"] == []
    assert check(MARKER, [{**moved, "parent": world.santiago.pk}])["lost"] != []


def test_an_acknowledged_import_merge_report_or_api_item_missing_is_lost(world):
    from tests.rolls_helpers import import_batch, open_pair

    batch, pair = import_batch(world), open_pair(world)  # uploaded and suggested, never confirmed
    lost = check(MARKER, [{"kind": "import", "batch": batch.pk}, {"kind": "merge", "pair": pair.pk},
                          {"kind": "report", "menu": f"{MARKER} 1-1"}, {"kind": "movement", "party": f"{MARKER} 1-2"},
                          {"kind": "api_movement", "name": f"Sinc {MARKER} 1-3.1"},
                          {"kind": "api_roll_entry", "name": f"Sinc {MARKER} 1-3.0"}])["lost"]
    assert len(lost) == 6


def test_an_api_item_stored_but_never_processed_is_a_violation(world):
    from ayni.capture.inbound import store
    from ayni.capture.models import Channel, Inbound

    inbound, _created = store(channel=Channel.API, kind=Inbound.Kind.MOVEMENT, payload={}, user=world.leader,
                              kitchen=world.kitchen, client_id="x-1")
    assert f"envío {inbound.pk} guardado y nunca procesado" in check(MARKER, [])["violations"]
