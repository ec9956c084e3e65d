"""Equity of access (*equidad en el acceso*): who gets trained, by region, rural or urban district,
language, age band and level of organisation, against who is in the membership of a federation.

A woman counts as trained when she has been enrolled in any programme. A district is rural when
fewer than 150 people live per km² (INEI's census line is by population centre, which the
district table does not carry; density is the nearest figure it has).

Counted once per cell, read from a roll-up. The memberships are cut into cells: the
confederation's own, and each subtree of an organisation at `CELL_DEPTH` (a provincial
federation). `EquityCount` holds, per cell, the distinct members and trained for every value of
every dimension; the national table sums a few thousand of those rows instead of grouping every
membership of the country five times. Every write that changes who is a member or who was
trained — enrolment, a membership begun or ended, a woman's birth date or languages, an
organisation saved, moved or deleted — adds one to its cells' revision in its own transaction
(`invalidate`, from the signals wired in `apps.py`; bulk loads call `invalidate_under`). A read
rebuilds, in one grouped pass, the cells of its subtree not built today from their current
revision (the age bands and the memberships current move with the date), then sums the rest.
A woman who is a socia in two cells (a provincial federation's and the confederation's own) is
counted in each, as she already is in each level of organisation.

Selections below a cell (a district federation, a base organisation) are read live: a few
hundred memberships. So is any date other than today.
"""

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Case, Count, F, FloatField, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Cast, Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ayni.leadership.models import Enrolment, EquityCell, EquityCount
from ayni.lib import replicas
from ayni.orgs.models import PATH_STEP, Organisation
from ayni.people.models import Language, Membership

RURAL_DENSITY = 150.0
LEVELS = {1: gettext_lazy("Confederación"), 2: gettext_lazy("Federación provincial"),
          3: gettext_lazy("Federación distrital"), 4: gettext_lazy("Organización de base")}
AGE_BANDS = [(18, 29), (30, 44), (45, 59), (60, 200)]
DIMENSIONS = [("region", gettext_lazy("Región")), ("area", gettext_lazy("Rural o urbano")),
              ("language", gettext_lazy("Idioma")), ("age", gettext_lazy("Edad")),
              ("level", gettext_lazy("Nivel de organización"))]
CELL_DEPTH = 1  # 0 the confederation, 1 a provincial federation
CELL_LENGTH = (CELL_DEPTH + 1) * PATH_STEP


@dataclass
class Row:
    label: str
    members: int
    trained: int

    @property
    def share(self) -> float:
        return 100.0 * self.trained / self.members if self.members else 0.0


def cell_of(path: str) -> str:
    return path[:CELL_LENGTH]


# ---------------------------------------------------------------------------------------------
# Keeping the roll-up: writers add to the revision, readers rebuild what is behind.

def invalidate(paths) -> None:
    """Who is counted under these organisations' paths changed: their cells are rebuilt at the
    next read. Call it in the transaction of the write. A cell without its row yet gets one: a
    first build running at the same moment then waits for this write's row, and reads the
    revision it left (one UPDATE, and an INSERT only then)."""
    cells = sorted({cell_of(p) for p in ([paths] if isinstance(paths, str) else paths) if p})
    if cells and EquityCell.objects.filter(path__in=cells).update(n=F("n") + 1) < len(cells):
        EquityCell.objects.bulk_create([EquityCell(path=c, n=1) for c in cells], ignore_conflicts=True)


def invalidate_under(prefix: str) -> None:
    """Every cell under `prefix` (bulk loads, moves)."""
    EquityCell.objects.filter(path__startswith=cell_of(prefix)).update(n=F("n") + 1)


def invalidate_people(person_ids) -> None:
    """The cells of these women's memberships (enrolled or withdrawn, birth date, languages)."""
    invalidate(set(Membership.objects.filter(person_id__in=list(person_ids))
                   .values_list("organisation__path", flat=True)))


