"""The monthly summaries: one row per kitchen and month, changed by the difference each save
makes, in the saving transaction. Everything that writes `MonthlySummary` goes through here
(the services, the sync batch path, the demo), so whatever else is kept beside the summaries
stays in step with them: the roll-up (`MonthlyRollup`, one row per federation, district and
month) moves by the same difference in the same transaction.

Lock order is always the kitchen's summary row first, then its roll-up row; a roll-up row is
only changed with `F()` arithmetic, never read and written back, so writers of different
kitchens in one federation and district wait for each other only until the first commits.
"""

import datetime
from collections import Counter, defaultdict

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Concat, Substr
from django.utils.translation import gettext as _

from ayni.kitchens.models import (
    ROLLUP_DEPTH,
    SUMMARY_FIELDS,
    FiguresRevision,
    MonthClose,
    MonthlyRollup,
    MonthlySummary,
    ReportingGap,
    month_start,
)
from ayni.lib.db import add_to_rows
from ayni.orgs.models import PATH_STEP, Organisation

# How much of a kitchen's path names its roll-up row.
ROLLUP_PATH_LENGTH = (ROLLUP_DEPTH + 1) * PATH_STEP
ROLLUP_FIELDS = (*SUMMARY_FIELDS, "kitchens_reporting")
GAP_LOCK_SPACE = 4711  # the advisory-lock namespace of a kitchen's reporting months


def month_label(month: datetime.date) -> str:
    return month.strftime("%m/%Y")


def rollup_path(path: str) -> str:
    return path[:ROLLUP_PATH_LENGTH]


def touch(paths) -> None:
    """The figures under these roll-up cells (or kitchens' paths, cut to their cell) changed:
    add one to each cell's `FiguresRevision`, in the caller's transaction, so every page kept
    from them is drawn afresh (`evidence.cache`). `_add` and `_add_many` do it for every table of
    running totals; anything else that changes what a dashboard shows calls it itself."""
    cells = {rollup_path(p) for p in ([paths] if isinstance(paths, str) else paths) if p}
    add_to_rows(FiguresRevision, ("path",), {(cell,): {"n": 1} for cell in cells}, ("n",))


def touch_under(prefix: str) -> None:
    """`touch` every cell of the organisations under `prefix` (bulk loads, rebuilds, moves)."""
    touch(Organisation.objects.filter(path__startswith=prefix)
          .values_list(Substr("path", 1, ROLLUP_PATH_LENGTH), flat=True).distinct())


def organisation_changed(sender, instance, **kwargs) -> None:
    """An organisation was saved or deleted: the pages that show it (its name, whether it is an
    active kitchen, its parent's list of units) are drawn afresh."""
    if instance.path and len(instance.path) % PATH_STEP == 0:  # not the placeholder of a first save
        touch(instance.path)
    elif instance.parent_id is not None:
        # The first save of a new organisation (its path is set afterwards by an update, which
        # sends no signal): its parent's list of organisations and the counts above it changed.
        parent = instance.parent if Organisation.parent.is_cached(instance) else \
            Organisation.objects.only("path").get(pk=instance.parent_id)
        touch(parent.path)


def subtree_moved_touch(sender, organisation, old_path: str, new_path: str, **kwargs) -> None:
    """A subtree moved: the pages of where it was and of where it is now are drawn afresh."""
    touch(old_path)
    touch_under(new_path)


def lock_month(kitchen: Organisation, month: datetime.date) -> MonthlySummary:
    MonthlySummary.objects.get_or_create(kitchen=kitchen, month=month, defaults={"path": kitchen.path})
    summary = MonthlySummary.objects.select_for_update().get(kitchen=kitchen, month=month)
    summary.kitchen = kitchen  # bump() needs its district: no second query
    return summary


