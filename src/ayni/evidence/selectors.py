"""Scoped reads for the evidence pages: dashboards by organisation subtree and by geography.

Every figure is read from summaries kept incrementally, never from the daily reports. When the
selection's paths are all a federation or above (the national board, a provincial coordinator,
the platform), sums come from the roll-up (`kitchens.MonthlyRollup`: one row per provincial
federation, district and month, a few thousand rows for the whole country and a year), and
how many distinct kitchens reported in the range from `kitchens.ReportingGap` beside it;
deeper selections read the kitchens' own monthly summaries (`kitchens.MonthlySummary`), which
for a district federation are a few thousand rows too. A dashboard is a fixed number of
grouped queries whatever the size of the subtree, which the tests pin.

The user's scope is applied here, once, to every query (`Scope.q` on the summary's `path`), so
a coordinator asking for another department's geography gets her own kitchens in it, if any,
and nothing else.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Length, Substr
from django.utils import timezone

from ayni.accounts.scope import Can, Scope
from ayni.geo.models import Department, District, Province
from ayni.kitchens import deliveries as delivery_rollup
from ayni.kitchens import food_alerts as food_alert_rows
from ayni.kitchens.models import (
    SUMMARY_FIELDS,
    DeliveryRollup,
    DeliverySchedule,
    FoodAlert,
    FoodItem,
    MonthlyRollup,
    MonthlySummary,
    ReportingGap,
    month_end,
)
from ayni.kitchens.selectors import with_ratios
from ayni.kitchens.summaries import ROLLUP_PATH_LENGTH
from ayni.orgs.models import PATH_STEP, Organisation
from ayni.rolls.counts import in_range
from ayni.rolls.models import RepeatedPersonEntry, RollEntry, RollFlow

# Geography codes are INEI UBIGEO: 2 digits a department, 4 a province, 6 a district.
PLACE_LEVELS = {2: Department, 4: Province, 6: District}
NEXT_LEVEL = {0: 2, 2: 4, 4: 6, 6: 6}


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    out, m = [], first.replace(day=1)
    while m <= last:
        out.append(m)
        m = (m + datetime.timedelta(days=32)).replace(day=1)
    return out


def days_due(month: datetime.date, today: datetime.date) -> int:
    """Days of the month a kitchen could have reported by today (0 for a future month)."""
    if month > today:
        return 0
    return (min(month_end(month), today) - month).days + 1


def pct(part, whole) -> float | None:
    if not whole:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def get_place(code: str):
    """The department, province or district with this UBIGEO code, or None."""
    model = PLACE_LEVELS.get(len(code or ""))
    if model is None or not code.isdigit():
        return None
    return model.objects.filter(code=code).first()


@dataclass(frozen=True)
class Selection:
    """What a dashboard covers: the kitchens the user may see, under `org` (a subtree) if given,
    in `place` (a department, province or district) if given, for the months first..last."""

    scope: Scope
    org: Organisation | None
    place: object | None
    first: datetime.date
    last: datetime.date
    today: datetime.date = field(default_factory=timezone.localdate)

    @property
    def place_code(self) -> str:
        return self.place.code if self.place is not None else ""

    @property
    def months(self) -> list[datetime.date]:
        return months_between(self.first, self.last)

    @property
    def days_due(self) -> int:
        """Report-days one kitchen owes over the whole range."""
        return sum(days_due(m, self.today) for m in self.months)

    def on_path(self, prefix: str = "") -> Q:
        """The filter on `<prefix>path` (scope and subtree)."""
        q = self.scope.q(Can.VIEW, prefix=prefix)
        if self.org is not None:
            q &= Q(**{f"{prefix}path__startswith": self.org.path})
        return q

    def on_kitchen(self, prefix: str) -> Q:
        """The filter on a row whose kitchen is reached through `<prefix>` (e.g. "kitchen__")."""
        q = self.on_path(prefix)
        if self.place is not None:
            q &= Q(**{f"{prefix}district__code__startswith": self.place.code})
        return q

    def summaries(self) -> QuerySet[MonthlySummary]:
        """The kitchens' own monthly summaries, reached through the selection's kitchens and the
        (kitchen, month) index: SQLite cannot range-scan a LIKE prefix, so a filter on the
        summary's own path read the whole table (70 ms a query on the national demo, for a
        district federation of a few dozen kitchens). A summary's path is its kitchen's."""
        kitchens = Organisation.objects.filter(self.on_kitchen("")).values("pk")
        return MonthlySummary.objects.filter(kitchen_id__in=kitchens, month__gte=self.first, month__lte=self.last)

    @property
    def uses_rollup(self) -> bool:
        """Whether every path the selection filters on is a whole subtree no deeper than a
        roll-up row's path, so that the roll-up rows under it are exactly its kitchens."""
        if self.org is not None and len(self.org.path) > ROLLUP_PATH_LENGTH:
            return False
        if self.scope.is_platform_admin:
            return True
        return all(subtree and len(path) <= ROLLUP_PATH_LENGTH for path, subtree in self.scope.reach(Can.VIEW))

    def figures(self) -> QuerySet:
        """The rows whose sums are the selection's figures: roll-up rows when they can answer,
        the kitchens' summaries otherwise. Both have the summary fields and a `path`."""
        if not self.uses_rollup:
            return self.summaries()
        qs = MonthlyRollup.objects.filter(self.on_path(), month__gte=self.first, month__lte=self.last)
        if self.place is not None:
            qs = qs.filter(district__startswith=self.place.code)
        return qs

    @property
    def district_field(self) -> str:
        return "district" if self.uses_rollup else "kitchen__district_id"

    def reporting_count(self):
        """Per group of `figures()` rows: how many kitchens reported at least one day."""
        if self.uses_rollup:
            return Sum("kitchens_reporting")
        return Count("kitchen_id", filter=Q(days_reported__gt=0))

    def kitchens(self) -> QuerySet[Organisation]:
        """Active kitchens in the selection now."""
        return Organisation.objects.filter(self.on_kitchen(""), kind__is_kitchen=True,
                                           status=Organisation.Status.ACTIVE)

    def querystring(self, **extra) -> str:
        from urllib.parse import urlencode

        params = {"org": self.org.pk if self.org else "", "lugar": self.place_code,
                  "desde": self.first.strftime("%Y-%m"), "hasta": self.last.strftime("%Y-%m"), **extra}
        return urlencode({k: v for k, v in params.items() if v not in ("", None)})


