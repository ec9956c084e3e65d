"""Deliveries promised vs received: the one days-late rule, and the roll-up the dashboards read.

A promised delivery (`DeliverySchedule`) counts once in `DeliveryRollup`, in the row of its
kitchen's roll-up cell and district, its municipality, food and promised day. Its contribution
is `contribution()`; every change to a schedule or its receipts moves the row by the
difference between the contribution before and after, in the same transaction
(`follow()`), and an organisation move refiles the contributions of the subtree's schedules.
`rebuild()` writes the rows of a subtree from its schedules (bulk loads, the migration), and
`ayni check-integrity` holds the rows to that recomputation.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import DateField, DecimalField, F, Func, IntegerField, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Greatest

from ayni.kitchens.models import QTY, DeliveryRollup, DeliverySchedule
from ayni.kitchens.summaries import ROLLUP_PATH_LENGTH, _add, rollup_path, touch_under

QUANTUM = Decimal(10) ** -QTY["decimal_places"]
KEY = ("path", "district", "municipality_id", "item_id", "due_on")
COUNTS = ("deliveries", "promised", "received", "short", "pending", "late_received", "days_late_received")


def days_late(due_on: datetime.date, arrived_on: datetime.date) -> int:
    """The days-late rule, the one place it lives: from the promised day to the first receipt,
    or to today while nothing has arrived; never below 0 (early food is not late).
    `days_late_sql` is the same rule for the database."""
    return max(0, (arrived_on - due_on).days)


class DaysBetween(Func):
    """Whole days from the date `start` to the date `end` (negative when `end` comes first), the
    same integer on both engines: PostgreSQL subtracts dates; SQLite keeps them as ISO text, whose
    Julian day numbers differ by exactly the days between them."""

    output_field = IntegerField()
    arity = 2

    def __init__(self, start, end, **extra):
        super().__init__(end, start, **extra)

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="CAST(julianday(%(expressions)s) AS INTEGER)",
                              arg_joiner=") - julianday(", **extra)


def days_late_sql(due_on, arrived_on):
    """`days_late` as a database expression."""
    return Greatest(Value(0), DaysBetween(due_on, arrived_on), output_field=IntegerField())


def with_delivery_figures(schedules: QuerySet[DeliverySchedule], today: datetime.date) -> QuerySet:
    """Each promised delivery with what arrived for it, computed by the database: `received` (all
    its receipts), `first_receipt` (or None) and `days_late` (`days_late`). The shortfall is what
    was promised minus everything received for it."""
    arrived = Coalesce(F("first_receipt"), Value(today, output_field=DateField()))
    return schedules.annotate(
        received=Coalesce(Sum("receipts__quantity"), Value(Decimal(0)), output_field=DecimalField(**QTY)),
        first_receipt=Min("receipts__received_on"),
    ).annotate(days_late=days_late_sql(F("due_on"), arrived))


def contribution(promised: Decimal, received, first_receipt: datetime.date | None, due_on: datetime.date) -> dict:
    """What one promised delivery adds to its roll-up row. Independent of the date: a delivery
    still pending is counted in `pending` and made late when read."""
    received = Decimal(str(received or 0)).quantize(QUANTUM)  # SQLite sums decimals as floats
    late = 0 if first_receipt is None else days_late(due_on, first_receipt)
    return {"deliveries": 1, "promised": promised, "received": received, "short": int(received < promised),
            "pending": int(first_receipt is None), "late_received": int(late > 0), "days_late_received": late}


STATE_FIELDS = ("kitchen__path", "kitchen__district_id", "municipality_id", "item_id", "due_on", "quantity",
                "received", "first_receipt")


def _states(schedules: QuerySet[DeliverySchedule]):
    """(key, contribution) of each schedule, its key from its kitchen's path and district now."""
    rows = (with_delivery_figures(schedules.order_by(), datetime.date.min).values_list(*STATE_FIELDS)
            .iterator(chunk_size=5000))
    for path, district, municipality, item, due_on, quantity, received, first in rows:
        yield (rollup_path(path), district or "", municipality, item, due_on), contribution(
            quantity, received, first, due_on)


