"""Dashboards: the figures equal a from-scratch computation, scopes hold, queries stay flat."""

import pytest
from django.urls import reverse

from ayni.evidence import selectors
from ayni.kitchens.models import DailyReport
from tests.conftest import as_scope
from tests.evidence_helpers import FIRST, LAST, add_activity, raw_totals, selection
from tests.kitchens import TODAY

pytestmark = pytest.mark.django_db

@pytest.fixture
def active(world):
    add_activity(world)
    return world


def test_national_totals_equal_the_daily_reports_summed_from_scratch(active):
    w = active
    data = selectors.dashboard(selection(w.national, w.confed))
    raw = raw_totals([w.kitchen, w.olla, w.kitchen_other], FIRST, TODAY)
    t = data["totals"]
    for f in ("days_reported", "served_paying", "served_subsidised", "served_free", "rations_served"):
        assert t[f] == raw[f], f
    assert t["free_pct"] == round(raw["served_free"] * 100 / raw["rations_served"], 1)
    assert t["active_kitchens"] == 3 and t["kitchens_reporting"] == 3
    trend = {row["month"]: row["rations_served"] for row in data["trend"]}
    assert {m: v for m, v in trend.items() if v} == raw["by_month"]
    assert len(data["trend"]) == len(selectors.months_between(FIRST, LAST))


def test_completeness_counts_the_days_each_active_kitchen_owed(active):
    w = active
    sel = selection(w.national, w.confed)
    t = selectors.dashboard(sel)["totals"]
    owed = 3 * sel.days_due
    assert t["days_due"] == owed
    assert t["completeness_pct"] == round(DailyReport.objects.count() * 100 / owed, 1)


def test_people_fed_counts_a_woman_on_two_rolls_once(active):
    w = active
    assert selectors.people_fed(selection(w.national, w.confed)) == 3
    assert selectors.people_fed(selection(w.coordinator, w.lima)) == 2


def test_people_fed_in_a_place_counts_its_kitchens_rolls_within_scope(active):
    # A place is reached through its kitchens first (the other query shape): same figures.
    w = active
    assert selectors.people_fed(selection(w.national, w.confed, "15")) == 2
    assert selectors.people_fed(selection(w.national, None, "08")) == 1
    assert selectors.people_fed(selection(w.coordinator, None, "15")) == 2
    assert selectors.people_fed(selection(w.coordinator, None, "08")) == 0
    assert selectors.roll_reach(selection(w.national, w.confed, "15")) == {"people": 2, "kitchens": 2}


def test_sub_units_are_the_organisations_children_with_their_own_figures(active):
    w = active
    units = {u.name: u for u in selectors.subunits(selection(w.national, w.confed))}
    assert set(units) == {w.lima.name, w.cusco.name}
    lima = raw_totals([w.kitchen, w.olla], FIRST, TODAY)
    assert units[w.lima.name].figures["rations_served"] == lima["rations_served"]
    assert units[w.lima.name].active_kitchens == 2


def test_sub_units_by_geography_go_one_level_down(active):
    w = active
    units = {u.key: u for u in selectors.subunits(selection(w.national, w.confed), by="geo")}
    assert set(units) == {"15", "08"}
    units = {u.key: u for u in selectors.subunits(selection(w.national, w.confed, place="15"), by="geo")}
    assert set(units) == {"1501"}
    units = {u.key: u for u in selectors.subunits(selection(w.national, None, place="1501"), by="geo")}
    assert set(units) == {"150142"}


def test_a_place_selects_the_kitchens_in_it(active):
    w = active
    lima_dept = selectors.totals(selection(w.national, w.confed, place="15"))
    assert lima_dept["rations_served"] == raw_totals([w.kitchen, w.olla], FIRST, TODAY)["rations_served"]
    cusco = selectors.totals(selection(w.national, None, place="080108"))
    assert cusco["rations_served"] == raw_totals([w.kitchen_other], FIRST, TODAY)["rations_served"]


def test_coordinator_dashboard_never_includes_another_province(active):
    w = active
    mine = selectors.totals(selection(w.coordinator))
    assert mine["rations_served"] == raw_totals([w.kitchen, w.olla], FIRST, TODAY)["rations_served"]
    # Asking for Cusco's geography gives her own kitchens there: none.
    other = selectors.dashboard(selection(w.coordinator, place="08"))
    assert other["totals"]["rations_served"] == 0 and other["totals"]["active_kitchens"] == 0
    assert other["people_fed"] == 0 and other["deliveries"] == [] and other["subunits"] == []


