"""Food alerts kept beside the stock: which kitchens have a staple at 7 days or fewer.

Days left are the book balance over the last 14 days' use (`selectors.days_left`). Between two
stock changes of a kitchen's staple the balance stands still and the use in the window can only
fall (movements are never dated in the future), so days left only rise: an alert that does not
hold after a change cannot start before the next one, and one that holds fades on a day known
at the change. So each stock change recomputes its (kitchen, staple) alert in its transaction
(`refresh`), writing down its days left on each day until it fades; the dashboards read only
the alerts still standing (`standing`). `rebuild` writes a subtree's alerts from the
balances and movements (bulk loads); `ayni check-integrity` compares them with `recompute`.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from ayni.kitchens.models import FoodAlert, FoodItem, MovementKind, StockBalance, StockMovement, left_on
from ayni.kitchens.selectors import LOW_STOCK_DAYS, USE_WINDOW_DAYS, days_left
from ayni.kitchens.summaries import touch, touch_under
from ayni.orgs.models import Organisation


def _window(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    return today - datetime.timedelta(days=USE_WINDOW_DAYS - 1), today


def _left(balance: Decimal, used: dict[datetime.date, Decimal], day: datetime.date) -> Decimal | None:
    """Days left on `day`, from the balance and the use on each day of the window before it."""
    since, until = _window(day)
    return days_left(balance, sum((q for d, q in used.items() if since <= d <= until), Decimal(0)))


def _is_alert(left: Decimal | None) -> bool:
    return left is not None and left <= LOW_STOCK_DAYS


def _alert(balance: Decimal, used: dict[datetime.date, Decimal], today: datetime.date) -> dict | None:
    """The alert row's fields as of `today`, or None when there is no alert."""
    left = _left(balance, used, today)
    if not _is_alert(left):
        return None
    if balance <= 0:  # nothing on the shelf: 0 days, whatever the use, until food comes in
        return {"computed_on": today, "until": None, "days_left": "0"}
    # With food on the shelf the alert fades as the use leaves the window: at the latest when
    # the last day of use does, 14 days on.
    days, day = [], today
    while _is_alert(left):
        days.append(str(left))
        day += datetime.timedelta(days=1)
        left = _left(balance, used, day)
    return {"computed_on": today, "until": day, "days_left": ",".join(days)}


def _use_by_day(movements: QuerySet[StockMovement],
                today: datetime.date) -> dict[tuple[int, str], dict[datetime.date, Decimal]]:
    since, until = _window(today)
    out: dict[tuple[int, str], dict[datetime.date, Decimal]] = defaultdict(dict)
    rows = (movements.filter(kind=MovementKind.USED, date__gte=since, date__lte=until).order_by()
            .values("kitchen_id", "item_id", "date").annotate(u=Sum("delta"))
            .values_list("kitchen_id", "item_id", "date", "u"))
    for kitchen_id, item_id, day, used in rows:
        used = -Decimal(str(used)).quantize(Decimal("0.001"))  # SQLite sums decimals as floats
        if used:
            out[kitchen_id, item_id][day] = used
    return out


def refresh(kitchen_id: int, item: FoodItem, today: datetime.date | None = None, *, path: str | None = None) -> None:
    """Recompute one kitchen's alert for one food after its stock changed (in the same
    transaction, the balance row locked by the service). Three queries for a staple, and the
    dashboards' revision (`summaries.touch`) when the alert came, changed or went (`path`: the
    kitchen's, when the caller has it)."""
    if not item.is_staple:
        return
    today = today or timezone.localdate()
    balance = StockBalance.objects.filter(kitchen_id=kitchen_id, item=item).values_list("quantity", flat=True).first()
    used = _use_by_day(StockMovement.objects.filter(kitchen_id=kitchen_id, item=item), today)
    fields = None if balance is None else _alert(balance, used.get((kitchen_id, item.pk), {}), today)
    if fields is None:
        if not FoodAlert.objects.filter(kitchen_id=kitchen_id, item=item).delete()[0]:
            return
    else:
        FoodAlert.objects.update_or_create(kitchen_id=kitchen_id, item=item, defaults=fields)
    touch(path or Organisation.objects.filter(pk=kitchen_id).values_list("path", flat=True).get())


def recompute(path_prefix: str = "", today: datetime.date | None = None) -> dict[tuple[int, str], dict]:
    """(kitchen, staple) → alert fields, from the balances and movements of the kitchens under
    `path_prefix` (three queries)."""
    today = today or timezone.localdate()
    under = Q(kitchen__path__startswith=path_prefix, item__is_staple=True)
    used = _use_by_day(StockMovement.objects.filter(under), today)
    out = {}
    for kitchen_id, item_id, balance in StockBalance.objects.filter(under).values_list("kitchen_id", "item_id",
                                                                                     "quantity"):
        fields = _alert(balance, used.get((kitchen_id, item_id), {}), today)
        if fields is not None:
            out[kitchen_id, item_id] = fields
    return out


def rebuild(path_prefix: str = "", today: datetime.date | None = None) -> int:
    """Write the alerts of the kitchens under `path_prefix` afresh (bulk loads, repairs)."""
    rows = recompute(path_prefix, today)
    FoodAlert.objects.filter(kitchen__path__startswith=path_prefix).delete()
    FoodAlert.objects.bulk_create([FoodAlert(kitchen_id=k, item_id=i, **f) for (k, i), f in rows.items()],
                                  batch_size=2000)
    touch_under(path_prefix)
    return len(rows)


def _holding(alerts: QuerySet[FoodAlert], today: datetime.date) -> QuerySet[FoodAlert]:
    # A row exists only while its alert holds: from its change to the day before `until`.
    return alerts.filter(Q(until__isnull=True) | Q(until__gt=today), computed_on__lte=today)


def standing_kitchens(alerts: QuerySet[FoodAlert], today: datetime.date) -> int:
    """How many kitchens have at least one of these alerts holding on `today` (one query)."""
    return _holding(alerts, today).values("kitchen_id").distinct().count()


def standing(alerts: QuerySet[FoodAlert], today: datetime.date) -> list[tuple[int, str, str, str, Decimal]]:
    """(kitchen id, kitchen name, food code, food name, days left) of the alerts that hold on
    `today` (one query over the few rows in alert; days left are read, not computed)."""
    rows = _holding(alerts, today).values_list("kitchen_id", "kitchen__name", "item_id", "item__name",
                                               "computed_on", "until", "days_left")
    return [(kitchen_id, name, item_id, item_name, left_on(computed_on, until, days, today))
            for kitchen_id, name, item_id, item_name, computed_on, until, days in rows]
