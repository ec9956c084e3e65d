"""Cases, referrals, land claims, documents, counts, incidents, retention and rotation."""

import datetime

import pytest
from cryptography.exceptions import InvalidTag
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from ayni.accounts.scope import Scope
from ayni.protection import keys, rotation, selectors, services, vault
from ayni.protection.models import AccessEntry, Case, CaseFile, CaseKey, Incident, MasterKey, Service
from tests.protection_helpers import PDF, PLANTED_ALIAS, a_case, protection_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def pw(world):
    return protection_world(world)


def test_a_land_case_with_its_parcel_outline_through_the_page(client, pw):
    client.force_login(pw.dora)
    form = {"organisation": pw.kitchen.pk, "kind": "land", "problem": "inheritance", "alias": "Kantu",
            "age_band": "45-59", "district": "150142", "risk": "low", "opened_on": "01/11/2026",
            "land_use": "farm", "tenure": "heir", "area_m2": "2500", "claim": "la chacra de su madre",
            "involved": "dos hermanos", "parcel_points": "-12.21, -76.94\n-12.22, -76.94\n-12.22, -76.95"}
    response = client.post(reverse("protection:case_new"), form)
    assert response.status_code == 302
    case = Case.objects.get()
    page = selectors.read_case(Scope.for_user(pw.dora), case.pk)
    assert page.parcel["geometry"]["type"] == "Polygon" and len(page.parcel["geometry"]["coordinates"][0]) == 4
    assert page.parcel["area_m2"] == 2500 and page.claim == "la chacra de su madre"
    assert b"chacra" not in bytes(case.claim_sealed)


def test_a_parcel_outside_peru_or_of_two_points_is_refused_in_words(client, pw):
    client.force_login(pw.dora)
    form = {"organisation": pw.kitchen.pk, "kind": "land", "problem": "title", "alias": "Kantu",
            "age_band": "45-59", "district": "150142", "risk": "low", "opened_on": "01/11/2026",
            "land_use": "farm", "tenure": "heir", "parcel_points": "12.21, 76.94"}
    response = client.post(reverse("protection:case_new"), form)
    assert "no está en el Perú" in response.content.decode()
    form["parcel_points"] = "-12.21, -76.94\n-12.22, -76.94"
    assert "no dos" in client.post(reverse("protection:case_new"), form).content.decode()
    form.update(kind="violence", problem="title")
    assert "no corresponde al tipo" in client.post(reverse("protection:case_new"), form).content.decode()
    assert not Case.objects.exists()


def test_a_document_is_sealed_its_read_logged_and_an_impostor_refused(client, pw):
    case = a_case(pw, kind="land")
    scope = Scope.for_user(pw.dora)
    item = services.add_file(scope=scope, case=case, label="title", content=PDF)
    assert b"%PDF" not in bytes(CaseFile.objects.get().content_sealed)
    client.force_login(pw.dora)
    response = client.get(reverse("protection:file", kwargs={"pk": case.pk, "fid": item.pk}))
    assert response.status_code == 200 and response.content == PDF
    assert response["Content-Type"] == "application/pdf" and "documento-" in response["Content-Disposition"]
    assert AccessEntry.objects.filter(part="file", item=item.pk, reader=pw.dora).count() == 1
    with pytest.raises(ValidationError, match="no es"):
        services.add_file(scope=scope, case=case, label="title", content=b"MZ\x90\x00 not a pdf at all")
    upload = client.post(reverse("protection:file_add", kwargs={"pk": case.pk}),
                         {"label": "title", "upload": __import__("io").BytesIO(b"<html>titulo</html>")})
    assert upload.status_code == 200 and "no es" in upload.content.decode()
    assert CaseFile.objects.count() == 1


def test_a_field_sealed_for_one_case_does_not_open_in_another(pw):
    one, two = a_case(pw), a_case(pw, alias="Otra")
    key_two = vault.case_key(two)
    with pytest.raises(InvalidTag):
        keys.open_text(key_two, case_id=two.pk, field="alias", sealed=bytes(one.alias_sealed))
    with pytest.raises(InvalidTag):  # nor in another field of the same case
        keys.open_text(vault.case_key(one), case_id=one.pk, field="notes", sealed=bytes(one.alias_sealed))


def test_referral_directory_steps_and_status(client, pw):
    case = a_case(pw, kind="land")
    scope = Scope.for_user(pw.dora)
    service = services.save_service(scope=Scope.for_user(pw.coordinator), federation=pw.lima,
                                    district=pw.kitchen.district, kind=Service.Kind.LEGAL, name="Consultorio")
    referral = services.add_referral(scope=scope, case=case, kind="legal", service=service,
                                     referred_on=timezone.localdate(), carry="Lleve su DNI")
    assert referral.follow_up_on == timezone.localdate() + datetime.timedelta(days=7)
    with pytest.raises(ValidationError):
        services.add_referral(scope=scope, case=case, kind="police", service=service, referred_on=timezone.localdate())
    services.add_step(scope=scope, case=case, before="registry", on=timezone.localdate(), status="filed",
                      note="partida presentada")
    client.force_login(pw.dora)
    sheet = client.get(reverse("protection:referral_sheet", kwargs={"pk": case.pk, "rid": referral.pk}))
    text = sheet.content.decode()
    assert "Lleve su DNI" in text and "Consultorio" in text and PLANTED_ALIAS not in text
    services.update_case(scope=scope, case=case, risk="low", status="closed", notes="")
    case.refresh_from_db()
    assert case.closed_on == timezone.localdate()
    assert case.retain_until == services.month_after(timezone.localdate())
    assert selectors.read_case(scope, case.pk).alias == PLANTED_ALIAS  # rewrapped, still readable


