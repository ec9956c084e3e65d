"""`ayni demo --scale small` writes a year of kitchen operations that pass every invariant,
with the alerts a coordinator should see."""

from io import StringIO

import pytest
from django.core.management import call_command

from ayni.accounts.models import User
from ayni.accounts.scope import Scope
from ayni.kitchens import selectors
from ayni.kitchens.models import DailyReport, DeliveryReceipt, MonthClose, StockMovement

pytestmark = pytest.mark.django_db


def test_the_small_demo_has_a_year_of_operations_and_passes_check_integrity():
    call_command("demo", scale="small", stdout=StringIO(), stderr=StringIO())
    assert DailyReport.objects.count() > 10000 and StockMovement.objects.count() > 10000
    assert DeliveryReceipt.objects.exists()
    assert MonthClose.objects.filter(status="validated").exists() and MonthClose.objects.filter(status="closed")
    out = StringIO()
    call_command("check-integrity", stdout=out, stderr=StringIO())  # raises (exit 1) on any violation
    assert "integrity ok" in out.getvalue()
    alerts = selectors.kitchen_alerts(Scope.for_user(User.objects.get(username="nacional")))
    ranks = {p.rank for line in alerts["needing"] for p in line.problems}
    assert alerts["needing_count"] >= len(alerts["needing"]) > 0
    assert {selectors.OUT_OF_STAPLE, selectors.SILENT, selectors.TO_VALIDATE} <= ranks
