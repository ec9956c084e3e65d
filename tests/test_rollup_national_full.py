"""`ayni demo --scale national-full` writes its years of reports in SQL: the same generator,
run here on the test world for a few months, leaves reports, summaries and roll-ups that agree
(check-integrity) and dashboards that equal the reports summed from scratch."""

import datetime

import pytest

from ayni.accounts.scope import Scope
from ayni.demo import national_full
from ayni.demo.plan import SCALES
from ayni.evidence import selectors
from ayni.kitchens import integrity
from ayni.kitchens.models import DailyReport, DeliverySchedule, MonthlyRollup, MonthlySummary
from ayni.orgs.models import Organisation
from tests.conftest import as_scope
from tests.evidence_helpers import raw_totals
from tests.kitchens import TODAY

pytestmark = pytest.mark.django_db


def test_the_sql_history_is_consistent_and_the_dashboard_equals_the_reports(world):
    first = national_full.first_month(TODAY, 3)
    inactive = Organisation.objects.filter(pk=world.kitchen_other.pk)
    inactive.update(status=Organisation.Status.INACTIVE)  # closed kitchens get no reports
    written = national_full.write_reports(world.confed.path, first, TODAY)
    assert written["days"] == (TODAY - first).days + 1
    assert written["daily_reports"] == DailyReport.objects.count() > 0
    assert not DailyReport.objects.filter(kitchen=world.kitchen_other).exists()
    assert set(DailyReport.objects.values_list("kitchen_id", flat=True)) == {world.kitchen.pk, world.olla.pk}
    # About one day in eleven has no report.
    assert 0.85 < written["daily_reports"] / (2 * written["days"]) < 0.95
    assert DailyReport.objects.filter(date__lt=first).count() == 0
    assert written["monthly_summaries"] == MonthlySummary.objects.count() == 2 * 3
    assert MonthlyRollup.objects.exists()
    assert integrity.violations() == []

    sel = selectors.Selection(scope=Scope.for_user(world.national), org=world.confed, place=None, first=first,
                              last=TODAY.replace(day=1))
    data = selectors.dashboard(sel)
    raw = raw_totals([world.kitchen, world.olla], first, TODAY)
    for f in ("days_reported", "served_paying", "served_subsidised", "served_free", "rations_served"):
        assert data["totals"][f] == raw[f], f
    assert {t["month"]: t["rations_served"] for t in data["trend"]} == raw["by_month"]

    # Deliveries start with the reports, not before: every month with food has its summary row.
    written = national_full.write_deliveries(world.confed.path, first, TODAY)
    assert DeliverySchedule.objects.filter(due_on__lt=first).count() == 0 < written["delivery_schedules"]
    assert integrity.violations() == []


def test_the_generator_refuses_what_is_not_a_path(world):
    with pytest.raises(ValueError):
        national_full.write_reports("x' OR 1=1 --", datetime.date(2026, 1, 1), TODAY)


def test_the_national_full_scale_is_the_national_plan_at_full_size():
    full, national = SCALES["national-full"], SCALES["national"]
    assert full.sql_history and not national.sql_history
    assert full.federations == national.federations
    assert full.base_organisations > 3 * national.base_organisations


def test_check_integrity_names_a_roll_up_that_drifted_from_its_kitchens(world):
    from io import StringIO

    from django.core.management import CommandError, call_command
    from django.db.models import F

    from ayni.audit.services import record

    national_full.write_reports(world.confed.path, national_full.first_month(TODAY, 2), TODAY)
    # As `ayni demo` does: the bulk rows are covered by one audit entry written after them.
    record(scope=as_scope(None), action="demo.generate", obj=world.confed, org_path=world.confed.path)
    call_command("check-integrity", stdout=StringIO(), stderr=StringIO())
    MonthlyRollup.objects.filter(pk=MonthlyRollup.objects.first().pk).update(served_free=F("served_free") + 1)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command("check-integrity", stdout=out, stderr=err)
    assert "monthly roll-ups: 1 violation(s)" in out.getvalue()
    assert "roll-up of" in err.getvalue() and "served_free" in err.getvalue()


def test_the_sql_deliveries_and_store_agree_with_the_ledger_and_the_old_walk(world):
    from io import StringIO

    from django.core.management import call_command
    from django.db.models import Sum

    from ayni.audit.services import record
    from ayni.kitchens.models import DeliveryReceipt, StockBalance, StockMovement
    from tests.test_kitchens_deliveries import walked_in_python

    national_full.write_reports(world.confed.path, national_full.first_month(TODAY, 14), TODAY)
    written = national_full.write_deliveries(world.confed.path, national_full.first_month(TODAY, 14), TODAY)
    record(scope=as_scope(None), action="demo.generate", obj=world.confed, org_path=world.confed.path)
    kitchens = 3  # the world's active kitchens, each promised the 4 items of the basket every month
    months = national_full.DELIVERY_MONTHS - (TODAY.day < national_full.DUE_DAY)
    assert written["delivery_schedules"] == DeliverySchedule.objects.count() == kitchens * 4 * months
    assert written["delivery_receipts"] == DeliveryReceipt.objects.count() < written["delivery_schedules"]
    assert written["stock_movements"] == StockMovement.objects.count() > written["delivery_receipts"]
    assert StockBalance.objects.count() == kitchens * 4
    assert integrity.violations() == []
    call_command("check-integrity", stdout=StringIO(), stderr=StringIO())
    state_value = StockMovement.objects.filter(kind="state").aggregate(v=Sum("value"))["v"]
    assert MonthlySummary.objects.aggregate(v=Sum("state_food_value"))["v"] == state_value > 0

    first = national_full.first_month(TODAY, national_full.DELIVERY_MONTHS)
    want = walked_in_python(DeliverySchedule.objects.all(), TODAY)
    assert sum(g["late"] for g in want.values()) and sum(g["short"] for g in want.values())
    assert sum(g["pending"] for g in want.values())
    sel = selectors.Selection(scope=Scope.for_user(world.national), org=world.confed, place=None, first=first,
                              last=TODAY.replace(day=1))
    rows = selectors.deliveries_by_item(sel)
    assert {(r["municipality"].code, r["item"].code): {k: r[k] for k in want[next(iter(want))]} for r in rows} == want
    dashboard = {d["code"]: d["late"] for d in selectors.dashboard(sel)["deliveries"]}
    assert sum(dashboard.values()) == sum(g["late"] for g in want.values())


def test_the_delivery_generator_refuses_what_is_not_a_path(world):
    with pytest.raises(ValueError):
        national_full.write_deliveries("x' OR 1=1 --", datetime.date(2026, 1, 1), TODAY)
