"""The differencing attack on the open data: someone downloads every period, every level and
every published organisation the page allows, and combines the figures (sums, differences, any
linear combination) to recover what suppression left blank. Nothing drawn from fewer than 3
kitchens may come out: not a blank month or place, not one kitchen's month or year, not two
kitchens' together.

The figures are modelled exactly: every published number is the sum of some (kitchen, month)
cells, checked against the number served. A figure can be recovered if and only if its cells
are a linear combination of the published ones, which a matrix rank decides.
"""

import datetime
import itertools
import json

import numpy as np
import pytest
from django.urls import reverse

from ayni.evidence import opendata
from ayni.geo.models import District
from ayni.kitchens.models import DailyReport
from ayni.orgs.services import create_organisation
from tests.conftest import as_scope, kind
from tests.evidence_helpers import publish
from tests.kitchens import TODAY, report
from tests.rolls_helpers import put_on_roll

pytestmark = pytest.mark.django_db


def months_back(n: int) -> datetime.date:
    """The first day of the month n months before the last one that has ended."""
    month = opendata.last_complete_month(TODAY)
    for _ in range(n):
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    return month


def kitchen(w, name, district, parent=None):
    return create_organisation(scope=as_scope(None), kind=kind("comedor-popular"), parent=parent or w.ves, name=name,
                               district=District.objects.get(code=district))


def small_federation(w):
    """Lima's federation with 6 kitchens in three places of very different sizes — 4 in Villa
    El Salvador's district federation, 2 in another — beside Cusco's one kitchen (unpublished),
    and months with 5, 1 and 7 kitchens reporting. Lima, Villa El Salvador and the
    confederation all publish: three nested publishers. Returns the kitchens."""
    ate1, ate2 = kitchen(w, "Comedor Ate 1", "150103"), kitchen(w, "Comedor Ate 2", "150103")
    north = create_organisation(scope=as_scope(None), kind=kind("federacion-distrital"), parent=w.lima,
                                name="Federación Distrital del Norte Chico",
                                district=District.objects.get(code="150201"))
    barranca = kitchen(w, "Comedor Barranca", "150201", parent=north)  # alone in its province
    callao = kitchen(w, "Comedor Callao", "070101", parent=north)  # alone in its department
    lima_province = [w.kitchen, w.olla, ate1, ate2]
    plan = {
        months_back(3): [*lima_province, barranca],
        months_back(2): [w.kitchen],  # one kitchen: a month to keep blank
        months_back(1): [*lima_province, barranca, callao, w.kitchen_other],
        months_back(0): [w.kitchen, w.olla, ate1, callao, w.kitchen_other],
    }
    for month, kitchens in plan.items():
        for i, k in enumerate(kitchens):
            for day in (1, 9 + i):
                report(k, month + datetime.timedelta(days=day - 1), served_paying=10 + 7 * i + day,
                       served_subsidised=3 + i, served_free=i % 3, rations_prepared=200)
    for i, k in enumerate([w.kitchen, w.olla, ate1, ate2, barranca, callao]):
        put_on_roll(k, given_names=f"Persona {i}", paternal_surname="Flores", maternal_surname="Inga",
                    since=months_back(3))
    for i in range(2):
        put_on_roll(w.kitchen_other, given_names=f"Cusqueña {i}", paternal_surname="Mamani", maternal_surname="Huamán",
                    since=months_back(3))
    publish(w.ves)
    publish(w.lima)
    publish(w.confed)
    return [*lima_province, barranca, callao, w.kitchen_other]


def month_list(first: str, last: str) -> list[datetime.date]:
    out, m = [], datetime.date.fromisoformat(first + "-01")
    end = datetime.date.fromisoformat(last + "-01")
    while m <= end:
        out.append(m)
        m = (m + datetime.timedelta(days=32)).replace(day=1)
    return out


def every_allowed_download(client, orgs):
    """Each organisation's JSON for every range of months from five months back to this one
    (as `desde`/`hasta`), every year (`año`), no parameter at all, and both levels."""
    months = [months_back(n) for n in range(4, -1, -1)] + [TODAY.replace(day=1)]
    periods = [{"desde": a.strftime("%Y-%m"), "hasta": b.strftime("%Y-%m")}
               for a, b in itertools.combinations_with_replacement(months, 2)]
    periods += [{"año": str(y)} for y in sorted({m.year for m in months})] + [{}]
    for org in orgs:
        url = reverse("evidence:public_data", args=[org.pk, "json"])
        for period in periods:
            for level in ("departamento", "provincia"):
                yield org, json.loads(client.get(url, {**period, "nivel": level}).content)


class Knowledge:
    """What the public learns, as linear equations over the (kitchen, month) cells."""

    def __init__(self, kitchens):
        self.kitchens = kitchens
        self.rations = {}
        for r in DailyReport.objects.filter(kitchen__in=kitchens):
            key = (r.kitchen_id, r.date.replace(day=1))
            self.rations[key] = self.rations.get(key, 0) + r.rations_served
        self.cells = sorted(self.rations)
        self.rows = []

    def vector(self, kitchens, months) -> np.ndarray:
        ids, months = {k.pk for k in kitchens}, set(months)
        return np.array([1.0 if k in ids and m in months else 0.0 for k, m in self.cells])

    def learn(self, value, kitchens, months):
        if value is None:
            return
        v = self.vector(kitchens, months)
        assert value == sum(self.rations[c] for c, x in zip(self.cells, v, strict=True) if x), "the model is wrong"
        self.rows.append(v)

    def reveals(self, target: np.ndarray) -> bool:
        known = np.array(self.rows)
        return np.linalg.matrix_rank(np.vstack([known, target])) == np.linalg.matrix_rank(known)