def _sums():
    # Aliased, because an aggregate named like its field could not be filtered on in the same query.
    return {f"sum_{f}": Sum(f) for f in SUMMARY_FIELDS}


def _clean(row: dict) -> dict:
    return {f: row.get(f"sum_{f}") or 0 for f in SUMMARY_FIELDS}


def _shares(t: dict) -> dict:
    t["free_pct"] = pct(t["served_free"], t["rations_served"])
    return t


# --- The dashboard ------------------------------------------------------------------------------

def sums(sel: Selection) -> dict:
    """Sums over the selection and months, with cost, subsidy and gap per ration (one query)."""
    return _shares(with_ratios(_clean(sel.figures().aggregate(**_sums()))))


def totals(sel: Selection) -> dict:
    """`sums`, and the kitchens that reported at least once in the range (two queries: that
    count is the one figure that is not a sum)."""
    t = sums(sel)
    t["kitchens_reporting"] = kitchens_reporting(sel)
    return t


def kitchens_reporting(sel: Selection) -> int:
    """Kitchens with at least one report in the range (one query). From the roll-up's
    `ReportingGap` rows when it can answer: the reporting months in the range that follow one
    before it, one per kitchen. Otherwise per kitchen: without a place, a distinct count over the
    summaries' (kitchen, month) index; in a place, the place's kitchens probed one by one — the
    join the other way round makes both engines read the whole country."""
    if sel.uses_rollup:
        gaps = ReportingGap.objects.filter(sel.on_path(), month__gte=sel.first, month__lte=sel.last,
                                           previous_month__lt=sel.first)
        if sel.place is not None:
            gaps = gaps.filter(district__startswith=sel.place.code)
        return gaps.aggregate(n=Coalesce(Sum("kitchens"), 0))["n"]
    if sel.place is None:
        return sel.summaries().filter(days_reported__gt=0).aggregate(n=Count("kitchen_id", distinct=True))["n"]
    reported = MonthlySummary.objects.filter(kitchen_id=OuterRef("pk"), month__gte=sel.first, month__lte=sel.last,
                                             days_reported__gt=0)
    return Organisation.objects.filter(sel.on_kitchen(""), Exists(reported)).count()


