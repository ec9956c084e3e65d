"""A DNI finds only people the user may already see (field trial, issue 12).

Juana Huamán Ccahuana (DNI 23456781) is a socia of the Cusco kitchen. Rosa leads a Lima kitchen:
when she types Juana's DNI on any path (member forms, roll form, API batch, import), Juana is
neither attached nor named, and nothing Rosa sees says the DNI is held elsewhere; the DNI waits
in the duplicate review for someone who covers both provinces. Identity fields are changed only
by someone with EDIT over every organisation the person belongs to. DNIs typed with other
scripts' digits are stored in ASCII.
"""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ayni.accounts.scope import Scope
from ayni.audit.models import AuditEntry
from ayni.people.models import DuplicatePair, Membership, Person
from ayni.people.services import add_membership, register_person, update_person
from ayni.rolls import selectors as roll_selectors
from ayni.rolls.imports import apply_import, preview_import, upload_import
from ayni.rolls.models import RollEntry
from ayni.rolls.services import decide_pair
from tests.capture_helpers import make_token
from tests.conftest import as_scope
from tests.rolls_helpers import put_on_roll

pytestmark = pytest.mark.django_db

JUANA_DNI = "23456781"  # world.member_other, Cusco
NOBODYS_DNI = "87654321"
HER_NAME = ("Huamán", "Ccahuana")
TODAY = timezone.localdate().isoformat()


def roll_form(**extra):
    data = {"given_names": "Ana", "paternal_surname": "Torres", "maternal_surname": "Vega",
            "birth_date": "1950-02-10", "sex": "F", "category": "adulto-mayor", "ration": "subsidised",
            "since": TODAY, "consent_method": "signed", "consent_on": TODAY, "misma": "nueva"}
    return data | extra


def member_form(**extra):
    return {"given_names": "Ana", "paternal_surname": "Torres", "maternal_surname": "Vega", "sex": "F",
            "since": TODAY} | extra


def shows_her(content: bytes | str) -> bool:
    text = content.decode() if isinstance(content, bytes) else content
    return any(word in text for word in HER_NAME)


def assert_juana_untouched(world):
    juana = Person.objects.get(pk=world.member_other.pk)
    assert juana.dni == JUANA_DNI and juana.given_names == "Juana"
    assert list(juana.memberships.values_list("organisation", flat=True)) == [world.kitchen_other.pk]
    assert not juana.roll_entries.exists()


# --- Finding an existing socia by DNI ------------------------------------------------------------

def test_a_dni_out_of_scope_is_answered_as_if_nobody_held_it(login, world):
    client = login(world.leader)
    url = reverse("orgs:add_member", kwargs={"pk": world.kitchen.pk})
    theirs = client.post(url, {"dni": JUANA_DNI, "since": TODAY})
    nobodys = client.post(url, {"dni": NOBODYS_DNI, "since": TODAY})
    assert theirs.status_code == nobodys.status_code == 200
    assert not shows_her(theirs.content)
    assert not Membership.objects.filter(person=world.member_other, organisation=world.kitchen).exists()
    assert_juana_untouched(world)


def test_the_out_of_scope_answer_has_the_same_words_as_for_a_dni_nobody_holds(login, world):
    client = login(world.leader)
    url = reverse("orgs:add_member", kwargs={"pk": world.kitchen.pk})
    errors = [client.post(url, {"dni": dni, "since": TODAY}).context["form"].errors["dni"]
              for dni in (JUANA_DNI, NOBODYS_DNI)]
    assert errors[0] == errors[1]


def test_a_dni_typed_with_full_width_digits_finds_the_socia(login, world):
    login(world.coordinator).post(reverse("orgs:add_member", kwargs={"pk": world.olla.pk}),
                                  {"dni": "４５６７８９１２", "since": TODAY})
    assert Membership.objects.filter(person=world.member, organisation=world.olla).exists()


# --- Registering a new socia with a DNI someone out of scope holds --------------------------------

def test_registering_a_socia_with_a_dni_held_elsewhere_keeps_her_and_sends_the_dni_to_review(login, world):
    client = login(world.leader)
    url = reverse("orgs:register_member", kwargs={"pk": world.kitchen.pk})
    response = client.post(url, member_form(dni=JUANA_DNI), follow=True)
    ana = Person.objects.get(given_names="Ana", paternal_surname="Torres")
    assert ana.dni is None and ana.memberships.get().organisation == world.kitchen
    assert not shows_her(response.content) and "Ya hay" not in response.content.decode()
    assert "Se registró a Ana Torres Vega como socia" in response.content.decode()
    assert_juana_untouched(world)
    pair = DuplicatePair.objects.get()
    assert {pair.person_a, pair.person_b} == {ana, world.member_other}
    assert pair.kind == DuplicatePair.Kind.SAME_DNI and JUANA_DNI in pair.reason
    assert {pair.kitchen_a, pair.kitchen_b} == {world.kitchen, world.kitchen_other}
    # The audit entry of the hold is read above both provinces, not in Rosa's subtree.
    assert AuditEntry.objects.get(action="person.dni_held").org_path == world.confed.path


