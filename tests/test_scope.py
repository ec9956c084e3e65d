"""The one permission entry: a scope per caller, the system scope with its reason, the gate."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.test import RequestFactory

from ayni.accounts.scope import Can, Scope
from ayni.audit.models import AuditEntry
from ayni.audit.services import record
from ayni.orgs.access import requires


def test_the_system_scope_needs_a_reason_and_holds_everything(world):
    with pytest.raises(ValueError):
        Scope.system("  ")
    system = Scope.system("tarea programada")
    assert system.is_system and not system.is_anonymous and system.actor is None
    assert system.holds(Can.MANAGE_ACCOUNTS, world.kitchen_other) and system.holds(Can.AUDIT)


def test_holds_answers_on_an_organisation_or_anywhere(world):
    leader = Scope.for_user(world.leader)
    assert leader.actor == world.leader
    assert leader.holds(Can.EDIT, world.kitchen) and not leader.holds(Can.EDIT, world.kitchen_other)
    assert leader.holds(Can.VIEW_PERSONAL) and not leader.holds(Can.VALIDATE)
    assert Scope.for_user(world.coordinator).holds(Can.VALIDATE)
    assert not Scope(user_id=None).holds(Can.VIEW)


def test_the_audit_names_the_account_or_the_system_and_why(world):
    by_leader = record(scope=Scope.for_user(world.leader), action="org.update", obj=world.kitchen,
                       org_path=world.kitchen.path)
    by_system = record(scope=Scope.system("mensaje de texto desde un celular registrado"), action="org.update",
                       obj=world.kitchen, org_path=world.kitchen.path)
    by_leader, by_system = AuditEntry.objects.get(pk=by_leader.pk), AuditEntry.objects.get(pk=by_system.pk)
    assert by_leader.actor == world.leader and by_leader.reason == ""
    assert by_leader.actor_text == str(world.leader)
    assert by_system.actor is None
    assert by_system.actor_text == "sistema (mensaje de texto desde un celular registrado)"


def _request(user):
    request = RequestFactory().get("/")
    request.user, request.scope = user, Scope.for_user(user)
    return request


def test_requires_hands_the_view_its_organisation_through_the_scope(world):
    @requires(Can.EDIT, on="pk")
    def page(request, org):
        return HttpResponse(org.name)

    assert page(_request(world.leader), pk=world.kitchen.pk).content.decode() == world.kitchen.name
    with pytest.raises(Http404):  # out of sight: not found, no hint it exists
        page(_request(world.leader), pk=world.kitchen_other.pk)
    with pytest.raises(PermissionDenied):  # seen (a viewer sees counts) but not editable
        page(_request(world.viewer), pk=world.kitchen.pk)
    with pytest.raises(Http404):
        page(_request(world.leader), pk="not-a-number")


def test_requires_without_an_organisation_asks_for_the_capability_anywhere(world):
    @requires(Can.VALIDATE)
    def queue(request):
        return HttpResponse("ok")

    assert queue(_request(world.coordinator)).status_code == 200
    with pytest.raises(PermissionDenied):
        queue(_request(world.leader))