def kitchens_reporting_by_place(sel: Selection, digits: int) -> dict[str, int]:
    """`kitchens_reporting` per place — the UBIGEO code cut to `digits`, "" for kitchens without
    one — in one query. A kitchen is in one place, so the places add up to the whole."""
    if sel.uses_rollup:
        rows = ReportingGap.objects.filter(sel.on_path(), month__gte=sel.first, month__lte=sel.last,
                                           previous_month__lt=sel.first)
        if sel.place is not None:
            rows = rows.filter(district__startswith=sel.place.code)
        rows = rows.annotate(key=Substr("district", 1, digits)).values("key").annotate(n=Sum("kitchens"))
    else:
        rows = (sel.summaries().filter(days_reported__gt=0).annotate(key=Substr("kitchen__district_id", 1, digits))
                .values("key").annotate(n=Count("kitchen_id", distinct=True)))
    out: dict[str, int] = {}
    for r in rows:
        out[r["key"] or ""] = out.get(r["key"] or "", 0) + r["n"]
    return out


def kitchens_reporting_in_months(sel: Selection, months: list[datetime.date]) -> int:
    """Kitchens with at least one report in any of these months of the range (one query)."""
    return (sel.summaries().filter(month__in=months, days_reported__gt=0)
            .aggregate(n=Count("kitchen_id", distinct=True))["n"])


def month_rows(sel: Selection) -> dict[datetime.date, dict]:
    """The sums of each month of the range that has figures (one query)."""
    return {r["month"]: r for r in sel.figures().values("month").annotate(
        **_sums(), kitchens_reporting=sel.reporting_count())}


def sums_of(rows: dict[datetime.date, dict]) -> dict:
    """`sums` over the whole range from `month_rows` (no query): every figure is a sum, so the
    range's is the sum of its months'."""
    return _shares(with_ratios({f: sum((r.get(f"sum_{f}") or 0 for r in rows.values()), 0)
                                for f in SUMMARY_FIELDS}))


def trend(sel: Selection, active_kitchens: int, rows: dict | None = None) -> list[dict]:
    """One row per month of the range, months without data included (one query, none when
    `month_rows` are given)."""
    if rows is None:
        rows = month_rows(sel)
    out = []
    for month in sel.months:
        r = rows.get(month, {})
        t = _shares(with_ratios(_clean(r)))
        t["month"] = month
        t["kitchens_reporting"] = r.get("kitchens_reporting", 0)
        t["completeness_pct"] = pct(t["days_reported"], active_kitchens * days_due(month, sel.today))
        out.append(t)
    return out


def _roll_in_range(sel: Selection) -> QuerySet[RollEntry]:
    """Roll entries open at some time in the range (an entry ends the day she left).

    A department's, province's or federation's entries are reached through its kitchens (the
    kitchens first, then their entries by the roll's kitchen index): joined the other way round,
    both engines read every entry of the country to keep a province's — 600 ms instead of 35
    on the national demo. A whole confederation reads them all anyway, and the join is then the
    cheaper of the two."""
    whole_tree = sel.place is None and (sel.org is None or sel.org.parent_id is None)
    if whole_tree:
        entries = RollEntry.objects.filter(sel.on_kitchen("kitchen__"))
    else:
        entries = RollEntry.objects.filter(kitchen_id__in=Organisation.objects.filter(sel.on_kitchen("")).values("pk"))
    return entries.filter(since__lte=month_end(sel.last)).filter(Q(until__isnull=True) | Q(until__gt=sel.first))