def test_the_same_words_whether_the_dni_is_held_elsewhere_or_by_nobody(login, world):
    client = login(world.leader)
    url = reverse("orgs:register_member", kwargs={"pk": world.kitchen.pk})
    said = []
    for dni, given in ((JUANA_DNI, "Ana"), (NOBODYS_DNI, "Ana")):
        response = client.post(url, member_form(dni=dni, given_names=given, paternal_surname=f"T{dni}"), follow=True)
        said.append([str(m).replace(dni, "") for m in response.context["messages"]])
    assert said[0] == said[1]


def test_only_a_coordinator_covering_both_sees_the_held_dni_and_merging_keeps_it(login, world):
    login(world.leader).post(reverse("orgs:register_member", kwargs={"pk": world.kitchen.pk}),
                             member_form(dni=JUANA_DNI))
    queues = {who: list(roll_selectors.duplicate_queue(Scope.for_user(getattr(world, who))))
              for who in ("coordinator", "coordinator_other", "national", "platform")}
    assert not queues["coordinator"] and not queues["coordinator_other"]
    pair = queues["national"][0]
    assert queues["platform"] == [pair]
    ana = Person.objects.get(given_names="Ana")
    decide_pair(scope=as_scope(world.national), pair=pair, same=True, keep=ana)
    kept = Person.objects.get(pk=ana.pk)
    assert kept.dni == JUANA_DNI
    assert set(kept.memberships.values_list("organisation", flat=True)) == {world.kitchen.pk, world.kitchen_other.pk}


def test_a_coordinator_of_another_province_cannot_reach_across_either(world):
    ana = register_person(scope=Scope.for_user(world.coordinator), organisation=world.olla, given_names="Ana",
                          paternal_surname="Torres", dni=JUANA_DNI)
    assert ana.dni is None
    assert DuplicatePair.objects.get().kitchen_a in (world.olla, world.kitchen_other)


def test_a_holder_in_no_organisation_is_reviewed_by_the_national_board(world):
    nowhere = Person.objects.create(given_names="Sin", paternal_surname="Organización", dni="11223344")
    register_person(scope=Scope.for_user(world.leader), organisation=world.kitchen, given_names="Ana",
                    paternal_surname="Torres", dni="11223344")
    assert not roll_selectors.duplicate_queue(Scope.for_user(world.coordinator)).exists()
    pair = roll_selectors.duplicate_queue(Scope.for_user(world.national)).get()
    assert nowhere in (pair.person_a, pair.person_b)
    assert {pair.kitchen_a, pair.kitchen_b} == {world.kitchen, world.confed}


def test_the_national_board_sees_the_holder_and_is_told_so(world):
    with pytest.raises(ValidationError) as exc:
        register_person(scope=Scope.for_user(world.national), organisation=world.olla, given_names="Ana",
                        paternal_surname="Torres", dni=JUANA_DNI)
    assert "Ya hay una persona registrada con el DNI" in exc.value.messages[0]
    assert not DuplicatePair.objects.exists()


def test_a_socia_given_a_held_dni_on_edit_keeps_her_own_and_the_typed_one_waits(login, world):
    ana = register_person(scope=Scope.for_user(world.leader), organisation=world.kitchen, given_names="Ana",
                          paternal_surname="Torres")
    response = login(world.leader).post(reverse("people:edit", kwargs={"pk": ana.pk}),
                                        member_form(dni=JUANA_DNI), follow=True)
    assert not shows_her(response.content) and "Ya hay" not in response.content.decode()
    assert Person.objects.get(pk=ana.pk).dni is None
    assert JUANA_DNI in DuplicatePair.objects.get().reason
    assert_juana_untouched(world)


# --- The roll form, the API batch and the import --------------------------------------------------

def test_the_roll_form_does_not_attach_someone_out_of_scope(login, world):
    response = login(world.leader).post(reverse("rolls:add", kwargs={"pk": world.kitchen.pk}),
                                        roll_form(dni=JUANA_DNI), follow=True)
    entry = RollEntry.objects.get(kitchen=world.kitchen)
    assert entry.person != world.member_other and entry.person.given_names == "Ana" and entry.person.dni is None
    assert not shows_her(response.content)
    assert "Se agregó a Ana Torres Vega al padrón" in response.content.decode()
    assert_juana_untouched(world)
    assert DuplicatePair.objects.get().kind == DuplicatePair.Kind.SAME_DNI
    # And Juana's page stays out of Rosa's reach.
    assert login(world.leader).get(reverse("people:detail", kwargs={"pk": world.member_other.pk})).status_code == 404


