"""Bad input on the registry forms: a clear Spanish message on the form, nothing half-saved."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from ayni.audit.models import AuditEntry
from ayni.orgs.models import Organisation
from ayni.people.models import Membership, Person, Position
from tests.conftest import as_scope

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def member_post(**over):
    data = {"given_names": "Luz", "paternal_surname": "Pari", "maternal_surname": "Condori", "sex": "F",
            "dni": "", "birth_date": "", "phone": "", "district": "", "since": TODAY.isoformat(),
            "position": "", "starts_on": "", "ends_on": ""}
    data.update(over)
    return data


def post_member(client, world, **over):
    return client.post(reverse("orgs:register_member", kwargs={"pk": world.kitchen.pk}), member_post(**over))


@pytest.mark.parametrize("over,message", [
    ({"dni": "4567891"}, "El DNI debe tener 8 dígitos"),
    ({"dni": "12345678-5"}, "no corresponde al DNI 12345678"),
    ({"dni": "45678912"}, "Ya hay una persona registrada con el DNI 45678912"),
    ({"birth_date": (TODAY + datetime.timedelta(days=1)).isoformat()}, "no puede ser futura"),
    ({"district": "999999"}, "No existe un distrito con el código UBIGEO «999999»"),
    ({"district": "Distrito Inventado"}, "No se encontró el distrito"),
    ({"phone": "12"}, "no parece un celular peruano"),
    ({"position": "presidenta", "starts_on": TODAY.isoformat(),
      "ends_on": (TODAY - datetime.timedelta(days=1)).isoformat()}, "El periodo termina antes de empezar"),
    ({"position": "presidenta", "starts_on": TODAY.isoformat(), "ends_on": ""}, "Indique el fin del periodo"),
    # The kitchen already has a presidenta whose term covers today.
    ({"position": "presidenta", "starts_on": TODAY.isoformat(),
      "ends_on": (TODAY + datetime.timedelta(days=700)).isoformat()}, "ya tiene presidenta en esas fechas"),
])
def test_bad_member_input_is_explained_and_nothing_is_saved(login, world, over, message):
    client = login(world.leader)
    people, memberships, positions = Person.objects.count(), Membership.objects.count(), Position.objects.count()
    response = post_member(client, world, **over)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert (Person.objects.count(), Membership.objects.count(), Position.objects.count()) == (
        people, memberships, positions)


def test_a_member_with_a_board_position_is_registered_in_one_step(login, world):
    client = login(world.coordinator)
    response = post_member(client, world, given_names="Flor", dni="10000001", position="tesorera",
                           starts_on=TODAY.isoformat(), ends_on=(TODAY + datetime.timedelta(days=730)).isoformat(),
                           district="150142")
    assert response.status_code == 302
    person = Person.objects.get(dni="10000001")
    assert person.positions.get().kind_id == "tesorera"
    assert person.memberships.get().organisation == world.kitchen
    assert AuditEntry.objects.filter(action="person.create", actor=world.coordinator).exists()


def test_an_ambiguous_district_name_lists_the_codes(login, world):
    client = login(world.leader)
    # There are districts called "Santa Rosa" in several departments.
    response = post_member(client, world, district="Santa Rosa")
    assert "Escriba el código UBIGEO" in response.content.decode()


def test_a_kitchen_under_a_kitchen_is_refused_on_the_form(login, world):
    client = login(world.coordinator)
    response = client.get(reverse("orgs:create", kwargs={"pk": world.kitchen.pk}))
    assert response.status_code == 200
    response = client.post(reverse("orgs:create", kwargs={"pk": world.kitchen.pk}),
                           {"kind": "olla-comun", "name": "Olla dentro", "district": "150142"})
    assert response.status_code == 200
    # A kitchen contains nothing, so no kind is offered and the post is refused.
    assert "Escoja una opción válida" in response.content.decode()
    assert not Organisation.objects.filter(name="Olla dentro").exists()


def test_an_unknown_ubigeo_for_an_organisation(login, world):
    client = login(world.coordinator)
    response = client.post(reverse("orgs:create", kwargs={"pk": world.ves.pk}),
                           {"kind": "comedor-popular", "name": "Comedor X", "district": "150199"})
    assert "No existe un distrito con el código UBIGEO «150199»" in response.content.decode()
    assert not Organisation.objects.filter(name="Comedor X").exists()


def test_moving_a_federation_into_its_own_kitchen_is_not_offered_and_refused(login, world):
    client = login(world.national)
    response = client.post(reverse("orgs:move", kwargs={"pk": world.lima.pk}), {"new_parent": world.ves.pk})
    assert response.status_code == 200
    world.lima.refresh_from_db()
    assert world.lima.parent == world.confed


def test_a_coordinator_moves_a_kitchen_between_her_district_federations(login, world):
    from ayni.orgs.services import create_organisation
    from tests.conftest import kind

    other = create_organisation(scope=as_scope(None), kind=kind("federacion-distrital"), parent=world.lima,
                                name="Federación de Comas", district=world.lima.district)
    client = login(world.coordinator)
    response = client.post(reverse("orgs:move", kwargs={"pk": world.kitchen.pk}), {"new_parent": other.pk})
    assert response.status_code == 302
    world.kitchen.refresh_from_db()
    assert world.kitchen.parent == other and world.kitchen.path.startswith(other.path)


def test_status_change_needs_a_reason(login, world):
    client = login(world.coordinator)
    url = reverse("orgs:status", kwargs={"pk": world.kitchen.pk})
    response = client.post(url, {"status": "suspended", "on": TODAY.isoformat(), "reason": ""})
    assert "Indique el motivo" in response.content.decode()
    response = client.post(url, {"status": "closed", "on": TODAY.isoformat(), "reason": "Sin local"})
    assert response.status_code == 302
    world.kitchen.refresh_from_db()
    assert world.kitchen.status == "closed" and world.kitchen.status_reason == "Sin local"


def test_requirements_are_verified_with_date_and_verifier(login, world):
    client = login(world.coordinator)
    url = reverse("orgs:requirements", kwargs={"pk": world.kitchen.pk})
    response = client.post(url, {"estatuto__ok": "on", "estatuto__on": "", "estatuto__note": ""})
    assert "Indique la fecha en que se verificó" in response.content.decode()
    response = client.post(url, {"estatuto__ok": "on", "estatuto__on": "2026-01-15", "estatuto__note": "Copia"})
    assert response.status_code == 302
    check = world.kitchen.requirement_checks.get()
    assert check.item_id == "estatuto" and check.verified_by == world.coordinator
    assert check.verified_on == datetime.date(2026, 1, 15)


def test_a_leader_edits_her_kitchen_and_the_change_is_audited(login, world):
    client = login(world.leader)
    response = client.post(reverse("orgs:edit", kwargs={"pk": world.kitchen.pk}),
                           {"name": "Comedor Popular Santa Rosa de Lima", "district": "150142",
                            "address": "Av. Central 123"})
    assert response.status_code == 302
    entry = AuditEntry.objects.filter(action="org.update").latest("at")
    assert entry.actor == world.leader
    assert entry.before["name"] == "Comedor Popular Santa Rosa"
    assert entry.after["name"] == "Comedor Popular Santa Rosa de Lima"


def test_the_coordinator_sees_terms_ending_within_60_days(login, world):
    client = login(world.coordinator)
    page = client.get(reverse("core:home")).content.decode()
    assert "Juntas que vencen" in page and "María Elena Quispe Mamani" in page
    other = login(world.coordinator_other)
    assert "María Elena" not in other.get(reverse("core:home")).content.decode()


def test_the_organisation_page_is_a_fixed_number_of_queries(login, world, django_assert_max_num_queries):
    from ayni.people.services import register_person

    for i in range(15):
        register_person(scope=as_scope(None), organisation=world.kitchen, given_names=f"Socia {i}",
                        paternal_surname="Apaza")
    client = login(world.coordinator)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("orgs:detail", kwargs={"pk": world.kitchen.pk}))
    assert response.content.decode().count("Apaza") == 15


def test_the_organisation_page_leads_to_its_kitchen_work(login, world):
    client = login(world.leader)
    page = client.get(reverse("orgs:detail", kwargs={"pk": world.kitchen.pk})).content.decode()
    assert reverse("kitchens:kitchen", kwargs={"pk": world.kitchen.pk}) in page
    page = login(world.coordinator).get(reverse("orgs:detail", kwargs={"pk": world.lima.pk})).content.decode()
    assert reverse("kitchens:overview", kwargs={"pk": world.lima.pk}) in page


def test_a_field_with_an_error_is_marked_invalid_and_points_at_its_message(login, world):
    """Screen readers read the message with the field: aria-invalid, and aria-describedby naming
    an element that exists and holds the message."""
    import re

    html = post_member(login(world.leader), world, dni="4567891", phone="12").content.decode()
    invalid = {name: described for name, described in
               re.findall(r'<input[^>]*name="(\w+)"[^>]*aria-invalid="true"[^>]*aria-describedby="([^"]*)"', html)}
    assert set(invalid) == {"dni", "phone"}
    for name, described_by in invalid.items():
        for target in described_by.split():
            assert f'id="{target}"' in html, (name, target)
    assert "8 dígitos" in re.search(r'id="id_dni_error">(.*?)</div>', html, re.S)[1]
    assert "celular" in re.search(r'id="id_phone_error">(.*?)</div>', html, re.S)[1]


@pytest.mark.parametrize("what,early_message", [
    ("membership", "anterior a la de ingreso"), ("position", "anterior al inicio del periodo")])
def test_ending_a_membership_or_a_position_refuses_a_date_before_it_began_and_audits_who(login, world, what,
                                                                                         early_message):
    closing = world.member.memberships.get() if what == "membership" else world.member.positions.get()
    url = reverse(f"people:end_{what}", kwargs={"pk": closing.pk})
    client = login(world.leader)
    too_early = (closing.since if what == "membership" else closing.starts_on) - datetime.timedelta(days=1)
    response = client.post(url, {"on": too_early.isoformat()}, follow=True)
    assert early_message in response.content.decode()
    assert not AuditEntry.objects.filter(action=f"{what}.end").exists()
    assert client.post(url, {"on": TODAY.isoformat()}).status_code == 302
    closing.refresh_from_db()
    assert (closing.until if what == "membership" else closing.ends_on) == TODAY
    assert AuditEntry.objects.get(action=f"{what}.end").actor == world.leader


def test_save_and_register_another_comes_back_to_an_empty_form(login, world):
    client = login(world.leader)
    url = reverse("orgs:register_member", kwargs={"pk": world.kitchen.pk})
    response = client.post(url, {**member_post(), "otra": "1"})
    assert response.status_code == 302 and response["Location"] == url
    response = client.post(url, member_post(given_names="Ruth"))
    assert response["Location"] == reverse("orgs:detail", kwargs={"pk": world.kitchen.pk})
    assert Membership.objects.filter(organisation=world.kitchen, person__given_names__in=["Luz", "Ruth"]).count() == 2


def test_work_no_account_authorises_is_audited_as_the_system_and_why(world):
    created = AuditEntry.objects.get(action="org.create", object_id=str(world.kitchen.pk))
    assert created.actor is None and created.reason == "preparación de la prueba"
    assert created.actor_text == "sistema (preparación de la prueba)"