def roll_reach(sel: Selection) -> dict:
    """People fed (each once) and the kitchens whose rolls they are on, in one query: the open
    data needs both to know whether the count is safe to publish."""
    return _roll_in_range(sel).aggregate(people=Count("person_id", distinct=True),
                                         kitchens=Count("kitchen_id", distinct=True))


def people_fed(sel: Selection) -> int:
    """People on the roll of the selection's kitchens at any time in the range, each counted
    once even if she ate at two kitchens. From the roll-up when it can answer (two queries over
    a few thousand rows: `rolls.counts` says why the sums are exact); otherwise from the
    selection's own entries, a district federation's or a kitchen's few thousand."""
    if not sel.uses_rollup:
        return people_fed_from_entries(sel)
    flows = RollFlow.objects.filter(sel.on_path(), month__lte=sel.last)
    repeated = RepeatedPersonEntry.objects.filter(sel.on_path(), in_range(sel.first, sel.last))
    if sel.place is not None:
        flows = flows.filter(district__startswith=sel.place.code)
        repeated = repeated.filter(district__startswith=sel.place.code)
    entries = flows.aggregate(started=Coalesce(Sum("entries_started"), 0),
                              ended=Coalesce(Sum("entries_ended", filter=Q(month__lt=sel.first)), 0))
    repeats = repeated.aggregate(entries=Count("pk"), people=Count("person_id", distinct=True))
    return entries["started"] - entries["ended"] - (repeats["entries"] - repeats["people"])


def people_fed_from_entries(sel: Selection) -> int:
    """The same figure counted from the roll entries themselves, each person once (one query):
    the reference `ayni check-integrity` and the tests hold the roll-up's count to."""
    return _roll_in_range(sel).values("person_id").distinct().count()


def _standing_alerts(sel: Selection) -> QuerySet[FoodAlert]:
    return FoodAlert.objects.filter(sel.on_kitchen("kitchen__"), kitchen__status=Organisation.Status.ACTIVE)


def food_alerts(sel: Selection) -> list[dict]:
    """Kitchens with a staple food at ≤ 7 days left (0 when it ran out), as the kitchen page
    computes it (book balance over the last 14 days' use): from the alerts the stock services
    keep (`kitchens.food_alerts`), one query over the rows in alert."""
    by_kitchen: dict[int, dict] = {}
    for kitchen_id, name, _item_id, item_name, left in food_alert_rows.standing(_standing_alerts(sel), sel.today):
        entry = by_kitchen.setdefault(kitchen_id, {"pk": kitchen_id, "name": name, "items": [], "days_left": left})
        entry["items"].append(item_name)
        entry["days_left"] = min(entry["days_left"], left)
    return sorted(by_kitchen.values(), key=lambda a: (a["days_left"], a["name"]))


class FoodAlertList(Sequence):
    """`food_alerts(sel)`, read only when a row is asked for: a page that shows how many kitchens
    are in alert counts them in the database (one query, no rows), as a query set would."""

    def __init__(self, sel: Selection):
        self.sel, self._rows = sel, None

    def rows(self) -> list[dict]:
        if self._rows is None:
            self._rows = food_alerts(self.sel)
        return self._rows

    def __len__(self) -> int:
        if self._rows is None:
            return food_alert_rows.standing_kitchens(_standing_alerts(self.sel), self.sel.today)
        return len(self._rows)

    def __getitem__(self, index):
        return self.rows()[index]

    def __eq__(self, other) -> bool:
        return list(self) == list(other)

    __hash__ = None


def delivery_groups(sel: Selection, **group) -> list[dict]:
    """Promised deliveries due in the range summed per group (`group`: output name → expression
    over the municipality and the food; one query): from the delivery roll-up when it can
    answer, from the selection's own schedules (a district federation's, a kitchen's)
    otherwise — the same figures either way."""
    due = {"due_on__gte": sel.first, "due_on__lte": month_end(sel.last)}
    if sel.uses_rollup:
        rows = DeliveryRollup.objects.filter(sel.on_path(), **due)
        if sel.place is not None:
            rows = rows.filter(district__startswith=sel.place.code)
        return delivery_rollup.totals(rows, sel.today, **group)
    schedules = DeliverySchedule.objects.filter(sel.on_kitchen("kitchen__"), **due)
    return delivery_rollup.summed(schedules, sel.today, **group)


