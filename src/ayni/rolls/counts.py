"""People fed, kept like every other figure of the roll-up: every roll write changes, in its own
transaction, how many entries of its roll-up cell (provincial federation × district, as
`kitchens.MonthlyRollup`) start and end in each month (`RollFlow`), and the rows of the people
with more than one entry (`RepeatedPersonEntry`). This module is the one write path of both.

"People fed between the months F and L" is today's figure exactly: the distinct people with an
entry in the selection that is open at some time in the range (`since` ≤ the last day of L and
`until` after the first day of F — `until` is the day she left). An entry's first month is its
`since`'s, its last month that of the day before `until`; it is in the range when first ≤ L and
last ≥ F. Every entry whose last month is before F started by L (an entry's last month is at
most one before its first), so the entries in the range are those started by L less those
ended before F: two sums over `RollFlow`. A person with several entries in the range is counted
once by subtracting, over `RepeatedPersonEntry`, her entries in the range less one.

Lock order: the people, then their entries (the services lock those), then the kitchens; a
subtree move locks the kitchens' rows too, so a roll write files its entries under the path the
kitchen has when it commits, and a move carries every committed entry with it.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q

from ayni.kitchens.summaries import ROLLUP_PATH_LENGTH, _add, _add_many, rollup_path
from ayni.orgs.models import Organisation
from ayni.people.models import Person
from ayni.rolls.models import RepeatedPersonEntry, RollEntry, RollFlow

FLOW_KEY = ("path", "district", "month")
CHUNK = 900  # ids per query: under SQLite's older limit of 999 parameters


def first_month(since: datetime.date) -> datetime.date:
    return since.replace(day=1)


def last_month(until: datetime.date | None) -> datetime.date | None:
    """The month of the last day on the roll (the day before she left); None while she stays."""
    return None if until is None else (until - datetime.timedelta(days=1)).replace(day=1)


@dataclass(frozen=True, slots=True)
class Mark:
    """An entry as the counts see it: whose, in which roll-up cell, from which month to which."""

    entry_id: int
    person_id: int
    path: str
    district: str
    first: datetime.date
    last: datetime.date | None


@dataclass
class Held:
    """The people a roll write changes, locked, with their entries as they were before it."""

    people: set[int]
    marks: dict[int, Mark]


def _chunks(ids):
    ids = sorted(ids)
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def _lock_kitchens(kitchen_ids) -> dict[int, tuple[str, str]]:
    """Lock the kitchens (in id order, so two writers never wait for each other in a circle) and
    read their cells: their path cannot change under a write before it commits."""
    kitchens = {}
    for chunk in _chunks(set(kitchen_ids)):
        lock = Organisation.objects.select_for_update(no_key=True).filter(pk__in=chunk).order_by("pk")
        kitchens.update((pk, (rollup_path(path), district or ""))
                        for pk, path, district in lock.values_list("pk", "path", "district_id"))
    return kitchens


def _marks(rows: list[tuple], also_lock=()) -> dict[int, Mark]:
    """Marks of (entry id, person id, kitchen id, since, until) rows, their kitchens locked."""
    kitchens = _lock_kitchens({r[2] for r in rows} | set(also_lock))
    return {pk: Mark(pk, person_id, *kitchens[kitchen_id], first_month(since), last_month(until))
            for pk, person_id, kitchen_id, since, until in rows}


def _entries_of(people, also_lock=()) -> dict[int, Mark]:
    rows = []
    for chunk in _chunks(people):
        rows += RollEntry.objects.filter(person_id__in=chunk).values_list("pk", "person_id", "kitchen_id", "since",
                                                                          "until")
    return _marks(rows, also_lock)


def hold_people(person_ids, kitchens=()) -> Held:
    """Lock these people and read their entries: call before changing their entries. The
    kitchens they are on, and `kitchens` (where the write puts someone), are locked at once."""
    people = {p for p in person_ids if p is not None}
    for chunk in _chunks(people):
        list(Person.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values_list("pk", flat=True))
    return Held(people, _entries_of(people, kitchens))


def hold_entries(entry_ids) -> Held:
    """Lock the people of these entries (before the entries themselves, as every roll write
    does). Read again once locked: a merge may have given an entry to another person meanwhile."""
    ids = list(entry_ids)

    def whose() -> set[int]:
        return set(RollEntry.objects.filter(pk__in=ids).values_list("person_id", flat=True))

    held = hold_people(whose())
    while not (now := whose()) <= held.people:
        held = hold_people(held.people | now)
    return held


def _flows(changes: dict, marks, sign: int) -> None:
    for m in marks:
        changes[m.path, m.district, m.first]["entries_started"] += sign
        if m.last is not None:
            changes[m.path, m.district, m.last]["entries_ended"] += sign


def _new_changes() -> dict:
    return defaultdict(lambda: {"entries_started": 0, "entries_ended": 0})


def _apply_flows(changes: dict) -> None:
    changes = {k: {f: n for f, n in delta.items() if n} for k, delta in changes.items()}
    changes = {k: delta for k, delta in changes.items() if delta}
    if len(changes) <= 4:
        for key, delta in changes.items():
            _add(RollFlow, dict(zip(FLOW_KEY, key, strict=True)), delta)
    elif changes:
        _add_many(RollFlow, FLOW_KEY, changes)


def _repeated(marks) -> list[RepeatedPersonEntry]:
    by_person = defaultdict(list)
    for m in marks:
        by_person[m.person_id].append(m)
    return [RepeatedPersonEntry(entry_id=m.entry_id, person_id=m.person_id, path=m.path, district=m.district,
                                first_month=m.first, last_month=m.last)
            for ms in by_person.values() if len(ms) > 1 for m in ms]


def recount(held: Held, new_entries=()) -> None:
    """After the write: move the flows by the difference between the held people's entries
    before and now, add `new_entries` (entries of people who had none before, saved), and
    rewrite the repeated-entry rows of all of them."""
    after = _entries_of(held.people)
    new = _marks([(e.pk, e.person_id, e.kitchen_id, e.since, e.until) for e in new_entries])
    changes = _new_changes()
    _flows(changes, held.marks.values(), -1)
    _flows(changes, [*after.values(), *new.values()], 1)
    _apply_flows(changes)
    before_people = {m.person_id for m in _repeated(held.marks.values())}
    for chunk in _chunks(before_people):
        RepeatedPersonEntry.objects.filter(person_id__in=chunk).delete()
    RepeatedPersonEntry.objects.bulk_create(_repeated([*after.values(), *new.values()]), batch_size=500)


def refile_kitchens(kitchen_ids, old_cell) -> None:
    """The kitchens' roll-up cell changed (a subtree moved, a kitchen changed district): their
    entries' flows and repeated rows follow. `old_cell(path, district)` gives the cell a kitchen
    had, from its whole path and district now. Called in the transaction of the move, after it."""
    rows, was_in = [], {}
    for chunk in _chunks(set(kitchen_ids)):
        rows += RollEntry.objects.filter(kitchen_id__in=chunk).values_list("pk", "person_id", "kitchen_id", "since",
                                                                           "until")
        was_in.update((pk, old_cell(path, district or "")) for pk, path, district in
                      Organisation.objects.filter(pk__in=chunk).values_list("pk", "path", "district_id"))
    now = _marks(rows)
    kitchen_of = {r[0]: r[2] for r in rows}
    was = {pk: Mark(pk, m.person_id, *was_in[kitchen_of[pk]], m.first, m.last) for pk, m in now.items()}
    changes = _new_changes()
    _flows(changes, was.values(), -1)
    _flows(changes, now.values(), 1)
    _apply_flows(changes)
    for chunk in _chunks(now):
        for row in RepeatedPersonEntry.objects.filter(entry_id__in=chunk):
            m = now[row.entry_id]
            if (row.path, row.district) != (m.path, m.district):
                RepeatedPersonEntry.objects.filter(pk=row.pk).update(path=m.path, district=m.district)


def follow_moved_kitchens(sender, organisation, old_path: str, new_path: str, **kwargs) -> None:
    """A subtree moved (`orgs.signals.subtree_moved`): its kitchens' roll entries' counts move
    to the cells the kitchens are in now, in the move's transaction."""
    old, new = old_path, new_path
    if not (old and new) or (min(len(old), len(new)) >= ROLLUP_PATH_LENGTH and rollup_path(old) == rollup_path(new)):
        return  # moved inside one federation: every kitchen keeps its cell
    kitchens = Organisation.objects.filter(path__startswith=new, kind__is_kitchen=True).values_list("pk", flat=True)
    refile_kitchens(list(kitchens), lambda path, district: (rollup_path(old + path[len(new):]), district))