def forget_under(prefix: str) -> None:
    """An organisation at cell depth or above left this place (moved, deleted): its cells'
    rows would otherwise be summed under its old parent."""
    EquityCount.objects.filter(path__startswith=prefix).delete()
    EquityCell.objects.filter(path__startswith=prefix).delete()


def _stale(prefix: str, today: datetime.date) -> list[str]:
    fresh = EquityCell.objects.filter(path__startswith=prefix, built_on=today, built_n=F("n")).values("path")
    return list(Organisation.objects.filter(path__startswith=prefix, depth__lte=CELL_DEPTH)
                .exclude(path__in=fresh).values_list("path", flat=True))


def rebuild(cells: list[str], today: datetime.date | None = None) -> None:
    """Count the cells afresh. The revision is read before the memberships, so a write that
    commits while they are counted leaves the cell behind, to be counted again."""
    if not cells:
        return
    today = today or timezone.localdate()
    cells = sorted(set(cells))
    try:
        # Counted on the primary even within a page read from a replica: the revision and the
        # memberships must be the ones the stored counts will be marked as built from.
        with replicas.primary(), transaction.atomic():
            known = set(EquityCell.objects.filter(path__in=cells).values_list("path", flat=True))
            EquityCell.objects.bulk_create([EquityCell(path=c) for c in cells if c not in known],
                                           ignore_conflicts=True)
            revision = dict(EquityCell.objects.filter(path__in=cells).values_list("path", "n"))
            counts = _counts(_in_cells(cells), today, by_cell=True)
            EquityCount.objects.filter(path__in=cells).delete()
            EquityCount.objects.bulk_create(
                [EquityCount(path=cell, dimension=dim, value=value, members=m, trained=t)
                 for (cell, dim, value), (m, t) in counts.items() if cell in revision], batch_size=2000)
            by_n: dict[int, list[str]] = {}
            for cell, n in revision.items():
                by_n.setdefault(n, []).append(cell)
            for n, paths in by_n.items():  # one UPDATE per revision, most often one in all
                EquityCell.objects.filter(path__in=paths).update(built_n=n, built_on=today)
    except IntegrityError:
        # Another worker rebuilt the same cells at the same moment: its rows stand.
        pass


def rebuild_under(prefix: str = "") -> None:
    """Build every cell under `prefix` now (the demo, after its bulk loads)."""
    rebuild(list(Organisation.objects.filter(path__startswith=prefix, depth__lte=CELL_DEPTH)
                 .values_list("path", flat=True)))


def _in_cells(cells: list[str]):
    """The memberships of these cells: a cell at CELL_DEPTH is its whole subtree, one above it
    only the organisation's own."""
    where = Q()
    for cell in cells:
        where |= Q(organisation__path__startswith=cell) if len(cell) == CELL_LENGTH else Q(organisation__path=cell)
    if len(cells) > 8:
        # A national rebuild: one range on the common prefix, the cell kept by the grouping.
        common = cells[0][:PATH_STEP] if all(c.startswith(cells[0][:PATH_STEP]) for c in cells) else ""
        where = Q(organisation__path__startswith=common)
    return Membership.objects.filter(where)


# ---------------------------------------------------------------------------------------------
# Counting: one grouped query per dimension, optionally per cell.

def _current(query, on: datetime.date):
    # Who was trained is one uncorrelated subquery, read once per query (SQLite keeps it as an
    # ephemeral index, PostgreSQL as a hashed subplan), not a lookup per membership row.
    trained = Enrolment.objects.filter(status=Enrolment.Status.ENROLLED).values("person_id")
    return (query.filter(since__lte=on).filter(Q(until__isnull=True) | Q(until__gte=on))
            .annotate(trained=Case(When(person_id__in=trained, then=Value(True)), default=Value(False),
                                   output_field=BooleanField())))


def _years_before(on: datetime.date, years: int) -> datetime.date:
    # On 29 February, a year without one has its birthday on the 28th.
    try:
        return on.replace(year=on.year - years)
    except ValueError:
        return on.replace(year=on.year - years, day=28)


