"""The roll-up above the kitchen (`MonthlyRollup`, one row per provincial federation, district and
month): kept by the same saves as the summaries, moved with a subtree or a district, read by the
national and federation dashboards — which then give the same figures as the kitchens' own
summaries, in a fixed number of queries that touch the per-kitchen rows once."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ayni.accounts.models import Role
from ayni.accounts.scope import Scope
from ayni.evidence import selectors
from ayni.geo.models import District
from ayni.kitchens import integrity
from ayni.kitchens.models import MonthlyRollup
from ayni.orgs.services import move_organisation, update_organisation
from tests.conftest import as_scope, make_user
from tests.evidence_helpers import add_activity, selection
from tests.kitchens import TODAY, days_ago, report

pytestmark = pytest.mark.django_db

@pytest.fixture
def active(world):
    add_activity(world)
    return world


class PerKitchen(selectors.Selection):
    """The same selection forced to read the kitchens' summaries: the reference."""

    @property
    def uses_rollup(self) -> bool:
        return False


def per_kitchen(sel):
    return PerKitchen(scope=sel.scope, org=sel.org, place=sel.place, first=sel.first, last=sel.last)


def figures(sel, by="org"):
    data = selectors.dashboard(sel, by)
    units = [(u.key, u.active_kitchens, u.figures) for u in data["subunits"]]
    return data["totals"], data["trend"], units


@pytest.mark.parametrize(("who", "org", "place", "by"), [
    ("national", None, None, "org"), ("national", "confed", None, "org"), ("national", None, "15", "geo"),
    ("national", None, "1501", "geo"), ("national", None, "150142", "geo"), ("coordinator", "lima", None, "org"),
    ("coordinator", None, None, "geo"), ("platform", None, "08", "geo"), ("viewer", None, None, "org"),
])
def test_the_rollup_gives_the_figures_of_the_kitchens_summaries(active, who, org, place, by):
    w = active
    sel = selection(getattr(w, who), getattr(w, org) if org else None, place)
    assert sel.uses_rollup
    assert figures(sel, by) == figures(per_kitchen(sel), by)


def test_selections_below_a_federation_read_the_kitchens_summaries(active):
    w = active
    district_coordinator = make_user("dora", Role.COORDINATOR, w.ves)
    assert not selection(district_coordinator).uses_rollup
    assert not selection(w.leader).uses_rollup
    assert not selection(w.national, org=w.ves).uses_rollup
    assert selection(w.national, org=w.lima).uses_rollup
    totals = selectors.totals(selection(district_coordinator))
    assert totals["kitchens_reporting"] == 2  # the kitchen and the olla, not Cusco's


def test_the_rollup_follows_a_moved_kitchen_and_a_new_district(active):
    w = active
    lima_before = selectors.totals(selection(w.national, org=w.lima))
    kitchen_totals = selectors.totals(selection(w.leader))
    move_organisation(scope=as_scope(None), organisation=w.kitchen, new_parent=w.santiago)
    assert integrity.rollup_violations() == []
    lima_after = selectors.totals(selection(w.national, org=w.lima))
    assert lima_after["rations_served"] == lima_before["rations_served"] - kitchen_totals["rations_served"]
    cusco = selectors.totals(selection(w.national, org=w.cusco))
    assert cusco["kitchens_reporting"] == 2
    w.kitchen.refresh_from_db()
    update_organisation(scope=as_scope(None), organisation=w.kitchen, district=District.objects.get(code="150143"))
    assert integrity.rollup_violations() == []
    in_vmt = selectors.totals(selection(w.national, place="150143"))
    assert in_vmt["rations_served"] == kitchen_totals["rations_served"]
    # The month's kitchen count follows the first and the last report of a kitchen.
    w.kitchen.refresh_from_db()
    report(w.kitchen, TODAY)
    assert integrity.rollup_violations() == []


def test_check_integrity_names_a_rollup_row_that_drifted(active):
    row = MonthlyRollup.objects.filter(district="150142").order_by("month").first()
    MonthlyRollup.objects.filter(pk=row.pk).update(served_free=row.served_free + 1)
    problems = integrity.rollup_violations()
    assert len(problems) == 1
    assert "150142" in problems[0] and "served_free" in problems[0]
    assert problems[0] in integrity.violations()


def test_the_national_dashboard_reads_per_kitchen_rows_once_in_a_fixed_number_of_queries(
        active, login, django_assert_max_num_queries):
    from ayni.orgs.services import create_organisation
    from tests.conftest import kind

    w = active
    client = login(w.national)

    def per_kitchen_reads(params):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("evidence:dashboard"), params).status_code == 200
        return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries
                                           if "kitchens_monthlysummary" in q["sql"]]

    before, reads = per_kitchen_reads({})
    assert reads == []
    for i in range(12):
        k = create_organisation(scope=as_scope(None), kind=kind("comedor-popular"), parent=w.santiago,
                                name=f"Comedor {i}",
                                district=w.kitchen_other.district)
        report(k, days_ago(i))
    after, reads = per_kitchen_reads({})
    assert after == before and reads == []
    in_place, reads = per_kitchen_reads({"lugar": "08", "por": "geo"})
    assert reads == [] and in_place <= before + 1


def test_kitchens_that_reported_in_any_range_count_each_kitchen_once_across_gaps(world):
    """A kitchen that reported three and one months ago, not two: every range of months gives
    the same count from the roll-up as from the kitchens' own rows."""
    from tests.kitchens import report as save_report

    w = world
    this = TODAY.replace(day=1)
    months = [this]
    for _i in range(4):
        months.insert(0, (months[0] - datetime.timedelta(days=1)).replace(day=1))
    save_report(w.kitchen, months[1] + datetime.timedelta(days=3))
    save_report(w.kitchen, months[3] + datetime.timedelta(days=5))
    save_report(w.kitchen, months[3] + datetime.timedelta(days=6))
    save_report(w.olla, months[2] + datetime.timedelta(days=1))
    save_report(w.kitchen_other, months[0] + datetime.timedelta(days=9))
    save_report(w.kitchen_other, months[4])
    # The olla's only report goes away again: its month leaves the chain.
    from ayni.kitchens.models import DailyReport
    from ayni.kitchens.services import delete_daily_report

    delete_daily_report(scope=as_scope(None), report=DailyReport.objects.get(kitchen=w.olla))
    assert integrity.gap_violations() == []
    scope = Scope.for_user(w.national)
    for i, first in enumerate(months):
        for last in months[i:]:
            for place in (None, "15", "08", "150142"):
                sel = selectors.Selection(scope=scope, org=None, place=selectors.get_place(place) if place else None,
                                          first=first, last=last)
                assert sel.uses_rollup
                assert selectors.kitchens_reporting(sel) == selectors.kitchens_reporting(per_kitchen(sel)), \
                    (first, last, place)
    everything = selectors.Selection(scope=scope, org=None, place=None, first=months[0], last=months[-1])
    assert selectors.kitchens_reporting(everything) == 2