def deliveries(sel: Selection) -> list[dict]:
    """Promised deliveries due in the range, per municipality: how many arrived late, short or
    not at all (one query)."""
    out = delivery_groups(sel, code=F("municipality_id"), name=F("municipality__name"))
    for g in out:
        g["name"] = g["name"].title()
        g["late_pct"] = pct(g["late"], g["deliveries"])
        g["short_pct"] = pct(g["short"], g["deliveries"])
    out.sort(key=lambda g: (-(g["late"] + g["short"]), g["name"]))
    return out


def deliveries_by_item(sel: Selection) -> list[dict]:
    """Promised vs received per municipality and food, for the schedules due in the range: the
    evidence the organisations take to the authorities (three queries: the sums, then the
    municipalities and the foods once each)."""
    groups = delivery_groups(sel, municipality_code=F("municipality_id"), item_code=F("item_id"))
    places = District.objects.select_related("province", "department").in_bulk({g["municipality_code"]
                                                                                for g in groups})
    items = FoodItem.objects.in_bulk({g["item_code"] for g in groups})
    for g in groups:
        g["municipality"], g["item"] = places.get(g.pop("municipality_code")), items[g.pop("item_code")]
        g["shortfall"] = max(Decimal(0), g["promised"] - g["received"])
        g["received_pct"] = int(g["received"] * 100 / g["promised"]) if g["promised"] else 0
    groups.sort(key=lambda g: (g["municipality"].name if g["municipality"] else "", g["item"].order))
    return groups


@dataclass
class SubUnit:
    key: str
    name: str
    org: Organisation | None = None
    place: object | None = None
    active_kitchens: int = 0
    figures: dict = field(default_factory=dict)


def _org_subunits(sel: Selection) -> tuple[list[SubUnit], int]:
    root = sel.org
    cut = len(root.path) + PATH_STEP
    key = Substr("path", 1, cut)
    children = {o.path: o for o in Organisation.objects.filter(sel.on_path(), parent=root)}
    # Roll-up paths are cut at a federation: they answer only if the children are that deep.
    rows = sel.figures() if cut <= ROLLUP_PATH_LENGTH else sel.summaries()
    sums = {r["key"]: r for r in rows.filter(path__startswith=root.path)
            .annotate(n=Length("path")).filter(n__gt=len(root.path))
            .annotate(key=key).values("key").annotate(**_sums())}
    active = dict(sel.kitchens().filter(path__startswith=root.path).annotate(key=Substr("path", 1, cut))
                  .values("key").annotate(n=Count("id")).values_list("key", "n"))
    units = [SubUnit(key=p, name=o.name, org=o) for p, o in children.items()]
    for u in units:
        u.active_kitchens = active.get(u.key, 0)
        u.figures = _clean(sums.get(u.key, {}))
    # Every active kitchen of the selection is in one group (the selection is under `root`).
    return [u for u in units if u.active_kitchens or u.figures["days_reported"]], sum(active.values())


def _geo_subunits(sel: Selection, level: int | None = None) -> tuple[list[SubUnit], int]:
    level = level or NEXT_LEVEL[len(sel.place_code)]
    key = Substr(sel.district_field, 1, level)
    sums = {r["key"]: r for r in sel.figures().annotate(key=key).values("key").annotate(**_sums())}
    active = dict(sel.kitchens().annotate(key=Substr("district_id", 1, level)).values("key")
                  .annotate(n=Count("id")).values_list("key", "n"))
    codes = sorted(k for k in set(sums) | set(active) if k)
    places = {p.code: p for p in PLACE_LEVELS[level].objects.filter(code__in=codes)}
    units = []
    for code in codes:
        place = places.get(code)
        units.append(SubUnit(key=code, name=place.name.title() if place else code, place=place,
                             active_kitchens=active.get(code, 0), figures=_clean(sums.get(code, {}))))
    # Every active kitchen of the selection is in one group (those without a district in None's).
    return units, sum(active.values())