def _counts(query, on: datetime.date, *, by_cell: bool) -> dict[tuple, tuple[int, int]]:
    """{(cell or "", dimension, value as text): (members, trained)}."""
    base = _current(query, on)
    if by_cell:
        base = base.annotate(cell=Substr("organisation__path", 1, CELL_LENGTH))
    density = Case(When(organisation__district__area_km2__gt=0, then=Cast(F("organisation__district__population"),
                                                                           FloatField())
                        / F("organisation__district__area_km2")), default=Value(None), output_field=FloatField())
    whens = [When(person__birth_date__lte=_years_before(on, low),
                  person__birth_date__gt=_years_before(on, high + 1), then=Value(n))
             for n, (low, high) in enumerate(AGE_BANDS)]
    queries = {
        "region": (base, "organisation__district__department__name"),
        "area": (base.annotate(density=density).annotate(
            area=Case(When(density__isnull=True, then=Value(0)), When(density__lt=RURAL_DENSITY, then=Value(1)),
                      default=Value(2), output_field=IntegerField())), "area"),
        "language": (base, "person__languages"),
        "age": (base.annotate(band=Case(*whens, default=Value(-1), output_field=IntegerField())), "band"),
        "level": (base, "organisation__kind__level"),
    }
    out = {}
    for dim, (query, key) in queries.items():
        keys = ("cell", key) if by_cell else (key,)
        for *group, members, trained in (
                query.values(*keys).annotate(members=Count("person", distinct=True),
                                             trained_n=Count("person", filter=Q(trained=True), distinct=True))
                .values_list(*keys, "members", "trained_n").order_by()):
            cell, value = group if by_cell else ("", group[0])
            out[(cell, dim, "" if value is None else str(value))] = (members, trained)
    return out


def _from_rollup(prefix: str) -> dict[tuple, tuple[int, int]]:
    return {("", dim, value): (m, t) for dim, value, m, t in
            EquityCount.objects.filter(path__startswith=prefix).values("dimension", "value")
            .annotate(m=Sum("members"), t=Sum("trained")).values_list("dimension", "value", "m", "t").order_by()}


def counts(federation: Organisation, on: datetime.date | None = None) -> dict[tuple, tuple[int, int]]:
    today = timezone.localdate()
    on = on or today
    if on != today or len(federation.path) > CELL_LENGTH:
        return _counts(Membership.objects.filter(organisation__path__startswith=federation.path), on,
                       by_cell=False)
    rebuild(_stale(federation.path, today), today)
    return _from_rollup(federation.path)


def table(federation: Organisation, on: datetime.date | None = None) -> dict[str, list[Row]]:
    """Rows per dimension: members and trained, for the federation's subtree. The caller has
    checked that the scope sees the federation (figures only, no names)."""
    on = on or timezone.localdate()
    by_dim: dict[str, list[tuple[str, int, int]]] = {dim: [] for dim, _label in DIMENSIONS}
    for (_cell, dim, value), (m, t) in counts(federation, on).items():
        by_dim[dim].append((value, m, t))

    def number(value: str) -> int:
        return int(value) if value else -1

    out: dict[str, list[Row]] = {}
    out["region"] = [Row(name or _("Sin distrito"), m, t) for name, m, t in sorted(by_dim["region"])]
    area_names = {0: _("Sin dato"), 1: _("Rural"), 2: _("Urbano")}
    out["area"] = [Row(str(area_names[int(a)]), m, t) for a, m, t in sorted(by_dim["area"], key=lambda r: int(r[0]))]
    languages = dict(Language.objects.values_list("code", "name")) if by_dim["language"] else {}
    out["language"] = [Row(languages.get(code, _("Sin dato")), m, t) for code, m, t in sorted(by_dim["language"])]
    band_names = {n: (f"{low}–{high}" if high < 200 else f"{low} +") for n, (low, high) in enumerate(AGE_BANDS)}
    band_names[-1] = _("Sin dato")
    out["age"] = [Row(str(band_names[int(b)]), m, t) for b, m, t in sorted(by_dim["age"], key=lambda r: int(r[0]))]
    out["level"] = [Row(str(LEVELS.get(number(level), level or _("Sin dato"))), m, t)
                    for level, m, t in sorted(by_dim["level"], key=lambda r: number(r[0]))]
    return out


