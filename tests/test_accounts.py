import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from ayni.accounts import services
from ayni.accounts.models import Role, RoleGrant, User
from ayni.accounts.scope import Scope
from ayni.audit.models import AuditEntry
from tests.conftest import PASSWORD, as_scope

pytestmark = pytest.mark.django_db


def test_login_by_username_or_phone(world):
    assert authenticate(username="rosa", password=PASSWORD) == world.leader
    assert authenticate(username="+51 912 345 678", password=PASSWORD) == world.leader
    assert authenticate(username="912-345-678", password="otra") is None


def test_failed_logins_are_throttled(client, world, settings):
    settings.AYNI_LOGIN_MAX_FAILURES = 3
    url = reverse("accounts:login")
    for _ in range(3):
        response = client.post(url, {"username": "rosa", "password": "mala"})
        assert "incorrectos" in response.content.decode()
    response = client.post(url, {"username": "rosa", "password": PASSWORD})
    assert "Demasiados intentos fallidos" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_coordinator_creates_an_account_for_a_leader_who_sets_her_password_with_the_code(client, world):
    client.force_login(world.coordinator)
    response = client.post(reverse("accounts:create", kwargs={"org_pk": world.olla.pk}), {
        "first_name": "Irma", "last_name": "Ticona", "username": "irma.ticona", "phone": "955 111 222",
        "role": Role.LEADER})
    assert response.status_code == 302
    user = User.objects.get(username="irma.ticona")
    detail = client.get(response["Location"]).content.decode()
    code = detail.split('class="code">')[1].split("<")[0]
    assert len(code) == 8
    # The code is shown once only.
    assert 'class="code"' not in client.get(response["Location"]).content.decode()
    client.logout()
    response = client.post(reverse("accounts:redeem"), {"identifier": "955111222", "code": code.lower(),
                                                        "new_password1": "mi-clave-nueva-1",
                                                        "new_password2": "mi-clave-nueva-1"})
    assert response.status_code == 302
    assert authenticate(username="irma.ticona", password="mi-clave-nueva-1") == user
    # A used code does not work twice.
    with pytest.raises(Exception, match="no son correctos"):
        services.redeem_code(identifier="irma.ticona", code=code, new_password="otra-clave-nueva-2")


def test_a_coordinator_cannot_grant_outside_her_subtree_or_above_her_role(world):
    with pytest.raises(Http404):
        services.create_account(scope=Scope.for_user(world.coordinator), username="x1",
                                organisation=world.kitchen_other, role=Role.LEADER)
    with pytest.raises(PermissionDenied):
        services.create_account(scope=Scope.for_user(world.coordinator), username="x2", organisation=world.kitchen,
                                role=Role.NATIONAL_ADMIN)
    assert not User.objects.filter(username__in=["x1", "x2"]).exists()


def test_a_duplicate_username_or_phone_is_explained(client, world):
    client.force_login(world.coordinator)
    response = client.post(reverse("accounts:create", kwargs={"org_pk": world.kitchen.pk}), {
        "first_name": "Otra", "username": "rosa", "phone": "912345678", "role": Role.LEADER})
    page = response.content.decode()
    assert "ya existe" in page and "Ya hay una cuenta con el celular" in page


def test_reset_code_replaces_the_previous_one_and_deactivation_blocks_login(world):
    first = services.issue_reset_code(scope=as_scope(world.coordinator), user=world.leader)
    second = services.issue_reset_code(scope=as_scope(world.coordinator), user=world.leader)
    with pytest.raises(Exception, match="no son correctos"):
        services.redeem_code(identifier="rosa", code=first, new_password="clave-nueva-segura-1")
    services.redeem_code(identifier="rosa", code=second, new_password="clave-nueva-segura-1")
    services.set_active(scope=as_scope(world.coordinator), user=world.leader, active=False)
    assert authenticate(username="rosa", password="clave-nueva-segura-1") is None
    assert AuditEntry.objects.filter(action="account.deactivate").exists()


