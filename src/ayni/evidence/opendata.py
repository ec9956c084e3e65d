"""Open data (*datos abiertos*): a federation's aggregated figures for anyone, without login.

Published only when the federation switched its `PublicProfile` on. Nothing here names a person
or a kitchen, and no figure is drawn from fewer than 5 people or 3 kitchens: such a figure is
replaced by None (shown as "menos de 3 cocinas" / "menos de 5 personas"), because with a
handful of kitchens a total is one kitchen's books, and with a handful of people a count points
at a family. The page, the CSV and the JSON are the same dictionary (`public_figures`), so they
can never disagree; `docs/open-data.md` documents its schema.

Suppression must also hold against sums and differences of everything the public can ask for,
so (docs/open-data.md, "Differencing"):

- **fixed periods**: a request is one calendar year (an arbitrary range is snapped to the year
  of its last month), and only months that have ended are in it. Two years never overlap, so no
  two requests differ by a month; and the running month, which changes by the day, is never
  in a total;
- **complementary suppression** (`suppression.protect`): where a month, a department or a
  province is blank, the year, the federation or the department minus the published ones must
  still leave 0 or at least 3 kitchens, or a second one is blanked. The department and province
  tables are decided together, so the choice of `nivel` cannot be played against itself;
- **nested publishers**: when an organisation inside this one publishes too (a federation in a
  confederation), what it leaves blank is blank here too, and a figure of this one is blank
  where it minus theirs would leave 1 or 2 kitchens.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from ayni.accounts.models import Role
from ayni.accounts.scope import Scope
from ayni.evidence import maps, selectors
from ayni.evidence.models import PublicProfile
from ayni.evidence.suppression import MIN_KITCHENS, MIN_PEOPLE, Cell, additive, protect, small
from ayni.orgs.models import Organisation

SCHEMA_VERSION = 1
FIRST_YEAR = 2000  # an earlier year is no year of Ayni's data; it is read as the first one

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


# --- The fixed periods -----------------------------------------------------------------------

def last_complete_month(today: datetime.date) -> datetime.date:
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def requested_year(params, today: datetime.date) -> int:
    """The calendar year a request asks for: `año=YYYY` (or `anio`), or the year of `hasta` (else `desde`)
    for the links made before years were the only period; by default, and for a year not yet
    begun, the year of the last month that has ended."""
    latest = last_complete_month(today).year
    for name in ("año", "anio", "hasta", "desde"):
        text = (params.get(name) or "").strip()[:4]
        if len(text) == 4 and text.isdigit():
            return max(FIRST_YEAR, min(int(text), latest))
    return latest


def year_months(year: int, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """First and last month of the year that have ended by today."""
    return datetime.date(year, 1, 1), min(datetime.date(year, 12, 1), last_complete_month(today))


# --- How many kitchens stand behind each cell ----------------------------------------------------

@dataclass
class Counts:
    """For one organisation and year: the kitchens behind each cell it would publish."""

    active: int
    reporting: int
    months: dict[datetime.date, int]
    active_by_province: dict[str, int]  # UBIGEO province code, "" for kitchens without a place
    reporting_by_province: dict[str, int]
    people: int
    roll_kitchens: int

    def places(self, digits: int) -> dict[str, tuple[int, int]]:
        """(active, reporting) per department (2) or province (4), kitchens without a place apart."""
        out: dict[str, tuple[int, int]] = {}
        for source, i in ((self.active_by_province, 0), (self.reporting_by_province, 1)):
            for code, n in source.items():
                if code:
                    pair = list(out.get(code[:digits], (0, 0)))
                    pair[i] += n
                    out[code[:digits]] = tuple(pair)
        return out

    @property
    def people_ok(self) -> bool:
        return self.people >= MIN_PEOPLE and self.roll_kitchens >= MIN_KITCHENS


def selection(org: Organisation, year: int, today: datetime.date) -> selectors.Selection:
    first, last = year_months(year, today)
    return selectors.Selection(scope=public_scope(org), org=org, place=None, first=first, last=last, today=today)


def counts(sel: selectors.Selection) -> Counts:
    """Six grouped queries, whatever the size of the subtree."""
    active = {k or "": n for k, n in maps.kitchens_per_place(sel.kitchens(), 4).items()}
    months = dict(sel.figures().values("month").annotate(n=sel.reporting_count()).values_list("month", "n"))
    reach = selectors.roll_reach(sel)
    return Counts(active=sum(active.values()), reporting=selectors.kitchens_reporting(sel), months=months,
                  active_by_province=active, reporting_by_province=selectors.kitchens_reporting_by_place(sel, 4),
                  people=reach["people"], roll_kitchens=reach["kitchens"])


def nested_publishers(org: Organisation) -> list[Organisation]:
    """The organisations inside this one that publish too, the outermost of each branch (one
    inside them is their business: their own figures are protected against it)."""
    inner = sorted((p.organisation for p in PublicProfile.objects.filter(
        enabled=True, organisation__path__startswith=org.path).exclude(organisation=org)
        .select_related("organisation")), key=lambda o: o.path)
    outermost: list[Organisation] = []
    for o in inner:
        if not any(o.path.startswith(kept.path) for kept in outermost):
            outermost.append(o)
    return outermost


# --- Which cells are blank ---------------------------------------------------------------------

@dataclass
class Blanks:
    """What `public_figures` leaves blank for one organisation and year."""

    active: bool
    totals: bool
    people: bool
    months: set[datetime.date]
    places: set[str]  # department and province codes


@dataclass
class Analysis:
    sel: selectors.Selection
    counts: Counts
    blanks: Blanks


def analyse(org: Organisation, year: int, today: datetime.date) -> Analysis:
    """The counts and blank cells of an organisation's year, after those of the organisations
    inside it that publish too (theirs first: its blanks depend on theirs)."""
    sel = selection(org, year, today)
    own = counts(sel)
    return Analysis(sel, own, blanks(sel, own, [analyse(o, year, today) for o in nested_publishers(org)]))


def blanks(sel: selectors.Selection, own: Counts, nested: list[Analysis]) -> Blanks:
    """Primary suppression (fewer than 3 kitchens, 5 people); then, for the organisations inside
    this one that publish too, everything they leave blank and any figure whose difference with
    theirs (the *rest*) is small; then complementary suppression, over the months and over the
    places (both levels), for this organisation's counts and for the rest's."""
    theirs = [n.counts for n in nested]
    # Whatever they leave blank is blank here too, the totals included: this one's figure minus
    # theirs would otherwise give theirs back. So where this one shows a figure, so do they, and
    # ours minus theirs — the *rest* — is a table of its own, protected below like ours.
    active_ok = (own.active >= MIN_KITCHENS and not any(n.blanks.active for n in nested)
                 and not small(own.active - sum(t.active for t in theirs)))
    totals_ok = (own.reporting >= MIN_KITCHENS and not any(n.blanks.totals for n in nested)
                 and not small(own.reporting - sum(t.reporting for t in theirs)))
    people_ok = (own.people_ok and not any(n.blanks.people for n in nested)
                 and not small(own.people - sum(t.people for t in theirs), MIN_PEOPLE)
                 and not small(own.roll_kitchens - sum(t.roll_kitchens for t in theirs)))

    month_of = {m.strftime("%Y-%m"): m for m in sel.months}
    months = []
    for key, month in month_of.items():
        mine = own.months.get(month, 0)
        rest = mine - sum(t.months.get(month, 0) for t in theirs)
        months.append(Cell(key, (mine, rest), suppressed=mine < MIN_KITCHENS or small(rest)
                           or any(month in n.blanks.months for n in nested)))

    def month_residual(suppressed: list[Cell]) -> tuple[int, ...]:
        upper = tuple(sum(c.counts[i] for c in suppressed) for i in (0, 1))
        if max(upper) < MIN_KITCHENS:  # the distinct kitchens are fewer still (and 0 only if none)
            return upper
        chosen = [month_of[c.key] for c in suppressed]
        mine = selectors.kitchens_reporting_in_months(sel, chosen)
        return mine, mine - sum(selectors.kitchens_reporting_in_months(n.sel, chosen) for n in nested)

    protect(months, month_residual, (totals_ok, totals_ok))

    levels = {}
    for digits in (2, 4):
        their_places = [t.places(digits) for t in theirs]
        cells = []
        for code, (active, reporting) in sorted(own.places(digits).items()):
            rest_active = active - sum(t.get(code, (0, 0))[0] for t in their_places)
            rest_reporting = reporting - sum(t.get(code, (0, 0))[1] for t in their_places)
            cells.append(Cell(code, (active, reporting, rest_active, rest_reporting), suppressed=(
                active < MIN_KITCHENS or small(reporting) or small(rest_active) or small(rest_reporting)
                or any(code in n.blanks.places for n in nested))))
        levels[digits] = cells
    departments = levels[2]

    def unplaced(c: Counts) -> tuple[int, int]:
        return c.active_by_province.get("", 0), c.reporting_by_province.get("", 0)

    hidden = unplaced(own)
    hidden_rest = tuple(h - sum(unplaced(t)[i] for t in theirs) for i, h in enumerate(hidden))
    protect(departments, additive((*hidden, *hidden_rest)), (active_ok, totals_ok, active_ok, totals_ok))
    for department in departments:
        provinces = [c for c in levels[4] if c.key[:2] == department.key]
        if department.suppressed:
            # Its provinces would add up to it: blank with it.
            for c in provinces:
                c.suppressed = True
        else:
            protect(provinces, additive((0, 0, 0, 0)), (True, True, True, True))
    return Blanks(active=not active_ok, totals=not totals_ok, people=not people_ok,
                  months={month_of[c.key] for c in months if c.suppressed},
                  places={c.key for cells in levels.values() for c in cells if c.suppressed})


# --- The figures ---------------------------------------------------------------------------------

def _num(value):
    """JSON-friendly numbers: decimals of money as floats with two places."""
    if value is None:
        return None
    if hasattr(value, "quantize"):
        return float(value)
    return value


def _shown(figures: dict, blank: bool) -> dict:
    return {f: (None if blank else _num(figures.get(f))) for f in TOTAL_FIELDS}


def public_figures(org: Organisation, year: int, level: str = "departamento",
                   today: datetime.date | None = None) -> dict:
    """Everything the public page, the CSV and the JSON show for one calendar year, with small
    cells and the cells that would give them away left blank."""
    today = today or timezone.localdate()
    analysis = analyse(org, year, today)
    sel, own, blank = analysis.sel, analysis.counts, analysis.blanks
    totals = selectors.totals(sel)
    totals["completeness_pct"] = selectors.pct(totals["days_reported"], own.active * sel.days_due)
    months = []
    for row in selectors.trend(sel, own.active):
        hidden = row["month"] in blank.months
        months.append({"month": row["month"].strftime("%Y-%m"),
                       "kitchens_reporting": None if hidden else row["kitchens_reporting"], **_shown(row, hidden)})
    digits = maps.LEVELS[level][2]
    places = []
    for unit in selectors.subunits(sel, by="geo", level=digits):
        hidden = unit.key in blank.places
        places.append({"code": unit.key, "name": unit.name,
                       "active_kitchens": None if hidden else unit.active_kitchens, **_shown(unit.figures, hidden)})
    places.sort(key=lambda p: p["code"])
    return {
        "schema_version": SCHEMA_VERSION,
        "organisation": {"id": org.pk, "name": org.name},
        "period": {"year": year, "first_month": sel.first.strftime("%Y-%m"), "last_month": sel.last.strftime("%Y-%m")},
        "generated": today.isoformat(),
        "suppression": {"min_people": MIN_PEOPLE, "min_kitchens": MIN_KITCHENS,
                        "method": "fixed-periods+complementary"},
        "totals": {
            "active_kitchens": None if blank.active else own.active,
            "kitchens_reporting": None if blank.totals else totals["kitchens_reporting"],
            "people_fed": None if blank.people else own.people,
            **_shown(totals, blank.totals),
        },
        "months": months,
        "level": level,
        "places": places,
    }


def coverage_map(org: Organisation, level: str, data: dict):
    """Kitchens per 10,000 inhabitants by place, with the places whose count `data` (the
    public figures at this level) leaves blank left blank too: colouring them would tell it."""
    today = timezone.localdate()
    sel_kitchens = selectors.Selection(scope=public_scope(org), org=org, place=None, first=today,
                                       last=today).kitchens()
    need, coverage = maps.map_data(level, "pobreza", sel_kitchens)
    hidden = {p["code"] for p in data["places"] if p["active_kitchens"] is None}
    for code in coverage.values:
        if code in hidden:
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
