"""Trajectories with consent, representation won, succession for boards near the end of their
terms (also on the coordinator's home page), and the equity of access table and chart."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ayni.accounts.scope import Can
from ayni.leadership import equity, selectors, services
from ayni.leadership.models import Representation
from ayni.orgs.services import create_organisation
from ayni.people.models import PositionKind
from ayni.people.services import assign_position
from tests.conftest import as_scope, kind
from tests.governance_helpers import socias
from tests.leadership_helpers import SYSTEM, attend_all, school

pytestmark = pytest.mark.django_db


def test_a_trajectory_needs_her_consent(world, login):
    client = login(world.coordinator)
    url = reverse("leadership:trajectory", kwargs={"person": world.member.pk})
    assert "No hay consentimiento" in client.get(url).content.decode()
    with pytest.raises(ValidationError, match="consentimiento"):
        services.record_representation(scope=as_scope(world.coordinator), person=world.member,
                                       organisation=world.kitchen, kind="councillor", office="Regidora",
                                       starts_on=timezone.localdate())
    assert Representation.objects.count() == 0


def test_her_line_shows_positions_trainings_and_representation_won(world, login):
    s = school(world)
    attend_all(s)
    services.issue_certificate(scope=SYSTEM, enrolment=s["enrolments"][0])
    client = login(world.coordinator)
    client.post(reverse("leadership:consent", kwargs={"person": world.member.pk}),
                {"given_on": timezone.localdate().isoformat(), "how": "Firmado en la ficha"})
    client.post(reverse("leadership:representation", kwargs={"person": world.member.pk}),
                {"kind": "councillor", "office": "Regidora de Villa El Salvador",
                 "starts_on": "2023-01-01", "ends_on": "2026-12-31"})
    rep = Representation.objects.get()
    assert rep.kind == "councillor" and rep.organisation == world.kitchen
    page = client.get(reverse("leadership:trajectory", kwargs={"person": world.member.pk})).content.decode()
    assert "Presidenta" in page and "Escuela de Lideresas 2026" in page and "Regidora de Villa El Salvador" in page
    services.withdraw_consent(scope=as_scope(world.coordinator), person=world.member, organisation=world.kitchen)
    assert "No hay consentimiento" in client.get(
        reverse("leadership:trajectory", kwargs={"person": world.member.pk})).content.decode()


def test_representation_dates_in_the_wrong_order_are_refused(world):
    services.record_consent(scope=SYSTEM, person=world.member, organisation=world.kitchen,
                            given_on=timezone.localdate(), how="De palabra")
    with pytest.raises(ValidationError):
        services.record_representation(scope=SYSTEM, person=world.member, organisation=world.kitchen,
                                       kind="committee", office="Comité de vigilancia",
                                       starts_on=datetime.date(2025, 5, 1), ends_on=datetime.date(2024, 1, 1))


def test_succession_names_the_trained_who_never_held_the_position_and_warns_where_nobody(world):
    # María Elena is the presidenta of Santa Rosa until 30 days from now (conftest).
    s = school(world, women=3)
    attend_all(s)  # María Elena and two socias complete the school
    ready = [e.person for e in s["enrolments"][1:]]
    rows = selectors.succession(as_scope(world.coordinator))
    row = next(r for r in rows if r["position"].person_id == world.member.pk)
    assert {p.pk for p in row["ready"]} == {p.pk for p in ready}  # not María Elena: she holds it
    # The Olla Común's board also ends soon, and nobody there was trained.
    today = timezone.localdate()
    [olla_president] = socias(world.olla, 1)
    assign_position(scope=SYSTEM, person=olla_president, organisation=world.olla,
                    kind=PositionKind.objects.get(code="presidenta"), starts_on=today - datetime.timedelta(days=600),
                    ends_on=today + datetime.timedelta(days=120))
    rows = selectors.succession(as_scope(world.coordinator))
    olla = next(r for r in rows if r["position"].organisation_id == world.olla.pk)
    assert olla["ready"] == []
    assert selectors.succession(as_scope(world.coordinator_other)) == []  # Cusco sees none of Lima


def test_the_coordinator_sees_the_succession_list_on_her_home_page(world, login, django_assert_max_num_queries):
    s = school(world, women=2)
    attend_all(s)
    client = login(world.coordinator)
    client.get(reverse("core:home"))  # warm the session and caches
    page = client.get(reverse("core:home")).content.decode()
    assert "Sucesión" in page and "Socia 1" in page
    # Three queries for the list whatever the number of boards: ten boards do not add thirty.
    today = timezone.localdate()
    for n in range(10):
        org = create_organisation(scope=SYSTEM, kind=kind("comedor-popular"), parent=world.ves,
                                  name=f"Comedor {n}", district=world.kitchen.district)
        [person] = socias(org, 1)
        assign_position(scope=SYSTEM, person=person, organisation=org, kind=PositionKind.objects.get(code="presidenta"),
                        starts_on=today - datetime.timedelta(days=300), ends_on=today + datetime.timedelta(days=40 + n))
    scope = as_scope(world.coordinator)
    scope.reach(Can.VIEW_PERSONAL)  # her roles, read once per request
    with django_assert_max_num_queries(3):
        rows = selectors.succession(scope)
    assert len(rows) >= 10


def test_equity_counts_the_trained_against_the_membership(world, login):
    s = school(world, women=3)
    attend_all(s)
    socias(world.olla, 3)  # members not trained
    rows = equity.table(world.lima)
    assert equity.total(rows).members == 6 and equity.total(rows).trained == 3
    region = {r.label: (r.members, r.trained) for r in rows["region"]}
    assert region == {"LIMA": (6, 3)}
    assert sum(r.members for r in rows["age"]) == 6
    page = login(world.coordinator).get(reverse("leadership:equity", kwargs={"pk": world.lima.pk}))
    body = page.content.decode()
    assert page.status_code == 200 and "<svg" in body and "Rural o urbano" in body
    assert "María" not in body  # figures only


def test_the_equity_table_is_one_grouped_query_per_dimension_whatever_the_membership(
        world, django_assert_num_queries):
    s = school(world, women=3)
    attend_all(s)
    socias(world.olla, 12)
    # Below a cell of the roll-up (test_leadership_equity), a district federation is read live:
    # five dimensions, one grouped query each (who was trained read once inside it, not per row),
    # and the language names.
    with django_assert_num_queries(6):
        rows = equity.table(world.ves)
    assert equity.total(rows).trained == 3
