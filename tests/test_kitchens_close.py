"""The monthly close: the leader closes, the coordination validates or returns, validated
months are locked, and completeness per month."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ayni.accounts.scope import Scope
from ayni.kitchens import selectors, services
from ayni.kitchens.models import MonthClose
from tests.conftest import as_scope
from tests.kitchens import TODAY, last_month, move, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(world):
    month = last_month()
    report(world.kitchen, month)
    report(world.kitchen, month.replace(day=2), rations_prepared=70)
    return services.close_month(scope=as_scope(world.leader), kitchen=world.kitchen, month=month)


def test_closing_freezes_the_months_totals(world, closed):
    assert closed.status == MonthClose.Status.CLOSED
    assert closed.totals["days_reported"] == "2" and closed.totals["rations_prepared"] == "130"


def test_a_closed_month_refuses_new_reports_movements_and_edits(world, closed):
    with pytest.raises(ValidationError, match="está cerrado"):
        report(world.kitchen, last_month().replace(day=3))
    with pytest.raises(ValidationError, match="está cerrado"):
        report(world.kitchen, last_month(), rations_prepared=99)
    with pytest.raises(ValidationError, match="está cerrado"):
        move(world.kitchen, "arroz", "state", 10, last_month())


def test_the_coordinator_validates_and_the_month_is_locked_for_good(world, closed):
    services.validate_month(scope=as_scope(world.coordinator), kitchen=world.kitchen, month=last_month())
    with pytest.raises(ValidationError, match="ya fue validado"):
        report(world.kitchen, last_month())
    with pytest.raises(ValidationError, match="ya está cerrado"):
        services.close_month(scope=as_scope(world.leader), kitchen=world.kitchen, month=last_month())
    with pytest.raises(ValidationError, match="no está cerrado"):
        services.return_month(scope=as_scope(world.coordinator), kitchen=world.kitchen, month=last_month(), comment="x")


def test_a_returned_month_is_open_again_and_can_be_closed_again(world, closed):
    with pytest.raises(ValidationError, match="qué debe corregir"):
        services.return_month(scope=as_scope(world.coordinator), kitchen=world.kitchen, month=last_month(), comment=" ")
    back = services.return_month(scope=as_scope(world.coordinator), kitchen=world.kitchen, month=last_month(),
                                 comment="Faltan los días 3 a 31")
    assert back.status == MonthClose.Status.RETURNED and back.comment == "Faltan los días 3 a 31"
    report(world.kitchen, last_month().replace(day=3))
    again = services.close_month(scope=as_scope(world.leader), kitchen=world.kitchen, month=last_month())
    assert again.status == MonthClose.Status.CLOSED and again.totals["days_reported"] == "3"


def test_a_leader_cannot_validate_her_own_month_nor_another_province_validate_it(world, closed):
    from django.http import Http404

    with pytest.raises(PermissionDenied):
        services.validate_month(scope=Scope.for_user(world.leader), kitchen=world.kitchen, month=last_month())
    with pytest.raises(Http404):
        services.validate_month(scope=Scope.for_user(world.coordinator_other), kitchen=world.kitchen,
                                month=last_month())


def test_a_month_that_has_not_started_cannot_be_closed(world):
    nxt = (TODAY.replace(day=28) + __import__("datetime").timedelta(days=5)).replace(day=1)
    with pytest.raises(ValidationError, match="aún no empieza"):
        services.close_month(scope=as_scope(world.leader), kitchen=world.kitchen, month=nxt)


def test_completeness_shows_how_many_days_each_kitchen_reported(world):
    month = last_month()
    for day in range(1, 6):
        report(world.kitchen, month.replace(day=day))
    report(world.olla, month.replace(day=1))
    result = selectors.completeness(Scope.for_user(world.coordinator), world.lima, month)
    assert result["total"] == 2 and result["complete"] == 0
    assert [(r["name"], r["days"]) for r in result["rows"]] == [
        ("Olla Común Los Jardines", 1), ("Comedor Popular Santa Rosa", 5)]
    assert result["days_in_month"] == selectors.month_end(month).day


def test_moving_a_kitchen_takes_its_monthly_summaries_along(world):
    from ayni.kitchens.integrity import violations
    from ayni.orgs.services import move_organisation
    from tests.evidence_helpers import subtree_totals

    report(world.kitchen)
    first = TODAY.replace(day=1)
    assert subtree_totals(world.ves, first, first)["days_reported"] == 1
    move_organisation(scope=as_scope(None), organisation=world.kitchen, new_parent=world.santiago)
    assert subtree_totals(world.ves, first, first)["days_reported"] == 0
    assert subtree_totals(world.cusco, first, first)["days_reported"] == 1
    assert violations() == []