def test_a_coordinator_of_another_province_cannot_reset_a_leader(world):
    with pytest.raises(PermissionDenied):
        services.issue_reset_code(scope=Scope.for_user(world.coordinator_other), user=world.leader)


def test_everyone_changes_her_own_password(client, world):
    client.force_login(world.viewer)
    response = client.post(reverse("accounts:password"), {
        "old_password": PASSWORD, "new_password1": "vera-nueva-clave-9", "new_password2": "vera-nueva-clave-9"})
    assert response.status_code == 302
    assert authenticate(username="vera", password="vera-nueva-clave-9") == world.viewer


def test_the_audit_trail_is_scoped_to_the_coordinators_subtree(client, world):
    from ayni.orgs.services import update_organisation

    update_organisation(scope=as_scope(world.leader_other), organisation=world.kitchen_other,
                        name="Comedor Belén Renovado")
    client.force_login(world.coordinator)
    assert "Belén Renovado" not in client.get(reverse("audit:entries")).content.decode()
    client.force_login(world.coordinator_other)
    assert "Belén Renovado" in client.get(reverse("audit:entries")).content.decode()


def test_grants_hold_for_the_subtree_but_a_leaders_only_for_her_kitchen(world):
    from ayni.accounts.scope import Can

    coordinator, leader = Scope.for_user(world.coordinator), Scope.for_user(world.leader)
    assert coordinator.holds(Can.VIEW_PERSONAL, world.kitchen)
    assert not coordinator.holds(Can.VIEW, world.kitchen_other)
    assert leader.holds(Can.EDIT, world.kitchen) and not leader.holds(Can.VIEW, world.olla)
    RoleGrant.objects.filter(user=world.leader).delete()
    assert not Scope.for_user(world.leader).holds(Can.VIEW, world.kitchen)


def test_a_username_of_digits_is_refused_so_it_cannot_be_taken_for_a_phone(client, world):
    client.force_login(world.coordinator)
    for username in ("987654321", "912-345-678"):
        response = client.post(reverse("accounts:create", kwargs={"org_pk": world.kitchen.pk}), {
            "first_name": "Otra", "username": username, "role": Role.LEADER})
        assert response.status_code == 200 and "al menos una letra" in response.content.decode()
    with pytest.raises(ValidationError, match="al menos una letra"):
        services.create_account(scope=as_scope(world.coordinator), username="905796393", organisation=world.kitchen,
                                role=Role.LEADER)
    assert not User.objects.exclude(username__regex=r"[a-z]").exists()
    services.create_account(scope=as_scope(world.coordinator), username="rosa2", organisation=world.kitchen,
                            role=Role.LEADER)


def test_createsuperuser_refuses_a_username_of_digits(world, monkeypatch):
    from django.core.management import CommandError, call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "clave-larga-de-admin-1")
    with pytest.raises(CommandError, match="al menos una letra"):
        call_command("createsuperuser", "--noinput", username="912345678", email="a@example.org", verbosity=0)
    call_command("createsuperuser", "--noinput", username="admin2", email="a@example.org", verbosity=0)
    assert User.objects.filter(username="admin2", is_superuser=True).exists()


def test_an_old_username_of_digits_does_not_take_the_leaders_phone_login(world):
    from ayni.ops.integrity import account_violations

    # Made before the rule, with Rosa's phone number as its username.
    intruder = User.objects.create_user(username="912345678", password="clave-del-intruso-1")
    assert authenticate(username="912345678", password="clave-del-intruso-1") is None
    assert authenticate(username="912345678", password=PASSWORD) == world.leader
    assert authenticate(username="+51 912 345 678", password=PASSWORD) == world.leader
    assert services.find_account("912345678") == world.leader
    assert account_violations() == [f"cuenta {intruder.pk}: el usuario «912345678» no tiene letras y se confunde "
                                    "con un celular"]