def state(schedule_id: int) -> tuple[tuple, dict] | None:
    """A schedule's roll-up key and contribution as they are now (one query), for `follow`."""
    return next(_states(DeliverySchedule.objects.filter(pk=schedule_id)), None)


def _apply(changes: dict[tuple, dict]) -> None:
    for key, delta in changes.items():
        delta = {f: v for f, v in delta.items() if v}
        if delta:
            _add(DeliveryRollup, dict(zip(KEY, key, strict=True)), delta)


def _subtract(changes: dict, key: tuple, c: dict, sign: int) -> None:
    row = changes.setdefault(key, dict.fromkeys(COUNTS, 0))
    for f in COUNTS:
        row[f] += sign * c[f]


def follow(before: tuple[tuple, dict] | None, after: tuple[tuple, dict] | None) -> None:
    """Move the roll-up by a schedule's change: `before` and `after` are `state()` around it,
    taken in the transaction that changes it, with the schedule row locked."""
    changes: dict[tuple, dict] = {}
    if before is not None:
        _subtract(changes, before[0], before[1], -1)
    if after is not None:
        _subtract(changes, after[0], after[1], 1)
    _apply(changes)


def _refile(schedules: QuerySet[DeliverySchedule], old_key) -> None:
    """Move these schedules' contributions from the keys they were filed under (`old_key(path,
    key)`, from the kitchen's whole path now and the key now) to the ones they have now."""
    changes: dict[tuple, dict] = {}
    rows = with_delivery_figures(schedules.order_by(), datetime.date.min).values_list(*STATE_FIELDS)
    for path, district, municipality, item, due_on, quantity, received, first in rows.iterator(chunk_size=5000):
        key = (rollup_path(path), district or "", municipality, item, due_on)
        old = old_key(path, key)
        if old != key:
            c = contribution(quantity, received, first, due_on)
            _subtract(changes, old, c, -1)
            _subtract(changes, key, c, 1)
    _apply(changes)


def follow_moved_subtree(sender, organisation, old_path: str, new_path: str, **kwargs) -> None:
    """A subtree moved (`orgs.signals.subtree_moved`): its kitchens' deliveries move to the roll-up
    cells the kitchens are in now, in the move's transaction. A kitchen's old path is the old
    prefix and the same tail."""
    if not (old_path and new_path) or old_path == new_path:
        return
    _refile(DeliverySchedule.objects.filter(kitchen__path__startswith=new_path),
            lambda path, key: (rollup_path(old_path + path[len(new_path):]), *key[1:]))


def follow_district_change(sender, organisation, old_district: str | None, **kwargs) -> None:
    """A kitchen changed district (`orgs.signals.district_changed`): its deliveries move to the
    new district's roll-up rows."""
    was = old_district or ""
    _refile(DeliverySchedule.objects.filter(kitchen_id=organisation.pk), lambda path, key: (key[0], was, *key[2:]))


def recompute(path_prefix: str = "") -> dict[tuple, dict]:
    """The roll-up rows of the kitchens under `path_prefix`, from their schedules and receipts."""
    out: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    for key, c in _states(DeliverySchedule.objects.filter(kitchen__path__startswith=path_prefix)):
        row = out[key]
        for f in COUNTS:
            row[f] += c[f]
    return dict(out)


def rebuild(path_prefix: str = "") -> int:
    """Write the roll-up rows of the kitchens under `path_prefix` afresh from their schedules (a
    bulk load, or a repair after `ayni check-integrity` found a difference). The cells of a
    subtree are its own only from a federation down, so a deeper prefix rebuilds its federation."""
    prefix = path_prefix[:ROLLUP_PATH_LENGTH]
    rows = recompute(prefix)
    DeliveryRollup.objects.filter(path__startswith=prefix).delete()
    DeliveryRollup.objects.bulk_create([DeliveryRollup(**dict(zip(KEY, k, strict=True)), **c)
                                        for k, c in rows.items()], batch_size=2000)
    touch_under(prefix)
    return len(rows)


