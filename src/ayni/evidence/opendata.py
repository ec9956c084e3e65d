"""Open data (*datos abiertos*): a federation's aggregated figures for anyone, without login.

Published only when the federation switched its `PublicProfile` on. Nothing here names a person
or a kitchen, and no figure is drawn from fewer than 5 people or 3 kitchens: such a figure is
replaced by None (shown as "menos de 3 cocinas" / "menos de 5 personas"), because with a
handful of kitchens a total is one kitchen's books, and with a handful of people a count points
at a family. The page, the CSV and the JSON are the same dictionary (`public_figures`), so they
can never disagree; `docs/open-data.md` documents its schema.
"""

import datetime

from django.utils import timezone

from ayni.accounts.models import Role
from ayni.accounts.scope import Scope
from ayni.evidence import maps, selectors
from ayni.evidence.models import PublicProfile
from ayni.orgs.models import Organisation

MIN_PEOPLE = 5
MIN_KITCHENS = 3
SCHEMA_VERSION = 1

TOTAL_FIELDS = ("rations_served", "served_paying", "served_subsidised", "served_free", "free_pct",
                "completeness_pct", "cost_per_ration", "subsidy_per_ration", "gap_per_ration")


def published(pk) -> Organisation | None:
    """The organisation if its open-data page is switched on, else None."""
    profile = (PublicProfile.objects.filter(organisation_id=pk, enabled=True).select_related("organisation")
               .first() if str(pk).isdigit() else None)
    return profile.organisation if profile else None


def public_scope(org: Organisation) -> Scope:
    """What the public sees: the subtree as a viewer would, aggregates only."""
    return Scope(user_id=None, grants=[(Role.VIEWER, org.path)])


def _num(value):
    """JSON-friendly numbers: decimals of money as floats with two places."""
    if value is None:
        return None
    if hasattr(value, "quantize"):
        return float(value)
    return value


def _safe(figures: dict, kitchens: int) -> dict:
    """The figures if drawn from enough kitchens; otherwise every one suppressed."""
    ok = kitchens >= MIN_KITCHENS
    return {f: (_num(figures.get(f)) if ok else None) for f in TOTAL_FIELDS}


def public_figures(org: Organisation, first: datetime.date, last: datetime.date, level: str = "departamento",
                   today: datetime.date | None = None) -> dict:
    """Everything the public page, the CSV and the JSON show, with small cells suppressed."""
    sel = selectors.Selection(scope=public_scope(org), org=org, place=None, first=first, last=last,
                              **({"today": today} if today else {}))
    active = sel.kitchens().count()
    totals = selectors.totals(sel)
    totals["completeness_pct"] = selectors.pct(totals["days_reported"], active * sel.days_due)
    reach = selectors.roll_reach(sel)
    people_ok = reach["people"] >= MIN_PEOPLE and reach["kitchens"] >= MIN_KITCHENS
    months = []
    for row in selectors.trend(sel, active):
        months.append({"month": row["month"].strftime("%Y-%m"), "kitchens_reporting": row["kitchens_reporting"]
                       if row["kitchens_reporting"] >= MIN_KITCHENS else None,
                       **_safe(row, row["kitchens_reporting"])})
    digits = maps.LEVELS[level][2]
    places = []
    for unit in selectors.subunits(sel, by="geo", level=digits):
        enough = unit.active_kitchens >= MIN_KITCHENS
        places.append({"code": unit.key, "name": unit.name,
                       "active_kitchens": unit.active_kitchens if enough else None,
                       **_safe(unit.figures, unit.active_kitchens)})
    places.sort(key=lambda p: p["code"])
    return {
        "schema_version": SCHEMA_VERSION,
        "organisation": {"id": org.pk, "name": org.name},
        "period": {"first_month": first.strftime("%Y-%m"), "last_month": last.strftime("%Y-%m")},
        "generated": (today or sel.today).isoformat(),
        "suppression": {"min_people": MIN_PEOPLE, "min_kitchens": MIN_KITCHENS},
        "totals": {
            "active_kitchens": active if active >= MIN_KITCHENS else None,
            "kitchens_reporting": totals["kitchens_reporting"] if totals["kitchens_reporting"] >= MIN_KITCHENS
            else None,
            "people_fed": reach["people"] if people_ok else None,
            **_safe(totals, totals["kitchens_reporting"]),
        },
        "months": months,
        "level": level,
        "places": places,
    }


def coverage_map(org: Organisation, level: str):
    """Kitchens per 10,000 inhabitants by place, with places of 1 or 2 kitchens left blank:
    colouring them would tell their count."""
    today = timezone.localdate()
    sel_kitchens = selectors.Selection(scope=public_scope(org), org=org, place=None, first=today,
                                       last=today).kitchens()
    need, coverage = maps.map_data(level, "pobreza", sel_kitchens)
    counts = maps.kitchens_per_place(sel_kitchens, maps.LEVELS[level][2])
    for code in coverage.values:
        if 0 < counts.get(code, 0) < MIN_KITCHENS:
            coverage.values[code] = None
    return need, coverage


CSV_COLUMNS = ("kind", "code", "name", "month", "active_kitchens", "kitchens_reporting", "people_fed",
               *TOTAL_FIELDS)


def csv_rows(data: dict) -> list[list]:
    """The JSON flattened into one table: a `total` row, one `month` row per month, one
    `place` row per department or province."""
    def row(kind, code, name, month, values):
        return [kind, code, name, month, *[("" if values.get(c) is None else values[c]) for c in CSV_COLUMNS[4:]]]

    rows = [row("total", str(data["organisation"]["id"]), data["organisation"]["name"], "", data["totals"])]
    rows += [row("month", "", "", m["month"], m) for m in data["months"]]
    rows += [row("place", p["code"], p["name"], "", p) for p in data["places"]]
    return rows