def test_the_supervisor_hands_a_case_to_another_defensora(pw):
    case = a_case(pw)
    with pytest.raises(Http404):
        services.reassign(scope=Scope.for_user(pw.dora), case=case, defender=pw.delia)
    services.reassign(scope=Scope.for_user(pw.sara), case=case, defender=pw.delia)
    assert selectors.read_case(Scope.for_user(pw.delia), case.pk).alias == PLANTED_ALIAS
    with pytest.raises(Http404):
        selectors.read_case(Scope.for_user(pw.dora), case.pk)
    with pytest.raises(ValidationError):
        services.reassign(scope=Scope.for_user(pw.sara), case=case, defender=pw.dina)  # Cusco's


def test_only_a_defensora_of_the_federation_is_named_supervisor(pw):
    with pytest.raises(ValidationError):
        services.name_supervisor(scope=Scope.for_user(pw.platform), federation=pw.cusco, account=pw.dora)
    with pytest.raises(Http404):
        services.name_supervisor(scope=Scope.for_user(pw.coordinator), federation=pw.lima, account=pw.dora)
    services.name_supervisor(scope=Scope.for_user(pw.platform), federation=pw.cusco, account=pw.dina)


def test_counts_by_district_hide_small_cells(client, pw):
    for i in range(6):
        a_case(pw, alias=f"A{i}")
    a_case(pw, kind="land")
    client.force_login(pw.coordinator)
    rows = selectors.counts(Scope.for_user(pw.coordinator), pw.lima).rows
    assert len(rows) == 1 and rows[0].violence is None and rows[0].land is None  # 1 land case hides the row
    for i in range(4):
        a_case(pw, kind="land", alias=f"L{i}")
    rows = selectors.counts(Scope.for_user(pw.coordinator), pw.lima).rows
    assert (rows[0].violence, rows[0].land) == (6, 5)
    page = client.get(reverse("protection:counts", kwargs={"pk": pw.lima.pk})).content.decode()
    assert PLANTED_ALIAS not in page and "A1" not in page


def test_the_breach_register_shows_the_48_hour_clock_and_exports(client, pw):
    scope = Scope.for_user(pw.platform)
    services.record_incident(scope=scope, what="Se perdió un celular con sesión abierta",
                             discovered_at=timezone.now() - datetime.timedelta(hours=50), whose="defensoras",
                             affected=3)
    services.record_incident(scope=scope, what="Correo enviado a quien no era", whose="socias", affected=1,
                             discovered_at=timezone.now() - datetime.timedelta(hours=2))
    with pytest.raises(ValidationError):
        services.record_incident(scope=scope, what="x", whose="y", affected=0, discovered_at=timezone.now(),
                                 reported_at=timezone.now() - datetime.timedelta(days=1))
    client.force_login(pw.platform)
    page = client.get(reverse("protection:incidents")).content.decode()
    assert "vencido" in page and "quedan" in page
    export = client.get(reverse("protection:incidents_export"))
    text = export.content.decode("utf-8-sig")
    assert export["Content-Type"].startswith("text/csv") and "Se perdió un celular" in text
    assert len(text.strip().splitlines()) == 3
    assert Incident.objects.count() == 2


def test_end_of_retention_shreds_the_case_and_its_month_key(pw):
    case, kept = a_case(pw), a_case(pw, alias="Sigue")
    with __import__("django.db", fromlist=["transaction"]).transaction.atomic():
        vault.rewrap_for_month(case, "2020-01")
        case.save(update_fields=["retain_until"])
    assert "2020-01" in keys.retention_keys()
    assert services.shred_due(scope=Scope.system("prueba")) == 1
    assert not Case.objects.filter(pk=case.pk).exists() and "2020-01" not in keys.retention_keys()
    assert selectors.read_case(Scope.for_user(pw.dora), kept.pk).alias == "Sigue"


def test_rotation_rewraps_every_case_key_and_retires_the_old_master(pw, settings, tmp_path):
    # A key file of its own, with one key: the process's may hold others (the demo rotates it).
    settings.PROTECTION_KEY_FILE = tmp_path / "master.key"
    keys.write_keyfile(settings.PROTECTION_KEY_FILE, [keys.new_key()])
    cases = [a_case(pw, alias=f"R{i}") for i in range(5)]
    old = keys.keyring()
    keys.write_keyfile(settings.PROTECTION_KEY_FILE, [keys.new_key(), *old.keys])
    assert rotation.pending() == 5
    assert rotation.rewrap_all(batch=2) == 5
    assert rotation.pending() == 0
    assert set(CaseKey.objects.values_list("kid", flat=True)) == {keys.keyring().current_id}
    assert list(MasterKey.objects.values_list("kid", flat=True)) == [keys.keyring().current_id]
    assert rotation.retirable() == [old.current]
    keys.write_keyfile(settings.PROTECTION_KEY_FILE, [keys.keyring().current])
    assert [selectors.read_case(Scope.for_user(pw.dora), c.pk).alias for c in cases] == [f"R{i}" for i in range(5)]
