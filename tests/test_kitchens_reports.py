"""The daily report: one per kitchen and day, its history, bad input, and no lost update."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from ayni.accounts.scope import Scope
from ayni.audit.models import AuditEntry
from ayni.kitchens import services
from ayni.kitchens.models import DailyReport, MonthlySummary
from ayni.kitchens.services import NeedsConfirmation, ReportConflict
from tests.conftest import as_scope
from tests.kitchens import TODAY, report

pytestmark = pytest.mark.django_db


def test_a_leader_records_todays_report_and_the_month_summary_follows(world):
    r = report(world.kitchen, scope=as_scope(world.leader))
    assert r.version == 1 and r.rations_served == 57
    summary = MonthlySummary.objects.get(kitchen=world.kitchen, month=TODAY.replace(day=1))
    assert (summary.days_reported, summary.days_cooked, summary.rations_prepared, summary.served_free) == (1, 1, 60, 5)
    assert summary.cash_received == Decimal("140.00") and summary.path == world.kitchen.path
    assert AuditEntry.objects.filter(action="kitchen.report", org_path=world.kitchen.path).count() == 1


def test_editing_a_day_keeps_its_history_and_moves_the_summary_by_the_difference(world):
    report(world.kitchen, scope=as_scope(world.leader))
    r = report(world.kitchen, scope=as_scope(world.leader), version=1, rations_prepared=90, served_paying=70)
    assert r.version == 2
    assert [rev.data["rations_prepared"] for rev in r.revisions.all()] == [90, 60]
    summary = MonthlySummary.objects.get(kitchen=world.kitchen)
    assert (summary.days_reported, summary.rations_prepared, summary.served_paying) == (1, 90, 70)


def test_the_second_leader_saving_the_same_day_sees_the_conflict_instead_of_overwriting(world):
    report(world.kitchen, scope=as_scope(world.leader))  # both opened the form on version 1…
    report(world.kitchen, scope=as_scope(world.leader), version=1, served_free=3)  # …the first saves
    with pytest.raises(ReportConflict) as exc:
        report(world.kitchen, scope=as_scope(world.coordinator), version=1, served_free=2)  # the second is refused
    assert "Otra persona guardó" in exc.value.messages[0]
    assert DailyReport.objects.get(kitchen=world.kitchen).served_free == 3


def test_two_new_reports_for_the_same_day_do_not_both_win(world):
    report(world.kitchen, version=0)
    with pytest.raises(ReportConflict):
        report(world.kitchen, version=0, rations_prepared=10, served_paying=10, served_subsidised=0, served_free=0)
    assert DailyReport.objects.count() == 1 and MonthlySummary.objects.get().rations_prepared == 60


def test_a_closed_day_needs_a_reason_and_counts_no_rations(world):
    with pytest.raises(ValidationError) as exc:
        report(world.kitchen, is_closed=True, closed_reason="")
    assert "Indique por qué no se cocinó" in str(exc.value)
    r = report(world.kitchen, is_closed=True, closed_reason="Sin gas")
    assert r.rations_prepared == 0 and r.cash_received == 0
    summary = MonthlySummary.objects.get()
    assert (summary.days_reported, summary.days_cooked, summary.rations_prepared) == (1, 0, 0)


def test_a_future_date_is_refused(world):
    with pytest.raises(ValidationError, match="es futura"):
        report(world.kitchen, TODAY + datetime.timedelta(days=1))
    assert not DailyReport.objects.exists() and not MonthlySummary.objects.exists()


def test_more_served_than_prepared_is_refused(world):
    with pytest.raises(ValidationError, match="no pueden ser más que las preparadas"):
        report(world.kitchen, rations_prepared=10)


def test_absurd_quantities_ask_for_confirmation_and_are_saved_once_confirmed(world):
    with pytest.raises(NeedsConfirmation) as exc:
        report(world.kitchen, rations_prepared=10000, served_paying=10000, served_subsidised=0, served_free=0)
    assert "10000 raciones" in exc.value.messages[0]
    assert not DailyReport.objects.exists()
    r = report(world.kitchen, rations_prepared=10000, served_paying=10000, served_subsidised=0, served_free=0,
               confirm=True)
    assert r.rations_prepared == 10000


def test_a_jump_over_three_times_the_kitchens_usual_asks_for_confirmation(world):
    report(world.kitchen, TODAY - datetime.timedelta(days=1))
    with pytest.raises(NeedsConfirmation) as exc:
        report(world.kitchen, rations_prepared=400, served_paying=400, served_subsidised=0, served_free=0)
    assert "más del triple" in exc.value.messages[0]


def test_a_kitchen_leader_cannot_report_for_another_kitchen(world):
    with pytest.raises(Http404):
        report(world.kitchen_other, scope=Scope.for_user(world.leader))
    with pytest.raises(PermissionDenied):
        report(world.kitchen, scope=Scope.for_user(world.viewer))


def test_a_federation_has_no_daily_report(world):
    with pytest.raises(ValidationError, match="no es una cocina"):
        report(world.ves)


def test_deleting_a_report_takes_it_out_of_the_summary(world):
    r = report(world.kitchen)
    services.delete_daily_report(scope=as_scope(world.leader), report=r)
    summary = MonthlySummary.objects.get()
    assert (summary.days_reported, summary.rations_prepared, summary.cash_received) == (0, 0, 0)


def test_a_save_that_fails_at_its_last_step_leaves_nothing_behind(world, monkeypatch):
    """The whole save is one transaction: a failure while writing the audit entries (after the
    report and its revision) takes back the report, its revision and the month's totals too."""
    from ayni.kitchens.models import DailyReport, DailyReportRevision, MonthlySummary

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "record_columns", broken)
    with pytest.raises(RuntimeError):
        report(world.kitchen, TODAY)
    assert not DailyReport.objects.exists() and not DailyReportRevision.objects.exists()
    assert not MonthlySummary.objects.filter(days_reported__gt=0).exists()