def subunits(sel: Selection, by: str = "org", level: int | None = None) -> list[SubUnit]:
    """The selection split one level down — the organisation's children, or the next level of
    geography (or the `level` given: 2 departments, 4 provinces, 6 districts) — with the same
    figures, those that report least first (three or four queries)."""
    return subunits_and_active(sel, by, level)[0]


def subunits_and_active(sel: Selection, by: str = "org", level: int | None = None) -> tuple[list[SubUnit], int]:
    """`subunits`, and how many active kitchens the selection has: the sum of the units' counts
    (the query that counts them per unit counts them all)."""
    units, active = _org_subunits(sel) if by == "org" and sel.org is not None else _geo_subunits(sel, level)
    due = sel.days_due
    for u in units:
        f = _shares(with_ratios(u.figures))
        f["completeness_pct"] = pct(f["days_reported"], u.active_kitchens * due)
        u.figures = f
    units.sort(key=lambda u: (u.figures["completeness_pct"] is None, u.figures["completeness_pct"] or 0, u.name))
    return units, active


def dashboard(sel: Selection, by: str = "org") -> dict:
    """Everything the dashboard shows, in a fixed number of queries: the active kitchens are
    counted with the units' counts, the range's sums added up from its months'."""
    units, active = subunits_and_active(sel, by)
    months = month_rows(sel)
    t = sums_of(months)
    t["kitchens_reporting"] = kitchens_reporting(sel)
    t["active_kitchens"] = active
    t["completeness_pct"] = pct(t["days_reported"], active * sel.days_due)
    t["days_due"] = active * sel.days_due
    alerts = FoodAlertList(sel)
    return {
        "totals": t,
        "people_fed": people_fed(sel),
        "trend": trend(sel, active, months),
        "alerts": alerts,
        "deliveries": deliveries(sel),
        "subunits": units,
    }


# --- The lists behind the figures ------------------------------------------------------------------

KITCHEN_LISTS = ("todas", "sin-partes", "gratuitas", "costo", "alertas")


def kitchen_rows(sel: Selection, view: str = "todas", limit: int = 500) -> list[dict]:
    """The kitchens behind a dashboard's figures, one row each with the same figures (three
    queries, five for the alerts): all of them, those that owe reports first, by share of free rations, by the gap
    between cost and subsidy, or those with a food alert."""
    kitchens = list(sel.kitchens().order_by("name").values("pk", "name", "district_id")[:5000])
    sums = {r["kitchen_id"]: r for r in sel.summaries().values("kitchen_id").annotate(**_sums())}
    people = dict(_roll_in_range(sel).values("kitchen_id").annotate(n=Count("person_id", distinct=True))
                  .values_list("kitchen_id", "n"))
    due = sel.days_due
    rows = []
    for k in kitchens:
        f = _shares(with_ratios(_clean(sums.get(k["pk"], {}))))
        f["completeness_pct"] = pct(f["days_reported"], due)
        rows.append({**k, **f, "people": people.get(k["pk"], 0)})
    if view == "sin-partes":
        rows = [r for r in rows if r["days_reported"] < due]
        rows.sort(key=lambda r: (r["days_reported"], r["name"]))
    elif view == "gratuitas":
        rows.sort(key=lambda r: (-(r["free_pct"] or 0), r["name"]))
    elif view == "costo":
        rows = [r for r in rows if r["gap_per_ration"] is not None]
        rows.sort(key=lambda r: (-r["gap_per_ration"], r["name"]))
    elif view == "alertas":
        alerted = {a["pk"]: a for a in food_alerts(sel)}
        rows = [{**r, "alert": alerted[r["pk"]]} for r in rows if r["pk"] in alerted]
        rows.sort(key=lambda r: (r["alert"]["days_left"], r["name"]))
    return rows[:limit]
