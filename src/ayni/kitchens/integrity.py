"""The invariants of kitchen operations, recomputed from scratch.

Stored balances and monthly summaries are kept incrementally by the services; these functions
recompute them from the raw rows with grouped queries and name every place where the two
disagree. `ayni check-integrity` runs them; the tests use them as the oracle.
"""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth

from ayni.kitchens.models import (
    STATE_FOOD,
    SUMMARY_FIELDS,
    DailyReport,
    DeliveryReceipt,
    MonthlyRollup,
    MonthlySummary,
    MovementKind,
    ReportingGap,
    StockBalance,
    StockCount,
    StockMovement,
    SubsidyPayment,
)


def recompute_summaries() -> dict[tuple[int, object], dict]:
    """(kitchen id, month) → totals, from the reports, movements and subsidies themselves."""
    out: dict[tuple[int, object], dict] = defaultdict(lambda: dict.fromkeys(SUMMARY_FIELDS, 0))
    reports = (
        DailyReport.objects.annotate(m=TruncMonth("date")).values("kitchen_id", "m")
        .annotate(days_reported=Count("id"), days_cooked=Count("id", filter=Q(is_closed=False)),
                  rations_prepared=Sum("rations_prepared"), served_paying=Sum("served_paying"),
                  served_subsidised=Sum("served_subsidised"), served_free=Sum("served_free"),
                  cash_received=Sum("cash_received"))
    )
    for row in reports:
        out[row["kitchen_id"], row["m"]].update({k: row[k] for k in SUMMARY_FIELDS if k in row})
    movements = (
        StockMovement.objects.annotate(m=TruncMonth("date")).values("kitchen_id", "m")
        .annotate(purchases_cost=Sum("value", filter=Q(kind=MovementKind.PURCHASE)),
                  state_food_value=Sum("value", filter=Q(kind__in=STATE_FOOD)))
    )
    for row in movements:
        totals = out[row["kitchen_id"], row["m"]]
        totals["purchases_cost"] = row["purchases_cost"] or 0
        totals["state_food_value"] = row["state_food_value"] or 0
    for row in SubsidyPayment.objects.values("kitchen_id", "month").annotate(total=Sum("amount")):
        out[row["kitchen_id"], row["month"]]["subsidy_received"] = row["total"]
    return dict(out)


def stored_summaries() -> dict[tuple[int, object], dict]:
    return {(s.kitchen_id, s.month): s.as_totals() for s in MonthlySummary.objects.all()}


def _num(value, places: str = "0.01") -> Decimal:
    # SQLite sums decimals as floating point: compare at the columns' own precision.
    return Decimal(str(value or 0)).quantize(Decimal(places))


def _same(a: dict, b: dict) -> bool:
    return all(_num(a.get(f)) == _num(b.get(f)) for f in SUMMARY_FIELDS)


def summary_violations() -> list[str]:
    fresh, stored = recompute_summaries(), stored_summaries()
    zero = dict.fromkeys(SUMMARY_FIELDS, 0)
    out = []
    for key in sorted(set(fresh) | set(stored), key=lambda k: (k[0], str(k[1]))):
        want, have = fresh.get(key, zero), stored.get(key, zero)
        if not _same(want, have):
            diff = ", ".join(f"{f}: {have.get(f)} ≠ {want.get(f)}" for f in SUMMARY_FIELDS
                             if _num(have.get(f)) != _num(want.get(f)))
            out.append(f"monthly summary of kitchen {key[0]} for {key[1]:%Y-%m} differs from its rows ({diff})")
    stale = MonthlySummary.objects.exclude(path=F("kitchen__path")).values_list("kitchen_id", "month", "path")
    for kitchen_id, month, path in stale:
        out.append(f"monthly summary of kitchen {kitchen_id} for {month:%Y-%m} has a stale path {path!r}")
    return out


def recompute_rollups() -> dict[tuple[str, str, object], dict]:
    """(roll-up path, district, month) → totals, from the kitchens' monthly summaries."""
    from ayni.kitchens.summaries import ROLLUP_FIELDS, rollup_path

    out: dict[tuple[str, str, object], dict] = defaultdict(lambda: dict.fromkeys(ROLLUP_FIELDS, 0))
    rows = MonthlySummary.objects.values_list("path", "kitchen__district_id", "month", *SUMMARY_FIELDS)
    for path, district, month, *values in rows.iterator(chunk_size=5000):
        cell = out[rollup_path(path), district or "", month]
        for f, v in zip(SUMMARY_FIELDS, values, strict=True):
            cell[f] += v
        cell["kitchens_reporting"] += values[0] > 0
    return dict(out)


def rollup_violations() -> list[str]:
    """Each roll-up row equals the sum of its kitchens' summaries (a missing row counts as zeros)."""
    from ayni.kitchens.summaries import ROLLUP_FIELDS

    fresh = recompute_rollups()
    stored = {(r.path, r.district, r.month): r.as_totals() for r in MonthlyRollup.objects.all()}
    zero = dict.fromkeys(ROLLUP_FIELDS, 0)
    out = []
    for key in sorted(set(fresh) | set(stored), key=lambda k: (k[0], k[1], str(k[2]))):
        want, have = fresh.get(key, zero), stored.get(key, zero)
        diff = ", ".join(f"{f}: {have.get(f)} ≠ {want.get(f)}" for f in ROLLUP_FIELDS
                         if _num(have.get(f)) != _num(want.get(f)))
        if diff:
            out.append(f"roll-up of {key[0]} in district {key[1] or '-'} for {key[2]:%Y-%m} differs from its "
                       f"kitchens' summaries ({diff})")
    return out