def lock_open_month(kitchen: Organisation, day: datetime.date) -> MonthlySummary:
    """Lock the month's summary row and refuse the change if the month is closed."""
    month = month_start(day)
    summary = lock_month(kitchen, month)
    refusal = _closed(MonthClose.objects.filter(kitchen=kitchen, month=month).first(), month)
    if refusal is not None:
        raise refusal
    return summary


def _closed(close: MonthClose | None, month: datetime.date) -> ValidationError | None:
    """The refusal of a change to a month its close locks, or None if the month is open."""
    if close is None or not close.is_locked:
        return None
    if close.status == MonthClose.Status.VALIDATED:
        message = _("El mes %(month)s ya fue validado por la coordinación y no se puede modificar.")
    else:
        message = _("El mes %(month)s está cerrado. Para corregirlo, pida a la coordinación que lo devuelva.")
    return ValidationError(message % {"month": month_label(month)}, code="month_closed")


def lock_open_months(kitchens: dict[int, Organisation], pairs: set[tuple[int, datetime.date]]
                     ) -> tuple[dict[tuple, MonthlySummary], dict[tuple, ValidationError]]:
    """`lock_open_month` for many (kitchen id, month) pairs at once, in a bounded number of
    statements whatever their number: the missing summary rows created together, all of them
    locked in (kitchen, month) order — the order every batch takes them in, so two batches never
    wait on each other crosswise — and the month closes read once, under those locks. Returns the
    locked summary per pair, and the refusal per pair whose month is closed (a closed month
    always has its row: closing it made it)."""
    if not pairs:
        return {}, {}
    ordered = sorted(pairs)
    # The missing rows created in one statement (a row that exists is left as it is: `ON
    # CONFLICT DO NOTHING`, no read first), then every row locked in key order. The locked rows
    # carry `days_reported` as it is under the lock, which `bump_many(…, locked=True)` uses
    # instead of reading it again.
    MonthlySummary.objects.bulk_create([MonthlySummary(kitchen_id=k, month=m, path=kitchens[k].path)
                                        for k, m in ordered], ignore_conflicts=True)
    wanted = Q(pk__in=[])
    for k, m in ordered:
        wanted |= Q(kitchen_id=k, month=m)
    query = MonthlySummary.objects.select_for_update().filter(wanted).order_by("kitchen_id", "month")
    separate = connection.vendor == "postgresql"
    if not separate:
        # SQLite: the transaction holds the only write lock since its BEGIN IMMEDIATE, so the
        # closes are read in the same statement. PostgreSQL reads them in one more, after the
        # locks: `close_month` holds the summary row while it writes the close, and a statement
        # that waited for that lock would still see the closes as they were when it began.
        query = query.annotate(close_status=Subquery(
            MonthClose.objects.filter(kitchen_id=OuterRef("kitchen_id"), month=OuterRef("month")).values("status")[:1]))
    locked = {}
    for summary in query:
        summary.kitchen = kitchens[summary.kitchen_id]  # bump_many needs its district: no query per row
        locked[summary.kitchen_id, summary.month] = summary
    if separate:
        ids, months = {k for k, _m in pairs}, {m for _k, m in pairs}
        closes = {(c.kitchen_id, c.month): c for c in MonthClose.objects.filter(kitchen_id__in=ids, month__in=months)}
    else:
        closes = {pair: MonthClose(kitchen_id=pair[0], month=pair[1], status=summary.close_status)
                  for pair, summary in locked.items() if summary.close_status is not None}
    refused = {pair: _closed(closes.get(pair), pair[1]) for pair in pairs}
    return locked, {pair: refusal for pair, refusal in refused.items() if refusal is not None}


def _add(model, key: dict, delta: dict) -> None:
    """Add `delta` to one row of a table of running totals (roll-up, reporting gaps), creating
    it the first time: a savepoint catches the row another transaction created meanwhile, and
    the update is tried again. Rows are only changed with `F()`, never read and written back."""
    change = {f: F(f) + v for f, v in delta.items()}
    touch(key["path"])
    if model.objects.filter(**key).update(**change):
        return
    try:
        with transaction.atomic():
            model.objects.create(**key, **delta)
    except IntegrityError:
        model.objects.filter(**key).update(**change)


