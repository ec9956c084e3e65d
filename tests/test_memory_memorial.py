"""The memorial register: consent or nothing, corrections keep their history, counts that do
not point at a family, a public page with only what the family allowed."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from ayni.accounts.scope import Scope
from ayni.audit.models import AuditEntry
from ayni.memory import selectors, services
from ayni.memory.integrity import memorial_violations
from ayni.memory.models import MemorialRecord, MemorialVersion
from ayni.people.services import register_person
from tests.memory_helpers import SYSTEM, memorial_for

pytestmark = pytest.mark.django_db


def test_a_record_without_consent_is_refused_and_nothing_is_saved(world):
    for missing in ({"consent_name": ""}, {"consent_relation": "  "}, {"consent_by": "neighbour"}):
        with pytest.raises(ValidationError):
            memorial_for(world, **missing)
    assert not MemorialRecord.objects.exists()
    assert not AuditEntry.objects.filter(action="memorial.record").exists()


def test_the_form_refuses_a_record_without_who_gave_consent(world, login):
    client = login(world.leader)
    url = reverse("memory:memorial_record", kwargs={"pk": world.kitchen.pk, "person": world.member.pk})
    response = client.post(url, {"died_on": "2021-05-03", "consent_by": "family", "consent_name": "",
                                 "consent_relation": "hija", "consent_on": "2021-06-01"})
    assert response.status_code == 200 and not MemorialRecord.objects.exists()
    response = client.post(url, {"died_on": "2021-05-03", "consent_by": "family", "consent_name": "Lucía Quispe",
                                 "consent_relation": "hija", "consent_on": "2021-06-01", "cause": "covid"})
    memorial = MemorialRecord.objects.get()
    assert response.status_code == 302 and memorial.consent_name == "Lucía Quispe"
    assert memorial.created_by == world.leader
    assert AuditEntry.objects.filter(action="memorial.record", object_id=str(memorial.pk)).exists()


def test_consent_comes_after_death_and_dates_are_not_future(world):
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="después del fallecimiento"):
        memorial_for(world, consent_on=today - datetime.timedelta(days=500))
    with pytest.raises(ValidationError, match="futura"):
        memorial_for(world, died_on=today + datetime.timedelta(days=1))


def test_only_someone_of_the_organisation_is_recorded_there(world):
    with pytest.raises(ValidationError, match="no figura"):
        memorial_for(world, person=world.member_other)


def test_a_leader_of_another_kitchen_cannot_record(world):
    from django.http import Http404

    with pytest.raises(Http404):
        memorial_for(world, scope=Scope.for_user(world.leader_other))


def test_one_record_per_woman(world):
    memorial_for(world)
    with pytest.raises(ValidationError, match="ya está"):
        memorial_for(world)


def test_a_correction_keeps_the_version_it_replaced(world):
    memorial = memorial_for(world, cause="")
    services.correct_memorial(scope=Scope.for_user(world.leader), memorial=memorial, reason="La familia precisó",
                              cause="covid", place="Villa El Salvador")
    memorial.refresh_from_db()
    assert memorial.version == 2 and memorial.cause == "covid"
    old = MemorialVersion.objects.get(record=memorial)
    assert old.version == 1 and old.data["cause"] == "" and old.reason == "La familia precisó"
    assert old.by == world.leader
    entry = AuditEntry.objects.get(action="memorial.correct")
    assert entry.before["cause"] == "" and entry.after["cause"] == "covid"


def test_a_correction_needs_a_reason_and_a_change(world):
    memorial = memorial_for(world)
    with pytest.raises(ValidationError):
        services.correct_memorial(scope=SYSTEM, memorial=memorial, reason="", cause="illness")
    with pytest.raises(ValidationError, match="nada que corregir"):
        services.correct_memorial(scope=SYSTEM, memorial=memorial, reason="x", cause=memorial.cause)
    with pytest.raises(ValidationError):  # consent cannot be corrected away
        services.correct_memorial(scope=SYSTEM, memorial=memorial, reason="x", consent_name="")
    memorial.refresh_from_db()
    assert memorial.version == 1 and memorial.consent_name == "Lucía Quispe"
    assert not MemorialVersion.objects.exists()


def test_a_record_is_never_deleted_only_withdrawn_with_its_reason(world):
    memorial = memorial_for(world)
    for attempt in (memorial.delete, MemorialRecord.objects.filter(pk=memorial.pk).delete,
                    world.member.delete):  # nor through the woman's record
        with pytest.raises(ProtectedError), transaction.atomic():
            attempt()
    services.withdraw_memorial(scope=SYSTEM, memorial=memorial, reason="La familia lo pidió")
    memorial.refresh_from_db()
    assert memorial.withdrawn and not memorial.public and memorial.withdrawn_reason == "La familia lo pidió"
    assert MemorialVersion.objects.filter(record=memorial, version=1).exists()
    assert selectors.memorial_counts(SYSTEM, world.confed).total == 0
    assert AuditEntry.objects.filter(action="memorial.withdraw").exists()


def test_the_public_page_shows_only_what_the_family_allowed(world, client):
    memorial = memorial_for(world, show_cause=False, show_place=True)
    page = client.get(reverse("memory:memorial_public", kwargs={"record": memorial.pk})).content.decode()
    assert "María Elena Quispe Mamani" in page and "Hospital Rebagliati" in page
    assert "COVID" not in page and "45678912" not in page and "Lucía" not in page
    assert "Presidenta" in page and "Comedor Popular Santa Rosa" in page  # from her trajectory
    services.correct_memorial(scope=SYSTEM, memorial=memorial, reason="La familia no quiere página", public=False)
    assert client.get(reverse("memory:memorial_public", kwargs={"record": memorial.pk})).status_code == 404


def _lost(world, n, org, year, cause="covid"):
    for i in range(n):
        person = register_person(scope=SYSTEM, organisation=org, given_names=f"Lideresa {i}",
                                 paternal_surname=f"Memoria{year}{i}",
                                 since=datetime.date(2010, 1, 1))
        memorial_for(world, person=person, organisation=org, died_on=datetime.date(year, 6, 1),
                     consent_on=datetime.date(year, 7, 1), cause=cause)


def test_counts_by_region_year_and_cause_hide_small_cells_from_who_cannot_see_names(world):
    _lost(world, 5, world.kitchen, 2020)
    _lost(world, 4, world.kitchen, 2021, cause="illness")
    _lost(world, 1, world.kitchen_other, 2021)
    full = selectors.memorial_counts(SYSTEM, world.confed)
    assert full.total == 10 and not full.suppressed
    assert {c.label: c.n for c in full.regions} == {"LIMA": 9, "CUSCO": 1}
    assert {c.label: c.n for c in full.years} == {"2020": 5, "2021": 5}
    viewer = selectors.memorial_counts(Scope.for_user(world.viewer), world.confed)
    regions = {c.label: c.n for c in viewer.regions}
    # Cusco's one is blank, and Lima with it: the total minus Lima would give Cusco back.
    assert viewer.total == 10 and regions == {"LIMA": None, "CUSCO": None}
    assert {c.label: c.n for c in viewer.years} == {"2020": 5, "2021": 5}
    assert {c.label: c.n for c in viewer.causes} == {"COVID-19": 6, "Enfermedad": 4}


def test_a_handful_is_not_published_at_all(world):
    _lost(world, 2, world.kitchen, 2020)
    assert selectors.memorial_counts(Scope.for_user(world.viewer), world.confed).total is None
    assert selectors.memorial_counts(Scope.for_user(world.coordinator), world.lima).total == 2


def test_the_register_page_names_only_for_who_may_read_names(world, login):
    memorial_for(world)
    url = reverse("memory:memorial", kwargs={"pk": world.lima.pk})
    assert "Quispe" in login(world.coordinator).get(url).content.decode()
    page = login(world.viewer).get(url).content.decode()
    assert "Quispe" not in page and "Menos de 3" in page


def test_integrity_names_a_record_whose_history_has_a_gap(world):
    memorial = memorial_for(world)
    assert memorial_violations() == []
    MemorialRecord.objects.filter(pk=memorial.pk).update(version=3)
    assert any("versión" in v for v in memorial_violations())


def test_the_pages_correct_and_withdraw_with_their_history(world, login):
    memorial = memorial_for(world, cause="")
    client = login(world.coordinator)
    url = reverse("memory:memorial_correct", kwargs={"record": memorial.pk})
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v not in (None, False)}
    data.update(died_on=memorial.died_on.isoformat(), consent_on=memorial.consent_on.isoformat(), cause="illness",
                reason="Lo precisó su hija")
    assert client.post(url, data).status_code == 302
    memorial.refresh_from_db()
    assert memorial.cause == "illness" and memorial.version == 2
    detail = reverse("memory:memorial_detail", kwargs={"record": memorial.pk})
    client.post(reverse("memory:memorial_withdraw", kwargs={"record": memorial.pk}), {"reason": ""})
    memorial.refresh_from_db()
    assert not memorial.withdrawn  # no reason, no withdrawal
    client.post(reverse("memory:memorial_withdraw", kwargs={"record": memorial.pk}), {"reason": "Duplicado"})
    page = client.get(detail).content.decode()
    assert "Registro retirado: Duplicado" in page and "Lo precisó su hija" in page and "Versión vigente: 3" in page
    assert "causa: — → Enfermedad" in page and "retirado: no → sí" in page