def gap_violations() -> list[str]:
    """The chain of each kitchen's reporting months, counted per roll-up row, equals the stored
    `ReportingGap` rows (rows at zero are the same as none)."""
    from ayni.kitchens.summaries import gap_chain

    fresh = {k: n for k, n in gap_chain(MonthlySummary.objects.all()).items() if n}
    stored = {(g.path, g.district, g.month, g.previous_month): g.kitchens
              for g in ReportingGap.objects.exclude(kitchens=0)}
    out = []
    for key in sorted(set(fresh) | set(stored), key=str):
        if fresh.get(key, 0) != stored.get(key, 0):
            out.append(f"reporting gaps of {key[0]} in district {key[1] or '-'}: {stored.get(key, 0)} kitchens "
                       f"reported in {key[2]:%Y-%m} after {key[3]:%Y-%m}, their summaries say {fresh.get(key, 0)}")
    return out


def balance_violations() -> list[str]:
    sums = {(r["kitchen_id"], r["item_id"]): r["total"]
            for r in StockMovement.objects.values("kitchen_id", "item_id").annotate(total=Sum("delta"))}
    stored = {(b.kitchen_id, b.item_id): b.quantity for b in StockBalance.objects.all()}
    out = []
    for key in sorted(set(sums) | set(stored), key=str):
        want, have = _num(sums.get(key), "0.001"), stored.get(key)
        if have is None:
            out.append(f"kitchen {key[0]} has movements of {key[1]} but no stored balance")
        elif _num(have, "0.001") != want:
            out.append(f"stock balance of {key[1]} in kitchen {key[0]} is {have}, its movements add up to {want}")
    return out


def orphan_violations() -> list[str]:
    out = []
    for receipt_id in DeliveryReceipt.objects.filter(movement__isnull=True).values_list("pk", flat=True):
        out.append(f"delivery receipt {receipt_id} has no stock movement")
    for count_id in StockCount.objects.filter(movement__isnull=True).exclude(difference=0).values_list("pk", flat=True):
        out.append(f"stock count {count_id} has a difference but no adjustment movement")
    orphan_counts = StockMovement.objects.filter(kind=MovementKind.COUNT, count__isnull=True)
    for movement_id in orphan_counts.values_list("pk", flat=True):
        out.append(f"count adjustment {movement_id} belongs to no stock count")
    for model, label in ((DailyReport, "daily report"), (StockMovement, "stock movement"),
                         (MonthlySummary, "monthly summary")):
        for pk in model.objects.filter(kitchen__kind__is_kitchen=False).values_list("pk", flat=True):
            out.append(f"{label} {pk} belongs to an organisation that is not a kitchen")
    return out


def delivery_rollup_violations() -> list[str]:
    """Each delivery roll-up row equals the sum of its schedules' contributions, recomputed from
    the schedules and receipts (a missing row counts as zeros)."""
    from ayni.kitchens.deliveries import COUNTS, KEY, recompute
    from ayni.kitchens.models import DeliveryRollup

    fresh = recompute()
    stored = {tuple(r[:len(KEY)]): dict(zip(COUNTS, r[len(KEY):], strict=True))
              for r in DeliveryRollup.objects.values_list(*KEY, *COUNTS)}
    zero = dict.fromkeys(COUNTS, 0)
    out = []
    for key in sorted(set(fresh) | set(stored), key=str):
        want, have = fresh.get(key, zero), stored.get(key, zero)
        diff = ", ".join(f"{f}: {have[f]} ≠ {want[f]}" for f in COUNTS
                         if _num(have[f], "0.001") != _num(want[f], "0.001"))
        if diff:
            out.append(f"delivery roll-up of {key[0]} in district {key[1] or '-'}, municipality {key[2]}, {key[3]} "
                       f"due {key[4]:%Y-%m-%d} differs from its schedules ({diff})")
    return out


def food_alert_violations() -> list[str]:
    """The food alerts standing today equal those recomputed from the balances and movements,
    with the same days left."""
    from django.utils import timezone

    from ayni.kitchens.food_alerts import recompute, standing
    from ayni.kitchens.models import FoodAlert, left_on

    today = timezone.localdate()
    fresh = {k: left_on(f["computed_on"], f["until"], f["days_left"], today) for k, f in recompute(today=today).items()}
    stored = {(k, i): left for k, _n, i, _in, left in standing(FoodAlert.objects.all(), today)}
    out = []
    for key in sorted(set(fresh) | set(stored), key=str):
        if fresh.get(key) != stored.get(key):
            out.append(f"food alert of {key[1]} in kitchen {key[0]}: stored {stored.get(key, 'none')} days left, "
                       f"its stock says {fresh.get(key, 'none')}")
    return out


def violations() -> list[str]:
    return (balance_violations() + summary_violations() + rollup_violations() + gap_violations()
            + delivery_rollup_violations() + food_alert_violations() + orphan_violations())