def test_the_api_batch_does_not_attach_or_name_someone_out_of_scope(client, world):
    key = make_token(world.leader)
    data = roll_form(dni=JUANA_DNI)
    data.pop("misma")
    body = json.dumps({"items": [{"type": "roll_entry", "client_id": "r-1", "data": data}]})
    response = client.post(reverse("api-v1:batch", kwargs={"kitchen_id": world.kitchen.pk}), body,
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    assert response.json()["results"][0]["status"] == "accepted", response.json()
    assert not shows_her(response.content)
    assert RollEntry.objects.get(kitchen=world.kitchen).person.given_names == "Ana"
    assert_juana_untouched(world)
    assert DuplicatePair.objects.count() == 1


def _csv(dni):
    return f"Apellido paterno;Apellido materno;Nombres;DNI;Categoría\nTorres;Vega;Ana;{dni};Otro\n".encode()


def test_the_import_preview_shows_a_row_held_elsewhere_as_new_and_never_her_name(login, world):
    batch = upload_import(scope=as_scope(world.leader), kitchen=world.kitchen, filename="padron.csv",
                          content=_csv(JUANA_DNI))
    assert [r.status for r in preview_import(batch).rows] == ["new"]
    assert preview_import(batch).rows[0].person is None
    page = login(world.leader).get(reverse("rolls:import_preview", kwargs={"pk": batch.pk}))
    assert not shows_her(page.content)
    nobodys = upload_import(scope=as_scope(world.leader), kitchen=world.kitchen, filename="padron.csv",
                            content=_csv(NOBODYS_DNI))
    other_page = login(world.leader).get(reverse("rolls:import_preview", kwargs={"pk": nobodys.pk}))
    assert page.context["counts"] == other_page.context["counts"]


def test_the_import_confirm_registers_the_row_and_sends_the_dni_to_review(world):
    batch = upload_import(scope=as_scope(world.leader), kitchen=world.kitchen, filename="padron.csv",
                          content=_csv(JUANA_DNI))
    assert apply_import(scope=as_scope(world.leader), batch=batch) == 1
    entry = RollEntry.objects.get(kitchen=world.kitchen)
    assert entry.person.given_names == "Ana" and entry.person.dni is None
    assert_juana_untouched(world)
    pair = DuplicatePair.objects.get()
    assert JUANA_DNI in pair.reason and {pair.kitchen_a, pair.kitchen_b} == {world.kitchen, world.kitchen_other}


def test_the_import_still_links_someone_the_importer_may_see(world):
    batch = upload_import(scope=as_scope(world.coordinator), kitchen=world.olla, filename="padron.csv",
                          content=_csv("45678912"))
    assert preview_import(batch).rows[0].person == world.member
    assert apply_import(scope=as_scope(world.coordinator), batch=batch) == 1
    assert RollEntry.objects.get(kitchen=world.olla).person == world.member


# --- Typing a held DNI again finds the one registered the first time -----------------------------

def test_the_roll_form_a_second_time_finds_the_one_added_the_first_time(login, world):
    client = login(world.leader)
    url = reverse("rolls:add", kwargs={"pk": world.kitchen.pk})
    said = []
    for dni in (JUANA_DNI, NOBODYS_DNI):
        client.post(url, roll_form(dni=dni, paternal_surname=f"T{dni}"))
        again = client.post(url, roll_form(dni=dni, paternal_surname=f"T{dni}"))
        said.append(again.content.decode().replace(dni, ""))
        assert "ya está en el padrón" in said[-1] and not shows_her(again.content)
    assert RollEntry.objects.filter(kitchen=world.kitchen).count() == 2
    assert DuplicatePair.objects.count() == 1


def test_a_socia_registered_again_with_a_held_dni_is_refused_like_one_in_sight(login, world):
    client = login(world.leader)
    url = reverse("orgs:register_member", kwargs={"pk": world.kitchen.pk})
    errors = []
    for dni in (JUANA_DNI, NOBODYS_DNI):
        client.post(url, member_form(dni=dni))
        again = client.post(url, member_form(dni=dni, given_names="Otra"))
        errors.append(again.context["form"].errors["dni"][0].replace(dni, ""))
    assert errors[0] == errors[1] and "Ya hay una persona registrada" in errors[0]
    assert_juana_untouched(world)


def test_reimporting_a_file_with_a_held_dni_adds_nobody(world):
    for _time in range(2):
        batch = upload_import(scope=as_scope(world.leader), kitchen=world.kitchen, filename="padron.csv",
                              content=_csv(JUANA_DNI))
        apply_import(scope=as_scope(world.leader), batch=batch)
    assert [r.status for r in preview_import(batch).rows] == ["already"]
    assert RollEntry.objects.filter(kitchen=world.kitchen).count() == 1 and DuplicatePair.objects.count() == 1
    # Still so once the review found them different people.
    decide_pair(scope=as_scope(world.national), pair=DuplicatePair.objects.get(), same=False)
    batch = upload_import(scope=as_scope(world.leader), kitchen=world.kitchen, filename="padron.csv",
                          content=_csv(JUANA_DNI))
    assert apply_import(scope=as_scope(world.leader), batch=batch) == 0


# --- Identity fields need EDIT over every organisation she belongs to ----------------------------

def _juana_also_in_lima(world):
    """Juana, a Cusco socia, also a socia of Rosa's Lima kitchen (as the defect left some)."""
    add_membership(scope=as_scope(None), person=world.member_other, organisation=world.kitchen,
                   since=timezone.localdate())
    return world.member_other


def test_a_leader_cannot_change_who_someone_shared_with_another_province_is(login, world):
    juana = _juana_also_in_lima(world)
    client = login(world.leader)
    assert client.get(reverse("people:detail", kwargs={"pk": juana.pk})).status_code == 200
    assert client.get(reverse("people:edit", kwargs={"pk": juana.pk})).status_code == 403
    response = client.post(reverse("people:edit", kwargs={"pk": juana.pk}),
                           member_form(given_names="Otra", dni=JUANA_DNI))
    assert response.status_code == 403
    with pytest.raises(ValidationError):
        update_person(scope=Scope.for_user(world.leader), person=juana, given_names="Otra")
    with pytest.raises(ValidationError):
        update_person(scope=Scope.for_user(world.coordinator), person=juana, phone="999888777")
    assert Person.objects.get(pk=juana.pk).given_names == "Juana"


def test_someone_covering_every_organisation_of_hers_may_change_it(world):
    juana = _juana_also_in_lima(world)
    update_person(scope=Scope.for_user(world.national), person=juana, phone="999888777")
    assert Person.objects.get(pk=juana.pk).phone == "999888777"


def test_a_roll_entry_in_another_province_counts_as_belonging_there(world):
    put_on_roll(world.kitchen_other, category="otro", person=world.member)
    with pytest.raises(ValidationError):
        update_person(scope=Scope.for_user(world.leader), person=world.member, birth_date=None)
    update_person(scope=Scope.for_user(world.national), person=world.member, phone="999888777")


def test_a_leader_still_edits_her_own_socia(login, world):
    response = login(world.leader).post(reverse("people:edit", kwargs={"pk": world.member.pk}),
                                        member_form(given_names="María Elena", paternal_surname="Quispe",
                                                    dni="45678912", phone="987654320"))
    assert response.status_code == 302
    assert Person.objects.get(pk=world.member.pk).phone == "987654320"


# --- DNIs typed with other digits are stored in ASCII -------------------------------------------

@pytest.mark.parametrize("typed", ["１２３４５６７８", "١٢٣٤٥٦٧٨", "12 345 678", "12-345-678"])
def test_the_register_form_stores_the_dni_in_ascii(login, world, typed):
    login(world.leader).post(reverse("orgs:register_member", kwargs={"pk": world.kitchen.pk}),
                             member_form(dni=typed))
    assert Person.objects.get(given_names="Ana").dni == "12345678"


def test_the_services_store_the_dni_in_ascii_whoever_calls_them(world):
    ana = register_person(scope=as_scope(None), organisation=world.kitchen, given_names="Ana",
                          paternal_surname="Torres", dni="１２３４５６７８")
    assert Person.objects.get(pk=ana.pk).dni == "12345678"
    entry = put_on_roll(world.kitchen, given_names="Luz", dni="٨٧٦٥٤٣٢١")
    assert Person.objects.get(pk=entry.person_id).dni == "87654321"


def test_the_roll_search_finds_a_dni_typed_in_other_digits(login, world):
    put_on_roll(world.kitchen, given_names="Luz", dni="87654321")
    page = login(world.leader).get(reverse("rolls:roll", kwargs={"pk": world.kitchen.pk}), {"q": "８７６５"})
    assert "Luz" in page.content.decode()


def test_the_roll_form_finds_an_existing_person_by_her_dni_in_other_digits(login, world):
    login(world.leader).post(reverse("rolls:add", kwargs={"pk": world.kitchen.pk}),
                             roll_form(dni="４５６７８９１２", category="otro"))
    assert RollEntry.objects.get(kitchen=world.kitchen).person == world.member