def follow_district_change(sender, organisation, old_district: str | None, **kwargs) -> None:
    """A kitchen changed district (`orgs.signals.district_changed`): its entries' counts move
    to the new district's cells."""
    was = old_district or ""
    refile_kitchens([organisation.pk], lambda path, district: (rollup_path(path), was))


def insert_from_entries(path_prefix: str) -> None:
    """Write, in the database itself, the flows and repeated rows of the roll entries of the
    kitchens under `path_prefix` (a bulk load: those kitchens had no counted entries before,
    and their people have no entries elsewhere — the demo's new confederation)."""
    pg = connection.vendor == "postgresql"
    cell = "SUBSTRING(k.path FROM 1 FOR %s)" if pg else "SUBSTR(k.path, 1, %s)"
    first = "date_trunc('month', e.since)::date" if pg else "DATE(e.since, 'start of month')"
    last = ("CASE WHEN e.until IS NULL THEN NULL ELSE date_trunc('month', e.until - 1)::date END" if pg
            else "DATE(e.until, '-1 day', 'start of month')")
    entries = ("FROM rolls_rollentry e JOIN orgs_organisation k ON k.id = e.kitchen_id WHERE k.path LIKE %s")
    # Table and column names are the models' own; the values are parameters.
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO rolls_rollflow (path, district, month, entries_started, entries_ended) "  # noqa: S608
            "SELECT cell, district, month, SUM(started), SUM(ended) FROM ("
            f"SELECT {cell} AS cell, COALESCE(k.district_id, '') AS district, {first} AS month, 1 AS started, "
            f"0 AS ended {entries} UNION ALL "
            f"SELECT {cell}, COALESCE(k.district_id, ''), {last}, 0, 1 {entries} AND e.until IS NOT NULL"
            ") AS t GROUP BY cell, district, month",
            [ROLLUP_PATH_LENGTH, path_prefix + "%", ROLLUP_PATH_LENGTH, path_prefix + "%"])
        cur.execute(
            "INSERT INTO rolls_repeatedpersonentry (entry_id, person_id, path, district, first_month, "  # noqa: S608
            f"last_month) SELECT e.id, e.person_id, {cell}, COALESCE(k.district_id, ''), {first}, {last} "
            f"{entries} AND e.person_id IN (SELECT e.person_id {entries} GROUP BY e.person_id HAVING COUNT(*) > 1)",
            [ROLLUP_PATH_LENGTH, path_prefix + "%", path_prefix + "%"])


def in_range(first: datetime.date, last: datetime.date) -> Q:
    """The repeated-entry rows open at some time in the months first..last."""
    return Q(first_month__lte=last) & (Q(last_month__isnull=True) | Q(last_month__gte=first))
