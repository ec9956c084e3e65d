"""The roll's services and scoped reads: categories, consent, rations, exits, households, scope."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from ayni.accounts.scope import Scope
from ayni.audit.models import AuditEntry
from ayni.rolls import selectors
from ayni.rolls.models import Category, ConsentMethod, ExitReason, Ration, RollEntry
from ayni.rolls.services import exit_entry, register_entry, update_entry
from tests.conftest import as_scope
from tests.rolls_helpers import cat, put_on_roll

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def test_the_programme_categories_are_data():
    codes = list(Category.objects.values_list("code", flat=True))
    assert codes == ["nino-menor-6", "nino-escolar", "gestante-lactante", "adulto-mayor", "discapacidad", "pantbc",
                     "riesgo", "otro"]


def test_a_leader_registers_a_new_person_with_consent_and_it_is_audited(world):
    entry = put_on_roll(world.kitchen, scope=as_scope(world.leader), dni="10293847")
    assert entry.person.dni == "10293847" and entry.kitchen == world.kitchen
    assert entry.has_consent and entry.consent_recorded_by == world.leader
    audit = AuditEntry.objects.get(action="roll.register")
    assert audit.actor == world.leader and audit.org_path == world.kitchen.path


def test_the_dni_is_optional_but_validated(world):
    assert put_on_roll(world.kitchen).person.dni is None
    with pytest.raises(ValidationError) as exc:
        put_on_roll(world.kitchen, dni="1234567", given_names="Otra")
    assert "8 dígitos" in str(exc.value.message_dict["dni"])
    with pytest.raises(ValidationError) as exc:
        put_on_roll(world.kitchen, dni="12345678", dni_check="9", given_names="Otra")
    assert "verificación" in str(exc.value.message_dict["dni"])


def test_the_age_from_the_birth_date_must_fit_the_category(world):
    with pytest.raises(ValidationError) as exc:
        put_on_roll(world.kitchen, "nino-menor-6", birth_date=datetime.date(1990, 1, 1))
    assert "años" in exc.value.message_dict["category"][0]
    small = put_on_roll(world.kitchen, "nino-menor-6", given_names="Luz",
                        birth_date=datetime.date(today().year - 3, 1, 1))
    assert small.person.age() == 3


def test_a_man_is_not_pregnant(world):
    with pytest.raises(ValidationError) as exc:
        put_on_roll(world.kitchen, "gestante-lactante", sex="M", birth_date=datetime.date(1990, 1, 1))
    assert "mujeres" in exc.value.message_dict["category"][0]


def test_a_free_social_case_needs_its_reason(world):
    with pytest.raises(ValidationError) as exc:
        put_on_roll(world.kitchen, ration=Ration.FREE)
    assert "caso social" in exc.value.message_dict["social_case_reason"][0]
    entry = put_on_roll(world.kitchen, ration=Ration.FREE, social_case_reason="Adulta mayor en abandono")
    assert entry.social_case_reason == "Adulta mayor en abandono"


def test_verbal_consent_needs_a_witness_and_consent_cannot_be_future(world):
    with pytest.raises(ValidationError) as exc:
        put_on_roll(world.kitchen, consent_method=ConsentMethod.VERBAL)
    assert "consent_witness" in exc.value.message_dict
    with pytest.raises(ValidationError):
        put_on_roll(world.kitchen, consent_on=today() + datetime.timedelta(days=2))
    entry = put_on_roll(world.kitchen, consent_method=ConsentMethod.VERBAL, consent_witness="Sra. Rosa Pari")
    assert entry.consent_witness == "Sra. Rosa Pari"


def test_only_kitchens_have_a_roll(world):
    with pytest.raises(ValidationError) as exc:
        put_on_roll(world.ves)
    assert "comedores" in exc.value.message_dict["kitchen"][0]


def test_a_person_is_on_a_kitchen_roll_once_and_may_come_back_after_leaving(world):
    entry = put_on_roll(world.kitchen, since=today() - datetime.timedelta(days=30))
    with pytest.raises(ValidationError):
        put_on_roll(world.kitchen, person=entry.person)
    exit_entry(scope=as_scope(world.leader), entry=entry, until=today(), reason=ExitReason.MOVED, note="Se fue a Ica")
    entry.refresh_from_db()
    assert entry.until == today() and entry.exit_reason == ExitReason.MOVED
    again = put_on_roll(world.kitchen, person=entry.person)
    assert RollEntry.objects.filter(person=entry.person).count() == 2 and again.until is None
    assert AuditEntry.objects.filter(action="roll.exit").count() == 1


def test_an_exit_cannot_precede_the_entry_nor_happen_twice(world):
    entry = put_on_roll(world.kitchen)
    with pytest.raises(ValidationError):
        exit_entry(scope=as_scope(None), entry=entry, until=today() - datetime.timedelta(days=5),
                   reason=ExitReason.MOVED)
    exit_entry(scope=as_scope(None), entry=entry, until=today(), reason=ExitReason.DECEASED)
    with pytest.raises(ValidationError):
        exit_entry(scope=as_scope(None), entry=entry, until=today(), reason=ExitReason.DECEASED)


def test_a_household_has_a_head_on_the_same_roll(world):
    head = put_on_roll(world.kitchen, given_names="Rosa", birth_date=datetime.date(1980, 1, 1), category="otro")
    child = put_on_roll(world.kitchen, "nino-escolar", given_names="Kevin", sex="M",
                        birth_date=datetime.date(today().year - 9, 1, 1), household_head=head.person)
    assert child.household.head == head.person
    with pytest.raises(ValidationError):
        put_on_roll(world.olla, given_names="Ana", household_head=head.person)


def test_update_changes_the_ration_and_is_audited(world):
    entry = put_on_roll(world.kitchen)
    update_entry(scope=as_scope(world.leader), entry=entry, ration=Ration.PAYING, category=cat("discapacidad"))
    entry.refresh_from_db()
    assert entry.ration == Ration.PAYING and entry.category_id == "discapacidad"
    assert AuditEntry.objects.filter(action="roll.update").exists()


def test_a_leader_cannot_register_at_another_kitchen(world):
    with pytest.raises(Http404):
        put_on_roll(world.kitchen_other, scope=Scope.for_user(world.leader))
    with pytest.raises(PermissionDenied):
        register_entry(scope=Scope.for_user(world.viewer), kitchen=world.kitchen, category=cat("otro"), given_names="A",
                       paternal_surname="B")


def test_a_viewer_gets_counts_but_never_the_entries(world):
    put_on_roll(world.kitchen, ration=Ration.FREE, social_case_reason="Orfandad", category="riesgo")
    put_on_roll(world.olla, given_names="Otra")
    viewer = Scope.for_user(world.viewer)
    counts = selectors.roll_counts(viewer, world.ves)
    assert counts["entries"] == 2 and counts["people"] == 2 and counts["kitchens"] == 2
    assert ("riesgo", "En riesgo", 1) in counts["by_category"]
    assert ("free", "Caso social (gratuita)", 1) in counts["by_ration"]
    with pytest.raises(PermissionDenied):
        selectors.roll_entries(viewer, world.kitchen)


def test_a_leader_never_sees_another_kitchen_roll(world):
    put_on_roll(world.kitchen_other, given_names="Cusqueña")
    with pytest.raises(Http404):
        selectors.roll_entries(Scope.for_user(world.leader), world.kitchen_other)
    with pytest.raises(Http404):
        selectors.roll_counts(Scope.for_user(world.leader), world.kitchen_other)


def test_search_and_filters_on_a_roll(world):
    put_on_roll(world.kitchen, dni="10293847")
    put_on_roll(world.kitchen, "discapacidad", given_names="Ñusta", paternal_surname="Pérez")
    scope = Scope.for_user(world.leader)
    assert [e.person.given_names for e in selectors.roll_entries(scope, world.kitchen, text="nusta perez")] == ["Ñusta"]
    assert selectors.roll_entries(scope, world.kitchen, text="1029").get().person.dni == "10293847"
    assert selectors.roll_entries(scope, world.kitchen, category="discapacidad").count() == 1


def test_a_person_history_shows_only_kitchens_in_scope(world):
    entry = put_on_roll(world.kitchen, dni="10293847", since=today() - datetime.timedelta(days=90))
    exit_entry(scope=as_scope(None), entry=entry, until=today() - datetime.timedelta(days=10),
               reason=ExitReason.OTHER_KITCHEN)
    put_on_roll(world.olla, person=entry.person)
    put_on_roll(world.kitchen_other, person=entry.person)
    person, entries = selectors.person_history(Scope.for_user(world.coordinator), entry.person.pk)
    assert {e.kitchen for e in entries} == {world.kitchen, world.olla}
    person, entries = selectors.person_history(Scope.for_user(world.national), entry.person.pk)
    assert len(entries) == 3
    _person, entries = selectors.person_history(Scope.for_user(world.leader), entry.person.pk)
    assert [e.kitchen for e in entries] == [world.kitchen]
    for user in (world.viewer, world.outsider):
        with pytest.raises(Http404):
            selectors.person_history(Scope.for_user(user), entry.person.pk)