def totals(rows: QuerySet[DeliveryRollup], today: datetime.date, **group) -> list[dict]:
    """Roll-up rows summed per group (`group`: output name → expression, as for `summed`; one
    query): how many deliveries, promised and received, how many late and by how many days as
    of `today`, how many short and pending. A delivery still pending is late from the day after
    its promised day (`days_late`)."""
    overdue = Q(due_on__lt=today)
    figures = rows.order_by().values(**group).annotate(
        n=Sum("deliveries"), promised_sum=Sum("promised"), received_sum=Sum("received"),
        late_done=Sum("late_received"), days_done=Sum("days_late_received"), short_sum=Sum("short"),
        pending_sum=Sum("pending"), overdue=Coalesce(Sum("pending", filter=overdue), 0),
        days_overdue=Coalesce(Sum(F("pending") * days_late_sql(F("due_on"), Value(today, output_field=DateField())),
                                  filter=overdue), 0))
    out = []
    for r in figures:
        g = {f: r[f] for f in group}
        g.update(deliveries=int(r["n"]), promised=Decimal(str(r["promised_sum"])).quantize(QUANTUM),
                 received=Decimal(str(r["received_sum"])).quantize(QUANTUM),
                 late=int(r["late_done"] + r["overdue"]), days_late=int(r["days_done"] + r["days_overdue"]),
                 short=int(r["short_sum"]), pending=int(r["pending_sum"]))
        g["average_days_late"] = round(g["days_late"] / g["deliveries"], 1) if g["deliveries"] else 0
        out.append(g)
    return out


DELIVERY_COUNTS = ("deliveries", "promised", "received", "late", "days_late", "short", "pending")


def summed(schedules: QuerySet[DeliverySchedule], today: datetime.date, **group) -> list[dict]:
    """The promised deliveries themselves summed per group (`group`: output name → expression,
    e.g. municipality=F("municipality_id")) in one query — for a selection the roll-up cannot
    answer (below a federation): the same figures as `totals`. Each schedule's figures are
    `with_delivery_figures`'s, grouped once per schedule inside, then summed per group outside;
    SQLite sums decimals as floating point, so `received` is rounded before it is compared."""
    from django.db import connection

    inner = (with_delivery_figures(schedules.order_by(), today)
             .values("received", "first_receipt", "days_late", schedule=F("pk"), promised=F("quantity"), **group))
    sql, params = inner.query.sql_with_params()
    qn = connection.ops.quote_name
    keys = ", ".join(qn(k) for k in group)
    places = QTY["decimal_places"]
    # The inner query is Django's own SQL, with its parameters; the names are the ones given above.
    outer = (f"SELECT {keys}, COUNT(*), SUM(promised), SUM(received), "  # noqa: S608
             "SUM(CASE WHEN days_late > 0 THEN 1 ELSE 0 END), SUM(days_late), "
             f"SUM(CASE WHEN ROUND(received, {places}) < promised THEN 1 ELSE 0 END), "
             f"SUM(CASE WHEN first_receipt IS NULL THEN 1 ELSE 0 END) FROM ({sql}) AS t GROUP BY {keys}")
    with connection.cursor() as cur:
        cur.execute(outer, params)
        rows = cur.fetchall()
    out = []
    for row in rows:
        g = dict(zip(group, row[:len(group)], strict=True))
        counts = dict(zip(DELIVERY_COUNTS, row[len(group):], strict=True))
        for f in ("promised", "received"):
            counts[f] = Decimal(str(counts[f])).quantize(QUANTUM)
        for f in ("deliveries", "late", "days_late", "short", "pending"):
            counts[f] = int(counts[f])
        g.update(counts)
        g["average_days_late"] = round(g["days_late"] / g["deliveries"], 1)
        out.append(g)
    return out
