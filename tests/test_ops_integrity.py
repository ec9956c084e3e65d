"""Registry invariants (ayni.ops.integrity): a sound registry has none, and each break is named."""

import pytest

from ayni.ops.integrity import dni_violations, orphan_violations, path_violations, registry_violations
from ayni.orgs.models import Organisation
from ayni.orgs.services import move_organisation
from ayni.people.models import Membership, Person
from tests.conftest import as_scope

pytestmark = pytest.mark.django_db


def test_a_sound_registry_has_no_violations_even_after_a_move(world):
    move_organisation(scope=as_scope(None), organisation=world.ves, new_parent=world.cusco)
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


def test_a_dni_stored_in_other_digits_or_with_a_wrong_check_is_named(world):
    # As a DNI typed on a full-width keyboard was stored before the services parsed it.
    Person.objects.filter(pk=world.member.pk).update(dni="４５６７８９１２")
    Person.objects.filter(pk=world.member_other.pk).update(dni_check="Z")
    assert dni_violations() == [f"persona {world.member.pk}: el DNI no son 8 dígitos ASCII",
                                f"persona {world.member_other.pk}: el carácter de verificación «Z» no corresponde "
                                "a su DNI"]


# --- Every kind of write: imports, merges, reports, audit ----------------------------------------

def _busy(world):
    """One of each write the crash bench interrupts: a daily report (saved twice), a movement, an
    applied roll import, a duplicate pair decided as the same person, a count and a delivery."""
    from ayni.rolls.imports import apply_import
    from ayni.rolls.services import decide_pair
    from tests.kitchens import kitchen_count, kitchen_receipt, move, report
    from tests.rolls_helpers import import_batch, open_pair

    day = report(world.kitchen)
    report(world.kitchen, day.date, version=1, served_free=1)
    move(world.kitchen, "arroz", "donation", 10)
    kitchen_count(world)
    kitchen_receipt(world)
    apply_import(scope=as_scope(None), batch=import_batch(world))
    decide_pair(scope=as_scope(world.coordinator), pair=open_pair(world), same=True)


def test_every_kind_of_write_leaves_no_violation(world):
    from ayni.ops.integrity import audit_violations, import_violations, merge_violations, report_violations

    _busy(world)
    assert import_violations() == merge_violations() == report_violations() == audit_violations() == []
    assert registry_violations() == []


def test_a_half_applied_import_is_named(world):
    from ayni.ops.integrity import import_violations
    from ayni.rolls.imports import apply_import
    from ayni.rolls.models import ImportBatch
    from tests.rolls_helpers import import_batch

    batch = import_batch(world)
    apply_import(scope=as_scope(None), batch=batch)
    # As if the entries had been written but not the batch's own state (or the other way round).
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.PREVIEWED)
    assert import_violations() == [f"importación {batch.pk}: no aplicada, pero 1 ingresos al padrón vienen de ella"]
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.APPLIED, rows_created=3)
    assert import_violations() == [f"importación {batch.pk}: dice haber agregado 3, hay 1 ingresos de ella"]


def test_a_half_applied_merge_is_named(world):
    from ayni.ops.integrity import merge_violations
    from ayni.people.models import DuplicatePair, PersonMerge
    from tests.rolls_helpers import open_pair

    pair = open_pair(world)
    # The pair marked and the merge written, but the removed record never deleted.
    PersonMerge.objects.create(kept=pair.person_a, kept_id_kept=pair.a_id_kept, removed_id=pair.b_id_kept,
                               removed_data={})
    DuplicatePair.objects.filter(pk=pair.pk).update(status=DuplicatePair.Status.SAME)
    problems = merge_violations()
    assert f"unión {PersonMerge.objects.get().pk}: el registro {pair.b_id_kept} debía quitarse y sigue ahí" in problems
    assert f"persona {pair.a_id_kept}: 1 unión(es) y 0 registro(s) de auditoría de unión" in problems
    assert f"par {pair.pk}: decidido sin fecha o sin registro de auditoría" in problems


def test_a_report_without_its_revision_or_audit_entry_is_named(world):
    from ayni.audit.models import AuditEntry
    from ayni.kitchens.models import DailyReportRevision
    from ayni.ops.integrity import audit_violations, report_violations
    from tests.kitchens import report

    day = report(world.kitchen)
    DailyReportRevision.objects.filter(report=day).delete()
    AuditEntry.objects.filter(action="kitchen.report", object_id=str(day.pk)).delete()
    assert report_violations() == [f"parte diario {day.pk}: versión 1 con 0 revisión(es)"]
    assert audit_violations() == [f"parte diario {day.pk} sin registro de auditoría"]


def test_rows_written_in_bulk_by_the_demo_need_no_entry_of_their_own(world):
    from ayni.audit.models import AuditEntry
    from ayni.audit.services import record
    from ayni.ops.integrity import audit_violations
    from tests.kitchens import report

    day = report(world.kitchen)
    AuditEntry.objects.filter(action="kitchen.report").delete()
    record(scope=as_scope(None), action="demo.generate", obj=world.confed, org_path=world.confed.path)
    assert audit_violations() == []
    assert day.pk


def test_an_orphan_in_any_table_is_named(world):
    from ayni.kitchens.models import DailyReport
    from tests.kitchens import report

    day = report(world.kitchen)
    DailyReport.objects.filter(pk=day.pk).update(updated_by_id=987654)
    try:
        problems = orphan_violations()
    finally:
        DailyReport.objects.filter(pk=day.pk).update(updated_by_id=None)
    assert len(problems) == 1 and problems[0].startswith(f"parte diario {day.pk}: apunta a un(a) updated_by")


def test_the_migration_turns_stored_dnis_into_ascii_unless_that_would_clash(world):
    import importlib

    from django.apps import apps

    from ayni.lib.dni import check_characters

    migration = importlib.import_module("ayni.people.migrations.0003_person_dni_ascii")
    letter = check_characters("23456789")[1]
    full_width_letter = chr(ord(letter) - ord("A") + ord("Ａ"))
    Person.objects.filter(pk=world.member_other.pk).update(dni="２３４５６７８９", dni_check=full_width_letter)
    clash = Person.objects.create(given_names="Otra", paternal_surname="Quispe", dni="4567891X")
    Person.objects.filter(pk=clash.pk).update(dni="４５６７８９１２")  # María's DNI, in other digits
    migration.to_ascii(apps, None)
    assert Person.objects.values_list("dni", "dni_check").get(pk=world.member_other.pk) == ("23456789", letter)
    assert Person.objects.get(pk=clash.pk).dni == "４５６７８９１２"
    assert dni_violations() == [f"persona {clash.pk}: el DNI no son 8 dígitos ASCII"]
