"""The dashboard and the coordinator's overview: a pinned number of queries, and, above a
federation, only roll-ups and summaries read — never the stock, the deliveries or the reports."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.evidence_helpers import add_activity

pytestmark = pytest.mark.django_db

RAW_TABLES = ("kitchens_dailyreport", "kitchens_stockmovement", "kitchens_stockbalance", "kitchens_deliveryschedule",
              "kitchens_deliveryreceipt", "rolls_rollentry")


@pytest.fixture
def active(world):
    add_activity(world)
    return world


def queries(client, url, params=None, *, drawn=False) -> list[str]:
    client.get(url, params or {})  # the session and the templates, once
    if drawn:
        cache.clear()  # the page drawn afresh, not the one kept (evidence/cache.py)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


# Drawn fresh: one of them is the family-farm panel that economy registers (evidence/panels.py).
# The range's sums are added up from its months' and the active kitchens from the units' counts
# (two queries fewer than before).
@pytest.mark.parametrize(("who", "params", "count"), [
    ("national", {}, 14), ("coordinator", {}, 14), ("national", {"por": "geo", "lugar": "08"}, 15)])
def test_the_dashboard_takes_a_pinned_number_of_queries_and_reads_no_raw_row(active, login, who, params, count):
    sql = queries(login(getattr(active, who)), reverse("evidence:dashboard"), params, drawn=True)
    assert len(sql) == count
    assert not [q for q in sql if any(t in q for t in RAW_TABLES)]


@pytest.mark.parametrize(("who", "params"), [
    ("national", {}), ("coordinator", {}), ("national", {"por": "geo", "lugar": "08"})])
def test_a_dashboard_kept_in_the_cache_reads_only_its_revision(active, login, who, params):
    """The second view of the same figures: the account with its roles (one query), the selection's
    organisation, and the revision of the figures — none of the roll-ups (the session is read
    from the cache)."""
    sql = queries(login(getattr(active, who)), reverse("evidence:dashboard"), params)
    assert len(sql) == 3 + ("lugar" in params)
    assert not [q for q in sql if "rollup" in q or "monthlysummary" in q]


@pytest.mark.parametrize("who", ["national", "coordinator"])
def test_the_overview_takes_a_pinned_number_of_queries(active, login, who):
    sql = queries(login(getattr(active, who)), reverse("kitchens:overview", kwargs={"pk": active.lima.pk}),
                  drawn=True)
    assert len(sql) == 12  # the revision of its cells, read before the figures
    assert not [q for q in sql if any(t in q for t in RAW_TABLES)]


@pytest.mark.parametrize("who", ["national", "coordinator"])
def test_an_overview_kept_in_the_cache_reads_only_its_revision(active, login, who):
    """The second view of the same kitchens' figures (kitchens/kept.py): the account with its
    roles (one query), the organisation, and the revision of its cells (the session is read from the cache)."""
    sql = queries(login(getattr(active, who)), reverse("kitchens:overview", kwargs={"pk": active.lima.pk}))
    assert len(sql) == 3
    assert not [q for q in sql if "rollup" in q or "monthlysummary" in q or "monthclose" in q]


def test_the_overview_and_the_dashboard_give_the_same_figures(active, login):
    from ayni.accounts.scope import Scope
    from ayni.evidence import selectors as evidence
    from ayni.kitchens.forms import MonthRangeForm

    w = active
    first, last = MonthRangeForm().months()
    page = login(w.coordinator).get(reverse("kitchens:overview", kwargs={"pk": w.lima.pk}))
    sel = evidence.Selection(scope=Scope.for_user(w.coordinator), org=w.lima, place=None, first=first, last=last)
    assert page.context["totals"] == evidence.sums(sel)
    assert [(d["municipality"], d["item"], d["late"]) for d in page.context["deliveries"]] == [
        (d["municipality"], d["item"], d["late"]) for d in evidence.deliveries_by_item(sel)]


@pytest.mark.parametrize(("who", "place", "by"), [
    ("national", None, "org"), ("coordinator", None, "org"), ("national", "08", "geo"), ("national", "0801", "geo")])
def test_the_dashboard_adds_up_the_same_totals_as_the_sums_over_the_range(active, who, place, by):
    """The page's totals come from its months' sums and its units' counts: the same figures as
    the one query over the whole range and the count of the active kitchens."""
    from ayni.evidence import selectors
    from tests.evidence_helpers import selection

    sel = selection(getattr(active, who), place=place)
    data = selectors.dashboard(sel, by)
    expected = selectors.totals(sel)
    assert {k: data["totals"][k] for k in expected} == expected
    assert data["totals"]["active_kitchens"] == sel.kitchens().count()
    assert sum(t["rations_served"] for t in data["trend"]) == expected["rations_served"]
