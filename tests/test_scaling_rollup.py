"""The sharding plan of docs/scaling.md, simulated: with the daily reports distributed by federation
(Citus, distribution column = the federation), each shard computes the month of its own
federations only, and the coordinator merges. The merged roll-up must equal the national one
computed at once, from the raw reports and from the kept roll-up (MonthlyRollup). Counts and
sums merge by adding (a kitchen belongs to one federation, so kitchens reporting add up too); an
average merges from its sum and count, never by averaging the shards' averages."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Count, Q, Sum

from ayni.kitchens.models import DailyReport, MonthlyRollup, MonthlySummary
from ayni.orgs.models import Organisation
from tests.conftest import as_scope
from tests.kitchens import TODAY, report

pytestmark = pytest.mark.django_db
FIELDS = ("rations_prepared", "served_paying", "served_subsidised", "served_free", "cash_received")


def _month_days(n: int) -> list[datetime.date]:
    first = TODAY.replace(day=1)
    return [first + datetime.timedelta(days=i) for i in range(min(n, (TODAY - first).days + 1))]


def _shard_month(federation: Organisation, month: datetime.date) -> dict:
    """What the shard holding this federation computes: its kitchens' reports of the month only."""
    rows = DailyReport.objects.filter(kitchen__path__startswith=federation.path, date__gte=month,
                                      date__lt=(month + datetime.timedelta(days=32)).replace(day=1))
    totals = rows.aggregate(days=Count("id"), cooked=Count("id", filter=Q(is_closed=False)),
                            kitchens=Count("kitchen", distinct=True), **{f: Sum(f) for f in FIELDS})
    return {k: v or 0 for k, v in totals.items()}


def test_the_month_computed_per_federation_and_merged_equals_the_national_month(world):
    leader = as_scope(world.leader)
    for i, day in enumerate(_month_days(6)):  # Lima's kitchens: two, with different days
        report(world.kitchen, day, scope=leader, rations_prepared=60 + i, served_paying=40 + i)
        if i % 2 == 0:
            report(world.olla, day, scope=as_scope(None), rations_prepared=200, served_paying=150, served_free=30,
                   cash_received=Decimal("412.50"))
    for day in _month_days(2):  # Cusco's one kitchen, fewer days and bigger
        report(world.kitchen_other, day, scope=as_scope(world.leader_other), rations_prepared=300, served_paying=280)
    month = TODAY.replace(day=1)
    federations = list(Organisation.objects.filter(parent=world.confed))
    assert {f.pk for f in federations} == {world.lima.pk, world.cusco.pk}

    shards = [_shard_month(f, month) for f in federations]
    merged = {key: sum(shard[key] for shard in shards) for key in shards[0]}

    national = _shard_month(world.confed, month)
    assert merged == national and merged["kitchens"] == 3 and merged["days"] > 0
    # The kept roll-up (one row per federation and district) sums to the same national month.
    rollup = MonthlyRollup.objects.filter(path__startswith=world.confed.path, month=month).aggregate(
        kitchens=Sum("kitchens_reporting"), days=Sum("days_reported"), **{f: Sum(f) for f in FIELDS})
    keys = ("kitchens", "days", *FIELDS)
    assert {k: rollup[k] for k in keys} == {k: merged[k] for k in keys}
    summaries = MonthlySummary.objects.filter(month=month).aggregate(n=Sum("rations_prepared"))
    assert summaries["n"] == merged["rations_prepared"]

    # Rations per cooked day: merged from the shards' sums and counts it is the national figure;
    # the mean of the shards' means (what a naive merge would do) is not.
    per_day = Decimal(merged["rations_prepared"]) / merged["cooked"]
    assert per_day == Decimal(national["rations_prepared"]) / national["cooked"]
    mean_of_means = sum(Decimal(s["rations_prepared"]) / s["cooked"] for s in shards) / len(shards)
    assert mean_of_means != per_day