def _add_many(model, key_fields: tuple[str, ...], changes: dict[tuple, dict], batch_size: int = 2000) -> None:
    """`_add` for many rows at once (keys are (path, district, month, …)): rows that exist by
    `F()`, the new ones in one bulk insert."""
    touch({k[0] for k in changes})
    existing = set(model.objects.filter(path__in={k[0] for k in changes}, month__in={k[2] for k in changes})
                   .values_list(*key_fields))
    for key in existing & set(changes):
        _add(model, dict(zip(key_fields, key, strict=True)), changes.pop(key))
    model.objects.bulk_create([model(**dict(zip(key_fields, k, strict=True)), **delta) for k, delta in changes.items()],
                              batch_size=batch_size)


def _add_to_rollup(path: str, district: str | None, month: datetime.date, delta: dict) -> None:
    delta = {f: v for f, v in delta.items() if v}
    if delta:
        _add(MonthlyRollup, {"path": rollup_path(path), "district": district or "", "month": month}, delta)


def bump(summary: MonthlySummary, old: dict, new: dict) -> None:
    """Add to the locked summary row the difference between a row's new and old contribution,
    and the same difference to its roll-up row."""
    bump_many([(summary, old, new)])


def bump_many(changes: list[tuple[MonthlySummary, dict, dict]], *, locked: bool = False) -> None:
    """`bump` for many locked summary rows at once (a batch of reports across kitchens), each
    with its (old, new) contributions: the summary rows changed by one statement, each roll-up
    cell (federation path, district, month) by the sum of its kitchens' differences in one
    more, every cell's `FiguresRevision` once, and the chains of reporting months of the
    kitchens whose month gained its first report or lost its last in one more. Rows are taken
    in key order, as every writer takes them."""
    deltas: dict[int, tuple[MonthlySummary, dict]] = {}
    for summary, old, new in changes:
        _summary, delta = deltas.setdefault(summary.pk, (summary, {}))
        for f in SUMMARY_FIELDS:
            delta[f] = delta.get(f, 0) + new.get(f, 0) - old.get(f, 0)
    deltas = {pk: (s, {f: v for f, v in d.items() if v}) for pk, (s, d) in deltas.items()}
    deltas = {pk: sd for pk, sd in sorted(deltas.items()) if sd[1]}
    if not deltas:
        return
    # Read under the row locks we hold, not from the instances: two instances of one row may be in
    # play in one transaction.
    # `locked`: the instances were read under the lock by `lock_open_months` in this transaction,
    # one per row, and nothing has changed the rows since.
    reported = [pk for pk, (_s, d) in deltas.items() if d.get("days_reported")]
    if locked:
        before = {pk: deltas[pk][0].days_reported for pk in reported}
    else:
        before = (dict(MonthlySummary.objects.filter(pk__in=reported).values_list("pk", "days_reported"))
                  if reported else {})
    fields = [MonthlySummary._meta.get_field(f) for f in SUMMARY_FIELDS]
    with connection.cursor() as cursor:
        quote = connection.ops.quote_name
        cursor.executemany(
            "UPDATE {} SET {} WHERE id = %s".format(  # noqa: S608 - names from the model, values bound
                quote(MonthlySummary._meta.db_table), ", ".join(f"{quote(f.column)} = {quote(f.column)} + %s"
                                                                for f in fields)),
            [[f.get_db_prep_save(d.get(f.name, 0), connection) for f in fields] + [pk]
             for pk, (_s, d) in deltas.items()])
    cells: dict[tuple, dict] = defaultdict(dict)
    flips = []
    for pk, (summary, delta) in deltas.items():
        if pk in before:
            delta["kitchens_reporting"] = (before[pk] + delta["days_reported"] > 0) - (before[pk] > 0)
            if delta["kitchens_reporting"]:
                flips.append((summary, delta["kitchens_reporting"]))
        cell = cells[rollup_path(summary.path), summary.kitchen.district_id or "", summary.month]
        for f, v in delta.items():
            cell[f] = cell.get(f, 0) + v
    cells = {key: cell for key, cell in cells.items() if any(cell.values())}
    touch(key[0] for key in cells)
    add_to_rows(MonthlyRollup, ("path", "district", "month"), cells, ROLLUP_FIELDS)
    if flips:
        _link_months(flips)