def subtree(org, kitchens):
    return [k for k in kitchens if k.path.startswith(org.path)]


def test_no_combination_of_downloads_gives_back_a_blank_or_small_figure(world, client):
    kitchens = small_federation(world)
    model = Knowledge(kitchens)
    counts = []  # the same for the counts of active kitchens: one unknown per kitchen
    for org, data in every_allowed_download(client, [world.ves, world.lima, world.confed]):
        mine = subtree(org, kitchens)
        period = month_list(data["period"]["first_month"], data["period"]["last_month"])
        model.learn(data["totals"]["rations_served"], mine, period)
        for m in data["months"]:
            model.learn(m["rations_served"], mine, [datetime.date.fromisoformat(m["month"] + "-01")])
        for p in data["places"]:
            here = [k for k in mine if k.district_id.startswith(p["code"])]
            model.learn(p["rations_served"], here, period)
            if p["active_kitchens"] is not None:
                counts.append(([k.pk for k in here], p["active_kitchens"]))
        if data["totals"]["active_kitchens"] is not None:
            counts.append(([k.pk for k in mine], data["totals"]["active_kitchens"]))
    assert len(model.rows) > 20  # the attacker does learn a good deal

    # One kitchen's month, one kitchen's months in a year, two kitchens' together.
    years = {m.year for _k, m in model.cells}
    targets = {f"{k.name} {m:%Y-%m}": model.vector([k], [m]) for k in kitchens for m in {m for _k, m in model.cells}}
    for year in years:
        in_year = [m for _k, m in model.cells if m.year == year]
        for group in itertools.chain(itertools.combinations(kitchens, 1), itertools.combinations(kitchens, 2)):
            targets[f"{[k.name for k in group]} {year}"] = model.vector(group, in_year)
        for m in set(in_year):
            for pair in itertools.combinations(kitchens, 2):
                targets[f"{[k.name for k in pair]} {m:%Y-%m}"] = model.vector(pair, [m])
    revealed = [name for name, t in targets.items() if t.any() and model.reveals(t)]
    assert revealed == []

    ids = [k.pk for k in kitchens]
    known = np.array([[1.0 if k in group else 0.0 for k in ids] for group, _n in counts])
    for group in itertools.chain(itertools.combinations(ids, 1), itertools.combinations(ids, 2)):
        t = np.array([1.0 if k in group else 0.0 for k in ids])
        assert np.linalg.matrix_rank(np.vstack([known, t])) > np.linalg.matrix_rank(known), group


def test_any_range_asked_for_is_one_calendar_year_of_ended_months(world, client):
    small_federation(world)
    url = reverse("evidence:public_data", args=[world.lima.pk, "json"])
    month = months_back(2)
    one = json.loads(client.get(url, {"desde": month.strftime("%Y-%m")}).content)
    other = json.loads(client.get(url, {"desde": months_back(1).strftime("%Y-%m")}).content)
    if month.year == months_back(1).year:  # the attack: desde=March minus desde=April
        assert one == other
    for data in (one, other):
        assert data["period"]["first_month"].endswith("-01")
        assert data["period"]["last_month"] <= opendata.last_complete_month(TODAY).strftime("%Y-%m")
        assert TODAY.strftime("%Y-%m") not in [m["month"] for m in data["months"]]
    latest = json.loads(client.get(url, {"año": str(TODAY.year + 5)}).content)
    assert latest["period"]["year"] == opendata.last_complete_month(TODAY).year


def test_the_blank_month_takes_a_second_one_with_it(world, client):
    small_federation(world)
    year = months_back(2).year
    data = json.loads(client.get(reverse("evidence:public_data", args=[world.ves.pk, "json"]),
                                 {"año": year}).content)
    months = {m["month"]: m["rations_served"] for m in data["months"]}
    assert data["totals"]["rations_served"] is not None  # 4 kitchens reported in the year
    assert months[months_back(2).strftime("%Y-%m")] is None  # one kitchen
    # The year minus the other months would be that kitchen's month: one more goes blank.
    in_year = [months_back(n).strftime("%Y-%m") for n in (3, 1, 0) if months_back(n).year == year]
    blank = [m for m in in_year if months[m] is None]
    assert len(blank) == 1  # one more, the smallest, and no other


def test_an_organisation_does_not_give_away_the_small_rest_beside_a_publisher_inside_it(world, client):
    small_federation(world)
    year = months_back(1).year

    def totals(org):
        url = reverse("evidence:public_data", args=[org.pk, "json"])
        return json.loads(client.get(url, {"año": year}).content)["totals"]

    ves, lima, confed = totals(world.ves), totals(world.lima), totals(world.confed)
    # Lima minus Villa El Salvador would be the Norte Chico's 2 kitchens; and what Lima leaves
    # blank, the confederation around it leaves blank too (else it minus Cusco's would be Lima's).
    assert ves["rations_served"] is not None and ves["active_kitchens"] == 4
    assert lima["rations_served"] is None and lima["active_kitchens"] is None
    assert confed["rations_served"] is None and confed["active_kitchens"] is None
    # 4 people in Villa El Salvador: too few, and so blank around it as well.
    assert ves["people_fed"] is None and lima["people_fed"] is None and confed["people_fed"] is None


def test_the_map_blanks_what_the_table_blanks(world):
    small_federation(world)
    year = months_back(1).year
    for level in ("departamento", "provincia"):
        data = opendata.public_figures(world.lima, year, level, today=TODAY)
        _need, coverage = opendata.coverage_map(world.lima, level, data)
        for p in data["places"]:
            assert (coverage.values.get(p["code"]) is None) == (p["active_kitchens"] is None)
        assert any(p["active_kitchens"] is None for p in data["places"])
