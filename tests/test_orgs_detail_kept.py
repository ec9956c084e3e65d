"""The organisation page keeps the organisations within it (children, their counts, the summary
by kind) once for everyone with the same reach (kitchens/kept.py, issue 22 item 3): a child
registered, renamed, given another status or moved shows on the next view, on every level; two
coordinators with different reach never share it; socias and the board are read afresh."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ayni.orgs.models import Organisation, OrgKind
from ayni.orgs.services import create_organisation, move_organisation, set_status, update_organisation
from ayni.people.services import register_person
from tests.conftest import as_scope

pytestmark = pytest.mark.django_db


def page(client, org) -> str:
    html = client.get(reverse("orgs:detail", kwargs={"pk": org.pk})).content.decode()
    return html[html.index("<h1>"):html.index("</main>")]


def test_a_second_view_reads_no_child_organisation(world, login):
    client = login(world.coordinator)
    first = page(client, world.lima)
    with CaptureQueriesContext(connection) as ctx:
        assert page(client, world.lima) == first
    assert not [q for q in ctx.captured_queries if "COUNT(" in q["sql"] and "orgs_organisation" in q["sql"]]


def test_a_child_registered_renamed_suspended_and_moved_shows_on_the_next_view(world, login):
    client = login(world.coordinator)
    system = as_scope(None)
    assert "Olla Común Nueva" not in page(client, world.ves) + page(client, world.lima)
    olla = create_organisation(scope=system, kind=OrgKind.objects.get(code="olla-comun"), parent=world.ves,
                               name="Olla Común Nueva", district=world.ves.district)
    assert "Olla Común Nueva" in page(client, world.ves)
    assert "3 organizaciones" in page(client, world.lima)  # the district federation's count of children
    update_organisation(scope=system, organisation=olla, name="Olla Común Renombrada")
    assert "Olla Común Renombrada" in page(client, world.ves)
    set_status(scope=system, organisation=olla, status=Organisation.Status.SUSPENDED, on=timezone.localdate(),
               reason="Sin local")
    assert 'class="tag suspended"' in page(client, world.ves)
    move_organisation(scope=system, organisation=world.olla, new_parent=world.lima)
    assert world.olla.name in page(client, world.lima) and world.olla.name not in page(client, world.ves)


def test_coordinators_with_different_reach_never_share_the_organisations_within(world, login):
    national = page(login(world.national), world.confed)
    assert world.lima.name in national and world.cusco.name in national
    # A coordinator of Lima given a view of the confederation by no grant: the page is out of her sight.
    assert login(world.coordinator).get(reverse("orgs:detail", kwargs={"pk": world.confed.pk})).status_code == 404
    lima = page(login(world.coordinator), world.lima)
    assert world.ves.name in lima and world.santiago.name not in lima


def test_a_socia_registered_shows_at_once_with_her_count(world, login):
    client = login(world.coordinator)
    before = page(client, world.kitchen)
    assert "Socias (1)" in before
    register_person(scope=as_scope(None), organisation=world.kitchen, given_names="Luz", paternal_surname="Pari")
    after = page(client, world.kitchen)
    assert "Luz Pari" in after and "Socias (2)" in after


def test_the_kept_part_holds_no_personal_data(world, login):
    from django.core.cache import cache

    from ayni.kitchens import kept

    page(login(world.coordinator), world.kitchen), page(login(world.coordinator), world.ves)
    kept_parts = str([v for k, v in cache._cache.items() if kept.KEY_PREFIX in k])  # noqa: SLF001
    assert world.kitchen.name in kept_parts
    assert world.member.paternal_surname not in kept_parts and "45678912" not in kept_parts


# The registry part (breadcrumbs, requirements, whether it may hold others) is kept with the
# organisations within it (core/registry.py): each write it reads shows on the next view.


def test_a_second_view_reads_neither_the_ancestors_nor_the_requirements(world, login):
    client = login(world.coordinator)
    first = page(client, world.kitchen)
    with CaptureQueriesContext(connection) as ctx:
        assert page(client, world.kitchen) == first
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "orgs_requirementitem" not in sql and "orgs_requirementcheck" not in sql
    assert "orgs_orgkind_may_contain" not in sql


def test_a_requirement_verified_and_taken_back_shows_on_the_next_view(world, login):
    from ayni.orgs.models import RequirementItem
    from ayni.orgs.services import verify_requirement

    client = login(world.coordinator)
    item = RequirementItem.objects.order_by("order").first()
    assert f"✘ {item.name}" in page(client, world.kitchen)
    verify_requirement(scope=as_scope(world.coordinator), organisation=world.kitchen, item=item,
                       verified_on=timezone.localdate())
    html = page(client, world.kitchen)
    assert f"✔ {item.name}" in html and "por Carmen" in html
    # Another organisation's page is not the kitchen's: its own checklist is unchanged.
    assert f"✘ {item.name}" in page(client, world.ves)
    verify_requirement(scope=as_scope(world.coordinator), organisation=world.kitchen, item=item,
                       verified_on=timezone.localdate(), verified=False)
    assert f"✘ {item.name}" in page(client, world.kitchen)


def test_the_verifiers_new_name_and_an_ancestors_new_name_show_on_the_next_view(world, login):
    from ayni.orgs.models import RequirementItem
    from ayni.orgs.services import verify_requirement

    client = login(world.coordinator)
    item = RequirementItem.objects.order_by("order").first()
    verify_requirement(scope=as_scope(world.coordinator), organisation=world.kitchen, item=item,
                       verified_on=timezone.localdate())
    assert "por Carmen" in page(client, world.kitchen)
    world.coordinator.first_name = "Carmela"
    world.coordinator.save()
    assert "por Carmela" in page(client, world.kitchen)
    # The crumbs name the kitchen's ancestors: a federation above it renamed shows there.
    html = client.get(reverse("orgs:detail", kwargs={"pk": world.kitchen.pk})).content.decode()
    assert world.ves.name in html
    update_organisation(scope=as_scope(None), organisation=world.lima, name="Federación Renombrada")
    crumbs = client.get(reverse("orgs:detail", kwargs={"pk": world.kitchen.pk})).content.decode()
    assert "Federación Renombrada</a> ›" in crumbs


def test_crumbs_show_only_the_ancestors_in_her_sight(world, login):
    # The coordinator of Lima never sees the confederation above it, the national board does.
    mine = login(world.coordinator).get(reverse("orgs:detail", kwargs={"pk": world.kitchen.pk})).content.decode()
    theirs = login(world.national).get(reverse("orgs:detail", kwargs={"pk": world.kitchen.pk})).content.decode()
    assert f">{world.confed.name}</a> ›" not in mine and f">{world.lima.name}</a> ›" in mine
    assert f">{world.confed.name}</a> ›" in theirs