def total(rows: dict[str, list[Row]]) -> Row:
    level = rows.get("level", [])
    return Row(_("Total"), sum(r.members for r in level), sum(r.trained for r in level))


def check() -> list[str]:
    """`ayni check-integrity`: every cell built today equals a recount from the memberships, and
    no counts are left for a place that is no longer a cell."""
    today = timezone.localdate()
    built = sorted(EquityCell.objects.filter(built_on=today).values_list("path", flat=True))
    problems = []
    if built:
        recount = _counts(_in_cells(built), today, by_cell=True)
        recount = {k: v for k, v in recount.items() if k[0] in set(built)}
        stored = {(c.path, c.dimension, c.value): (c.members, c.trained)
                  for c in EquityCount.objects.filter(path__in=built)}
        stale = set(EquityCell.objects.filter(built_on=today).exclude(built_n=F("n")).values_list("path", flat=True))
        for key in sorted(set(recount) | set(stored)):
            if key[0] not in stale and recount.get(key, (0, 0)) != stored.get(key, (0, 0)):
                problems.append(_("Equidad: en %(cell)s, %(dim)s «%(value)s» guarda %(stored)s y el recuento da "
                                  "%(count)s (socias, formadas).") % {
                    "cell": key[0], "dim": key[1], "value": key[2], "stored": stored.get(key, (0, 0)),
                    "count": recount.get(key, (0, 0))})
    cells = set(Organisation.objects.filter(depth__lte=CELL_DEPTH).values_list("path", flat=True))
    for path in sorted(set(EquityCount.objects.values_list("path", flat=True).distinct()) - cells):
        problems.append(_("Equidad: quedan cifras para %(cell)s, que ya no es una celda.") % {"cell": path})
    return problems


# ---------------------------------------------------------------------------------------------
# The writes that move the figures, through the signals of the layers below (wired in apps.py).

def enrolment_changed(sender, instance, created=False, update_fields=None, **kwargs) -> None:
    # Attendance recounts save other fields; an invitation is not yet a training.
    if update_fields is not None and "status" not in update_fields:
        return
    if created and instance.status != Enrolment.Status.ENROLLED:
        return
    invalidate_people([instance.person_id])


def membership_changed(sender, instance, **kwargs) -> None:
    invalidate(set(Organisation.objects.filter(pk=instance.organisation_id).values_list("path", flat=True)))


def person_changed(sender, instance, created=False, **kwargs) -> None:
    if not created:  # a new woman has no membership yet: hers is counted when it is added
        invalidate_people([instance.pk])


def languages_changed(sender, instance, action, reverse, pk_set=None, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        invalidate_people(pk_set or [] if reverse else [instance.pk])


def organisation_saved(sender, instance, **kwargs) -> None:
    if instance.path and len(instance.path) % PATH_STEP == 0:  # not the placeholder of a first save
        invalidate(instance.path)


def organisation_deleted(sender, instance, **kwargs) -> None:
    if len(instance.path) <= CELL_LENGTH:
        forget_under(instance.path)
    else:
        invalidate(instance.path)


def subtree_moved(sender, organisation, old_path: str, new_path: str, **kwargs) -> None:
    if len(old_path) <= CELL_LENGTH:
        forget_under(old_path)  # a whole cell left: its old parent's own cell did not hold it
    else:
        invalidate(old_path)
    invalidate(new_path)


def district_changed(sender, organisation, **kwargs) -> None:
    invalidate(organisation.path)