def test_coordinator_cannot_open_another_province_by_its_id(active, login):
    w = active
    client = login(w.coordinator)
    assert client.get(reverse("evidence:dashboard"), {"org": w.cusco.pk}).status_code == 404
    page = client.get(reverse("evidence:dashboard"), {"lugar": "08"}).content.decode()
    assert w.kitchen_other.name not in page
    page = client.get(reverse("evidence:kitchens"), {"lugar": "08"}).content.decode()
    assert w.kitchen_other.name not in page


def test_a_viewer_sees_aggregates_and_never_a_name(active, login):
    w = active
    client = login(w.viewer)
    for url in (reverse("evidence:dashboard"), reverse("evidence:kitchens"),
                reverse("evidence:export", args=["cocinas", "csv"])):
        response = client.get(url)
        assert response.status_code == 200
        body = response.content.decode("utf-8-sig")
        for name in ("Condori", "Ramos", "Mamani", "Quispe", "10293847"):
            assert name not in body


def test_food_alerts_and_late_deliveries(active):
    w = active
    data = selectors.dashboard(selection(w.national, w.confed))
    assert [a["pk"] for a in data["alerts"]] == [w.kitchen.pk]
    assert str(data["alerts"][0]["days_left"]) == "1.6"
    by_code = {d["code"]: d for d in data["deliveries"]}
    ves = by_code[w.kitchen.district_id]
    assert (ves["deliveries"], ves["late"], ves["short"], ves["pending"]) == (1, 1, 1, 0)
    assert ves["average_days_late"] == 5
    santiago = by_code[w.kitchen_other.district_id]
    assert (santiago["late"], santiago["pending"], santiago["average_days_late"]) == (1, 1, 5)


def test_cost_and_subsidy_per_ration(active):
    w = active
    sel = selection(w.national, w.kitchen)
    t = selectors.totals(sel)
    served = raw_totals([w.kitchen], FIRST, TODAY)["rations_served"]
    assert str(t["subsidy_per_ration"]) == f"{300 / served:.2f}"
    assert t["gap_per_ration"] == t["cost_per_ration"] - t["subsidy_per_ration"]


def test_every_figure_links_to_the_list_behind_it(active, login):
    w = active
    page = login(w.national).get(reverse("evidence:dashboard")).content.decode()
    for view in selectors.KITCHEN_LISTS[1:]:
        assert f"ver={view}" in page
    listing = login(w.coordinator).get(reverse("evidence:kitchens"), {"ver": "alertas"}).content.decode()
    assert w.kitchen.name in listing and w.olla.name not in listing
    listing = login(w.coordinator).get(reverse("evidence:kitchens")).content.decode()
    assert w.kitchen.name in listing and w.olla.name in listing and w.kitchen_other.name not in listing


def test_the_dashboard_page_makes_a_fixed_number_of_queries(active, login, django_assert_max_num_queries):
    from ayni.orgs.services import create_organisation
    from tests.conftest import kind
    from tests.kitchens import days_ago, report

    w = active
    client = login(w.national)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("evidence:dashboard")).status_code == 200
    # Ten more kitchens with reports: the same number of queries.
    for i in range(10):
        k = create_organisation(scope=as_scope(None), kind=kind("comedor-popular"), parent=w.santiago,
                                name=f"Comedor {i}", district=w.kitchen_other.district)
        report(k, days_ago(i))
    with django_assert_max_num_queries(20):
        assert client.get(reverse("evidence:dashboard")).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(reverse("evidence:dashboard"), {"por": "geo", "lugar": "08"}).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(reverse("evidence:kitchens"), {"ver": "alertas"}).status_code == 200


def test_the_dashboard_never_reads_the_daily_reports(active, login, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(active.national)
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("evidence:dashboard"))
    assert ctx.captured_queries
    assert not [q for q in ctx.captured_queries if "kitchens_dailyreport" in q["sql"]]


def test_exports_hold_the_same_rows_as_csv_and_xlsx(active, login):
    import io

    from openpyxl import load_workbook

    w = active
    client = login(w.national)
    for table in ("unidades", "meses", "entregas", "cocinas", "alertas"):
        csv_body = client.get(reverse("evidence:export", args=[table, "csv"])).content.decode("utf-8-sig")
        xlsx = client.get(reverse("evidence:export", args=[table, "xlsx"]))
        assert xlsx["Content-Type"].startswith("application/vnd.openxml")
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        assert sheet.max_row == len(csv_body.strip().splitlines())
    body = client.get(reverse("evidence:export", args=["unidades", "csv"])).content.decode("utf-8-sig")
    assert w.lima.name in body and w.cusco.name in body
    assert client.get(reverse("evidence:export", args=["nada", "csv"])).status_code == 404
