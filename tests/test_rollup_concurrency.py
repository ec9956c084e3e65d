"""Real concurrent writers on one roll-up row, on PostgreSQL (SQLite has one writer at a time):
kitchens of one federation and district saving their first reports of a month at once all
create or add to the same `MonthlyRollup` and `ReportingGap` rows, and one kitchen saving in
two months at once links both into its chain of reporting months. Nothing is lost."""

import datetime

import pytest
from django.db import connection

from ayni.kitchens.integrity import violations
from ayni.kitchens.models import MonthlyRollup
from ayni.orgs.services import create_organisation
from tests.conftest import as_scope, build_world, kind
from tests.kitchens import TODAY, report
from tests.test_kitchens_concurrency import run_at_once

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers are tested on PostgreSQL"),
]


def test_kitchens_of_one_district_saving_at_once_lose_nothing_in_the_rollup():
    w = build_world()
    kitchens = [w.kitchen, w.olla] + [
        create_organisation(scope=as_scope(None), kind=kind("comedor-popular"), parent=w.ves, name=f"Comedor {i}",
                            district=w.kitchen.district) for i in range(4)]
    this_month = TODAY.replace(day=1)
    last_month = (this_month - datetime.timedelta(days=1)).replace(day=1)
    calls = []
    for k in kitchens:
        # Each kitchen in two months at once: both months enter its chain together.
        calls.append(lambda k=k: report(k, this_month, version=0, served_free=k.pk % 7))
        calls.append(lambda k=k: report(k, last_month + datetime.timedelta(days=2), version=0))
    results = run_at_once(*calls)
    assert all(outcome == "ok" for outcome, _value in results), results
    assert violations() == []
    row = MonthlyRollup.objects.get(path=w.lima.path, district=w.kitchen.district_id, month=this_month)
    assert (row.kitchens_reporting, row.days_reported) == (len(kitchens), len(kitchens))