def _link_months(flips: list[tuple[MonthlySummary, int]]) -> None:
    """Kitchens' months that gained their first report (sign 1) or lost their last (sign −1),
    their summary rows already changed: each kitchen's chain of reporting months in
    `ReportingGap` moves from what it was to what it is, all kitchens' changes in one statement."""
    kitchen_ids = sorted({summary.kitchen_id for summary, _sign in flips})
    _lock_histories(kitchen_ids)
    now: dict[int, set] = defaultdict(set)
    for kitchen_id, month in (MonthlySummary.objects.filter(kitchen_id__in=kitchen_ids, days_reported__gt=0)
                              .values_list("kitchen_id", "month")):
        now[kitchen_id].add(month)
    was = {kitchen_id: set(months) for kitchen_id, months in now.items()}
    cells = {}
    for summary, sign in flips:
        months = was.setdefault(summary.kitchen_id, set())
        (months.discard if sign > 0 else months.add)(summary.month)
        cells[summary.kitchen_id] = (rollup_path(summary.path), summary.kitchen.district_id or "")
    changes: Counter = Counter()
    for kitchen_id, cell in cells.items():
        changes.update(_chain(cell, now[kitchen_id]))
        changes.subtract(_chain(cell, was[kitchen_id]))
    # Their cells' revision moved with the roll-up in `bump_many`.
    changes = {key: {"kitchens": n} for key, n in changes.items() if n}
    add_to_rows(ReportingGap, GAP_KEY, changes, ("kitchens",))


def _chain(cell: tuple[str, str], months: set) -> Counter:
    """(path, district, month, previous month) → 1 for each of a kitchen's reporting months."""
    ordered = sorted(months)
    previous = [ReportingGap.NEVER, *ordered]
    return Counter((*cell, month, before) for month, before in zip(ordered, previous, strict=False))


def _lock_histories(kitchen_ids: list[int]) -> None:
    """Serialise, per kitchen, the changes to which of its months have reports: two saves in
    different months each hold only their own month's row, and both read the other months.
    Taken in kitchen order, in one statement. (SQLite has one writer at a time already.)"""
    if connection.vendor == "postgresql" and kitchen_ids:
        with connection.cursor() as cur:
            cur.executemany("SELECT pg_advisory_xact_lock(%s, %s)", [[GAP_LOCK_SPACE, k] for k in kitchen_ids])


GAP_KEY = ("path", "district", "month", "previous_month")


def _apply_gaps(changes: Counter) -> None:
    """Add these (path, district, month, previous month) → kitchens changes."""
    changes = {k: {"kitchens": n} for k, n in changes.items() if n}
    if len(changes) <= 3:
        for key, delta in changes.items():
            _add(ReportingGap, dict(zip(GAP_KEY, key, strict=True)), delta)
    else:
        _add_many(ReportingGap, GAP_KEY, changes)


def gap_chain(summaries, district: str | None = None) -> Counter:
    """(path, district, month, previous month) → kitchens, for the kitchens of these summary rows
    (which must hold each kitchen's whole history): each reporting month linked to the one
    before. `district` stands in for the kitchens' own (the one they had)."""
    rows = (summaries.filter(days_reported__gt=0).order_by("kitchen_id", "month")
            .values_list("kitchen_id", "path", "kitchen__district_id", "month"))
    out: Counter = Counter()
    last: dict[int, datetime.date] = {}
    for kitchen_id, path, own_district, month in rows.iterator(chunk_size=5000):
        where = (own_district if district is None else district) or ""
        out[rollup_path(path), where, month, last.get(kitchen_id, ReportingGap.NEVER)] += 1
        last[kitchen_id] = month
    return out


