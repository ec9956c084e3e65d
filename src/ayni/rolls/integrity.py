"""The people-fed counts of the roll-up (`rolls.counts`), recomputed from the roll entries and
compared row by row; and, as the reference, each roll-up cell's people counted directly from
its entries (each person once, as the dashboard counted them before the roll-up kept them)."""

from collections import defaultdict

from django.db.models import Count, Sum, Value
from django.db.models.functions import Coalesce, Substr

from ayni.kitchens.summaries import ROLLUP_PATH_LENGTH, rollup_path
from ayni.rolls.counts import Mark, _flows, _new_changes, first_month, last_month
from ayni.rolls.models import RepeatedPersonEntry, RollEntry, RollFlow

FLOW_FIELDS = ("entries_started", "entries_ended")


def _month(m) -> str:
    return "-" if m is None else f"{m:%Y-%m}"


def _marks(entries):
    rows = entries.values_list("pk", "person_id", "kitchen__path", "kitchen__district_id", "since", "until")
    for pk, person_id, path, district, since, until in rows.iterator(chunk_size=5000):
        yield Mark(pk, person_id, rollup_path(path), district or "", first_month(since), last_month(until))


def flow_violations() -> list[str]:
    """Each `RollFlow` row equals the entries of its cell starting and ending in its month."""
    fresh = _new_changes()
    _flows(fresh, _marks(RollEntry.objects.all()), 1)
    stored = {(r.path, r.district, r.month): {f: getattr(r, f) for f in FLOW_FIELDS} for r in RollFlow.objects.all()}
    out = []
    for key in sorted(set(fresh) | set(stored), key=lambda k: (k[0], k[1], str(k[2]))):
        want, have = fresh.get(key, {}), stored.get(key, {})
        diff = ", ".join(f"{f}: {have.get(f, 0)} ≠ {want.get(f, 0)}" for f in FLOW_FIELDS
                         if have.get(f, 0) != want.get(f, 0))
        if diff:
            out.append(f"people counts of {key[0]} in district {key[1] or '-'} for {key[2]:%Y-%m} differ from its "
                       f"roll entries ({diff})")
    return out


def repeated_violations() -> list[str]:
    """The repeated-person rows are exactly the entries of the people with more than one."""
    people = RollEntry.objects.values("person_id").annotate(n=Count("pk")).filter(n__gt=1).values("person_id")
    fresh = {m.entry_id: (m.person_id, m.path, m.district, m.first, m.last)
             for m in _marks(RollEntry.objects.filter(person_id__in=people))}
    stored = {r.entry_id: (r.person_id, r.path, r.district, r.first_month, r.last_month)
              for r in RepeatedPersonEntry.objects.all()}
    out = []
    for pk in sorted(set(fresh) | set(stored)):
        want, have = fresh.get(pk), stored.get(pk)
        if want == have:
            continue
        if have is None:
            out.append(f"roll entry {pk} belongs to a person with several entries but has no repeated-person row")
        elif want is None:
            out.append(f"repeated-person row of roll entry {pk} stands for no person with several entries")
        else:
            out.append(f"repeated-person row of roll entry {pk} says person {have[0]} in {have[1]} district "
                       f"{have[2] or '-'} {_month(have[3])}..{_month(have[4])}; the entry says person {want[0]} in "
                       f"{want[1]} district {want[2] or '-'} {_month(want[3])}..{_month(want[4])}")
    return out


def people_fed_violations() -> list[str]:
    """The reference: each roll-up cell's people over all time, counted from its entries with
    each person once, equal the roll-up's count (entries started, less the repeats)."""
    cell = {"cell": Substr("kitchen__path", 1, ROLLUP_PATH_LENGTH),
            "district": Coalesce("kitchen__district_id", Value(""))}
    direct = {(r["cell"], r["district"]): r["n"]
              for r in RollEntry.objects.values(**cell).annotate(n=Count("person_id", distinct=True))}
    counted: dict[tuple, int] = defaultdict(int)
    for r in RollFlow.objects.values("path", "district").annotate(n=Coalesce(Sum("entries_started"), 0)):
        counted[r["path"], r["district"]] += r["n"]
    for r in RepeatedPersonEntry.objects.values("path", "district").annotate(
            entries=Count("pk"), people=Count("person_id", distinct=True)):
        counted[r["path"], r["district"]] -= r["entries"] - r["people"]
    out = []
    for key in sorted(set(direct) | {k for k, n in counted.items() if n}):
        if direct.get(key, 0) != counted.get(key, 0):
            out.append(f"people fed in {key[0]} district {key[1] or '-'}: the roll-up counts {counted.get(key, 0)}, "
                       f"its roll entries hold {direct.get(key, 0)} people")
    return out


def violations() -> list[str]:
    return flow_violations() + repeated_violations() + people_fed_violations()