def _relink(before: Counter, after: Counter) -> None:
    changes = Counter(after)
    changes.subtract(before)
    _apply_gaps(changes)


def _grouped(summaries, cell=None) -> list[dict]:
    """Roll-up totals of some summary rows, grouped by (cell, district, month)."""
    return list(summaries.values(cell=cell or Substr("path", 1, ROLLUP_PATH_LENGTH),
                                 district=Coalesce("kitchen__district_id", Value("")), m=F("month"))
                .annotate(**{f"sum_{f}": Sum(f) for f in SUMMARY_FIELDS},
                          sum_kitchens_reporting=Count("id", filter=Q(days_reported__gt=0))))


def _refile(summaries, old_cell=None, old_district=None) -> None:
    """Move the contribution of these (already locked or just updated) summary rows from the
    roll-up rows they were filed under to the ones they belong to now."""
    for row in _grouped(summaries, old_cell):
        totals = {f: row[f"sum_{f}"] or 0 for f in ROLLUP_FIELDS}
        _add_to_rollup(row["cell"], row["district"] if old_district is None else old_district, row["m"],
                       {f: -v for f, v in totals.items()})
    for row in _grouped(summaries):
        _add_to_rollup(row["cell"], row["district"], row["m"], {f: row[f"sum_{f}"] or 0 for f in ROLLUP_FIELDS})


def follow_moved_subtree(sender, organisation, old_path: str, new_path: str, **kwargs) -> None:
    """A subtree moved (`orgs.signals.subtree_moved`, in the move's transaction): its kitchens'
    monthly summaries take the new path, and their totals move to the new federation's roll-up
    rows, so a federation's totals keep being one prefix query."""
    old, new = old_path, new_path
    if not (old and new) or old == new:
        return
    moved = MonthlySummary.objects.filter(path__startswith=new)
    staying = MonthlySummary.objects.filter(path__startswith=old)
    list(staying.select_for_update().values_list("pk", flat=True))  # no save slips in between
    chain = gap_chain(staying)
    staying.update(path=Concat(Value(new), Substr("path", len(old) + 1)))
    # Each kitchen's old path is the old prefix and the same tail.
    old_cell = Substr(Concat(Value(old), Substr("path", len(new) + 1)), 1, ROLLUP_PATH_LENGTH)
    _refile(moved, old_cell=old_cell)
    _relink(chain, gap_chain(moved))


def follow_district_change(sender, organisation, old_district: str | None, **kwargs) -> None:
    """A kitchen changed district (`orgs.signals.district_changed`): its totals move to the new
    district's roll-up rows, in the same transaction."""
    summaries = MonthlySummary.objects.filter(kitchen_id=organisation.pk)
    list(summaries.select_for_update().values_list("pk", flat=True))
    _refile(summaries, old_district=old_district or "")
    _relink(gap_chain(summaries, district=old_district or ""), gap_chain(summaries))


def bulk_create(rows: list[MonthlySummary], batch_size: int = 2000) -> None:
    """Insert finished summary rows in bulk (the demo and bulk loads), and add them to the
    roll-up. Callers build the totals themselves; this is the one place bulk summary rows enter
    the database."""
    kitchens = MonthlySummary.objects.filter(kitchen_id__in={r.kitchen_id for r in rows})
    chain = gap_chain(kitchens)
    MonthlySummary.objects.bulk_create(rows, batch_size=batch_size)
    _relink(chain, gap_chain(kitchens))
    districts = dict(Organisation.objects.filter(pk__in={r.kitchen_id for r in rows})
                     .values_list("pk", "district_id"))
    cells: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(ROLLUP_FIELDS, 0))
    for r in rows:
        cell = cells[rollup_path(r.path), districts.get(r.kitchen_id) or "", r.month]
        for f in SUMMARY_FIELDS:
            cell[f] += getattr(r, f)
        cell["kitchens_reporting"] += r.days_reported > 0
    _add_many(MonthlyRollup, ("path", "district", "month"), dict(cells), batch_size)


def insert_from_reports(path_prefix: str) -> int:
    """Write, in the database itself, the summaries and roll-up rows of the kitchens under
    `path_prefix` from their daily reports alone (a bulk load with no stock movements or
    subsidies yet, and no summary rows for those kitchens before). Returns the summary rows."""
    month = ("date_trunc('month', r.date)::date" if connection.vendor == "postgresql"
             else "DATE(r.date, 'start of month')")
    substr = "SUBSTRING(s.path FROM 1 FOR %s)" if connection.vendor == "postgresql" else "SUBSTR(s.path, 1, %s)"
    # Table and column names are the models' own; the values are parameters.
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO kitchens_monthlysummary (kitchen_id, path, month, days_reported, days_cooked, "  # noqa: S608
            "rations_prepared, served_paying, served_subsidised, served_free, cash_received, purchases_cost, "
            "state_food_value, subsidy_received) "
            f"SELECT r.kitchen_id, k.path, {month}, COUNT(*), SUM(CASE WHEN r.is_closed THEN 0 ELSE 1 END), "
            "SUM(r.rations_prepared), SUM(r.served_paying), SUM(r.served_subsidised), SUM(r.served_free), "
            "SUM(r.cash_received), 0, 0, 0 "
            "FROM kitchens_dailyreport r JOIN orgs_organisation k ON k.id = r.kitchen_id "
            f"WHERE k.path LIKE %s GROUP BY r.kitchen_id, k.path, {month}", [path_prefix + "%"])
        count = cur.rowcount
        cur.execute(
            "INSERT INTO kitchens_monthlyrollup (path, district, month, kitchens_reporting, days_reported, "  # noqa: S608
            "days_cooked, rations_prepared, served_paying, served_subsidised, served_free, cash_received, "
            "purchases_cost, state_food_value, subsidy_received) "
            f"SELECT {substr}, COALESCE(k.district_id, ''), s.month, "
            "SUM(CASE WHEN s.days_reported > 0 THEN 1 ELSE 0 END), SUM(s.days_reported), SUM(s.days_cooked), "
            "SUM(s.rations_prepared), SUM(s.served_paying), SUM(s.served_subsidised), SUM(s.served_free), "
            "SUM(s.cash_received), SUM(s.purchases_cost), SUM(s.state_food_value), SUM(s.subsidy_received) "
            "FROM kitchens_monthlysummary s JOIN orgs_organisation k ON k.id = s.kitchen_id "
            f"WHERE s.path LIKE %s GROUP BY {substr}, COALESCE(k.district_id, ''), s.month",
            [ROLLUP_PATH_LENGTH, path_prefix + "%", ROLLUP_PATH_LENGTH])
        never = "DATE '1900-01-01'" if connection.vendor == "postgresql" else "'1900-01-01'"
        cur.execute(
            "INSERT INTO kitchens_reportinggap (path, district, month, previous_month, kitchens) "  # noqa: S608
            "SELECT cell, district, month, previous, COUNT(*) FROM ("
            f"SELECT {substr} AS cell, COALESCE(k.district_id, '') AS district, s.month AS month, "
            f"COALESCE(LAG(s.month) OVER (PARTITION BY s.kitchen_id ORDER BY s.month), {never}) AS previous "
            "FROM kitchens_monthlysummary s JOIN orgs_organisation k ON k.id = s.kitchen_id "
            "WHERE s.path LIKE %s AND s.days_reported > 0) AS t GROUP BY cell, district, month, previous",
            [ROLLUP_PATH_LENGTH, path_prefix + "%"])
    touch_under(path_prefix)
    return count
