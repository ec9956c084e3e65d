"""Scoped reads of kitchen operations. Pages, reports and the home page's alerts read here."""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from ayni.accounts.scope import Can, Scope
from ayni.kitchens.deliveries import QUANTUM, with_delivery_figures
from ayni.kitchens.kept import kept_part
from ayni.kitchens.models import (
    SUMMARY_FIELDS,
    DailyReport,
    DeliverySchedule,
    FoodItem,
    MonthClose,
    MonthlySummary,
    MovementKind,
    StockBalance,
    StockMovement,
    month_end,
    month_start,
    plain,
)
from ayni.orgs.models import Organisation
from ayni.orgs.selectors import get_organisation

USE_WINDOW_DAYS = 14  # "recent" average use
LOW_STOCK_DAYS = 7  # a staple with this many days or fewer left raises an alert
SILENT_DAYS = 3  # a kitchen with no report for this many days raises an alert


def get_kitchen(scope: Scope, pk, can: Can = Can.VIEW) -> Organisation:
    """A kitchen the user may `can`; 404 if it is out of sight or is not a kitchen."""
    org = get_organisation(scope, pk, can)
    if not org.kind.is_kitchen:
        raise Http404
    return org


def visible_kitchens(scope: Scope, can: Can = Can.VIEW) -> QuerySet[Organisation]:
    return Organisation.objects.filter(scope.q(can), kind__is_kitchen=True)


def parse_month(year: int, month: int) -> datetime.date:
    try:
        return datetime.date(year, month, 1)
    except ValueError:
        raise Http404 from None


# --- Days of food left ------------------------------------------------------------------------

def days_left(balance: Decimal, used_in_window: Decimal, window: int = USE_WINDOW_DAYS) -> Decimal | None:
    """Days of food left = book balance ÷ average daily use.

    The average daily use is everything recorded as *used in cooking* during the last
    `window` calendar days (14, today included) divided by `window` — calendar days, not
    cooking days, because the stock has to last through the days the kitchen does not cook
    too. Losses and transfers out are not use: they do not repeat at the kitchen's pace.
    Nothing left (balance ≤ 0) is 0 days whatever the use; a positive balance with no recent
    use has no estimate (None), since it is not being eaten.
    """
    if balance <= 0:
        return Decimal(0)
    if used_in_window <= 0:
        return None
    return (balance * window / used_in_window).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _recent_use(kitchens, today: datetime.date, items=None) -> dict[tuple[int, str], Decimal]:
    since = today - datetime.timedelta(days=USE_WINDOW_DAYS - 1)
    qs = StockMovement.objects.filter(kitchen__in=kitchens, kind=MovementKind.USED, date__gte=since, date__lte=today)
    if items is not None:
        qs = qs.filter(item__in=items)
    return {(r["kitchen_id"], r["item_id"]): -r["used"]
            for r in qs.values("kitchen_id", "item_id").annotate(used=Sum("delta"))}


@dataclass
class StockLine:
    item: FoodItem
    balance: Decimal
    used_recently: Decimal
    days_left: Decimal | None
    flagged: int = 0

    @property
    def is_low(self) -> bool:
        return self.item.is_staple and self.days_left is not None and self.days_left <= LOW_STOCK_DAYS


def stock_of(kitchen: Organisation, today: datetime.date | None = None) -> list[StockLine]:
    """Each item the kitchen has ever moved: balance, recent use, days left, open flags."""
    today = today or timezone.localdate()
    use = _recent_use([kitchen.pk], today)
    flagged = dict(
        StockMovement.objects.filter(kitchen=kitchen, over_balance=True, reviewed_by_count__isnull=True)
        .values("item_id").annotate(n=Count("id")).values_list("item_id", "n")
    )
    lines = []
    for bal in StockBalance.objects.filter(kitchen=kitchen).select_related("item").order_by("item__order"):
        used = use.get((kitchen.pk, bal.item_id), Decimal(0))
        lines.append(StockLine(bal.item, bal.quantity, used, days_left(bal.quantity, used),
                               flagged.get(bal.item_id, 0)))
    return lines


# --- Coordinators' alerts ---------------------------------------------------------------------

@dataclass
class LowStock:
    kitchen: Organisation
    item: FoodItem
    balance: Decimal
    days_left: Decimal


def low_stock_alerts(scope: Scope, today: datetime.date | None = None, limit: int = 50) -> list[LowStock]:
    """Kitchens the user validates that have ≤ 7 days of a staple left (0 when it ran out).

    Every staple balance of the scope is read as a plain row, and only the kitchens shown become
    objects: the national board's home page built 2,500 balances with their kitchens and items
    to show 50 (province demo: 250 of its 390 ms)."""
    today = today or timezone.localdate()
    kitchens = visible_kitchens(scope, Can.VALIDATE).filter(status=Organisation.Status.ACTIVE)
    staples = FoodItem.objects.filter(is_staple=True)
    items = {item.pk: item for item in staples}
    balances = (StockBalance.objects.filter(kitchen__in=kitchens, item__in=staples)
                .values_list("kitchen_id", "kitchen__name", "item_id", "quantity"))
    use = _recent_use(kitchens, today, staples)
    low = []
    for kitchen_id, name, item_id, quantity in balances:
        left = days_left(quantity, use.get((kitchen_id, item_id), Decimal(0)))
        if left is not None and left <= LOW_STOCK_DAYS:
            low.append((left, name, items[item_id].order, kitchen_id, item_id, quantity))
    low.sort(key=lambda a: a[:3])
    low = low[:limit]
    shown = Organisation.objects.in_bulk({a[3] for a in low})
    return [LowStock(shown[kitchen_id], items[item_id], quantity, left)
            for left, _name, _order, kitchen_id, item_id, quantity in low]


def silent_kitchens(scope: Scope, today: datetime.date | None = None) -> QuerySet[Organisation]:
    """Active kitchens the user validates with no report in the last 3 days (today included)."""
    today = today or timezone.localdate()
    recent = DailyReport.objects.filter(kitchen=OuterRef("pk"), date__gt=today - datetime.timedelta(days=SILENT_DAYS))
    return (
        visible_kitchens(scope, Can.VALIDATE).filter(status=Organisation.Status.ACTIVE)
        .exclude(Exists(recent))
        .annotate(last_report=Max("daily_reports__date"))
        .order_by("name")
    )


@dataclass
class Problem:
    """One reason a kitchen needs its coordinator today. `rank` orders them: worst first."""

    rank: int
    text: str


@dataclass
class KitchenNeeds:
    kitchen: Organisation
    problems: list[Problem]

    @property
    def worst(self) -> int:
        return min(p.rank for p in self.problems)


# Worst first: a kitchen with nothing to cook, then food the State owes, then silence…
OUT_OF_STAPLE, DELIVERY_LATE, SILENT, LOW_STAPLE, DELIVERY_SHORT, TO_VALIDATE, TO_COUNT = range(7)
DELIVERY_WINDOW_DAYS = 120  # deliveries due longer ago are history for the evidence pages, not today's work


def kitchens_needing_attention(scope: Scope, today: datetime.date | None = None,
                               limit: int = 50) -> tuple[list[KitchenNeeds], int]:
    """The coordinator's question at a glance: which kitchens need her today, one line each with
    all its problems, worst first — out of a staple, a State delivery late or short, no report for
    days, a month waiting for her validation, a book balance below zero to check at the next
    count (a typing slip, not an empty store). Returns the first `limit` lines and how many
    kitchens need her in all. A fixed number of queries, whatever the number of kitchens."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    today = today or timezone.localdate()
    found: dict[int, list[Problem]] = {}

    def add(kitchen_id: int, rank: int, text: str) -> None:
        found.setdefault(kitchen_id, []).append(Problem(rank, text))

    for a in low_stock_alerts(scope, today, limit=None):
        if a.balance < 0:
            text = _("%(item)s: el kárdex marca %(qty)s %(unit)s, a revisar en el próximo conteo")
            add(a.kitchen.pk, TO_COUNT, text % {"item": a.item.name, "qty": plain(a.balance), "unit": a.item.unit})
        elif a.days_left == 0:
            add(a.kitchen.pk, OUT_OF_STAPLE, _("sin %(item)s") % {"item": a.item.name.lower()})
        else:
            add(a.kitchen.pk, LOW_STAPLE, _("%(item)s para %(days)s días") % {
                "item": a.item.name, "days": plain(a.days_left)})
    for org in silent_kitchens(scope, today):
        if org.last_report:
            days = (today - org.last_report).days
            add(org.pk, SILENT, ngettext("sin parte hace %(n)s día", "sin parte hace %(n)s días", days) % {"n": days})
        else:
            add(org.pk, SILENT, _("nunca envió su parte"))
    kitchens = visible_kitchens(scope, Can.VALIDATE).filter(status=Organisation.Status.ACTIVE)
    due = DeliverySchedule.objects.filter(kitchen__in=kitchens, due_on__lt=today,
                                          due_on__gte=today - datetime.timedelta(days=DELIVERY_WINDOW_DAYS))
    # Only what has not all arrived leaves the database (most deliveries have: the national board's
    # home read every one of the last 120 days to drop them in Python). SQLite sums decimals as
    # floats, so the exact test stays below on the rows that come back.
    owed = (with_delivery_figures(due, today).filter(received__lt=F("quantity"))
            .values("kitchen_id", "item__name", "item__unit", "quantity", "due_on", "received", "first_receipt",
                    "days_late").order_by("due_on"))
    for row in owed:
        row["got"] = Decimal(row["received"]).quantize(QUANTUM)  # SQLite sums decimals as floats
        if row["got"] >= row["quantity"]:
            continue  # all arrived: history for the evidence pages, not today's work
        if row["first_receipt"] is None:
            days = row["days_late"]
            add(row["kitchen_id"], DELIVERY_LATE, ngettext(
                "entrega de %(item)s atrasada %(n)s día", "entrega de %(item)s atrasada %(n)s días", days)
                % {"item": row["item__name"].lower(), "n": days})
        else:
            add(row["kitchen_id"], DELIVERY_SHORT, _("entrega de %(item)s incompleta: llegaron %(got)s de %(promised)s "
                                                     "%(unit)s") % {
                "item": row["item__name"].lower(), "got": plain(row["got"]), "promised": plain(row["quantity"]),
                "unit": row["item__unit"]})
    waiting = (MonthClose.objects.filter(kitchen__in=kitchens, status=MonthClose.Status.CLOSED)
               .values_list("kitchen_id", "month").order_by("month"))
    for kitchen_id, month in waiting:
        add(kitchen_id, TO_VALIDATE, _("mes %(month)s por validar") % {"month": f"{month:%m/%Y}"})
    names = dict(Organisation.objects.filter(pk__in=found).values_list("pk", "name"))
    order = sorted(found, key=lambda pk: (min(p.rank for p in found[pk]), -len(found[pk]), names.get(pk, "")))
    shown = Organisation.objects.in_bulk(order[:limit])
    lines = [KitchenNeeds(shown[pk], sorted(found[pk], key=lambda p: p.rank)) for pk in order[:limit]]
    return lines, len(found)


def kitchen_alerts(scope: Scope, today: datetime.date | None = None) -> dict | None:
    """The home page's alert list, or None for users who validate no kitchen."""
    if not scope.reach(Can.VALIDATE) and not scope.is_platform_admin:
        return None
    needing, needing_count = kitchens_needing_attention(scope, today)
    return {"needing": needing, "needing_count": needing_count}


def alerts_html(scope: Scope, today: datetime.date) -> SafeString | None:
    """The home page's alert list rendered, kept once per reach, day and revision of the figures
    under it (`kitchens/kept.py`: the same for everyone who validates the same kitchens), or
    None for users who validate no kitchen."""
    if not scope.reach(Can.VALIDATE) and not scope.is_platform_admin:
        return None
    html = kept_part("alerts", scope, Can.VALIDATE,
                     lambda: render_to_string("kitchens/_alerts.html", {"alerts": kitchen_alerts(scope, today)}),
                     today)
    return mark_safe(html)  # noqa: S308 - rendered by the template above, which escapes every name


# --- Month totals, completeness, close ---------------------------------------------------------

def _zero() -> dict:
    return dict.fromkeys(SUMMARY_FIELDS, 0)


def with_ratios(totals: dict) -> dict:
    """Add served rations and the cost per ration (purchases plus state food at reference
    prices, over rations served), the subsidy per ration, and the gap between them."""
    t = dict(totals)
    served = (t.get("served_paying") or 0) + (t.get("served_subsidised") or 0) + (t.get("served_free") or 0)
    t["rations_served"] = served
    cost = Decimal(t.get("purchases_cost") or 0) + Decimal(t.get("state_food_value") or 0)
    t["food_cost"] = cost
    cent = Decimal("0.01")
    if served:
        t["cost_per_ration"] = (cost / served).quantize(cent, ROUND_HALF_UP)
        t["subsidy_per_ration"] = (Decimal(t.get("subsidy_received") or 0) / served).quantize(cent, ROUND_HALF_UP)
        t["cash_per_ration"] = (Decimal(t.get("cash_received") or 0) / served).quantize(cent, ROUND_HALF_UP)
        t["gap_per_ration"] = t["cost_per_ration"] - t["subsidy_per_ration"]
    else:
        t["cost_per_ration"] = t["subsidy_per_ration"] = t["cash_per_ration"] = t["gap_per_ration"] = None
    return t


def kitchen_month(kitchen: Organisation, month: datetime.date) -> dict:
    summary = MonthlySummary.objects.filter(kitchen=kitchen, month=month).first()
    return with_ratios(summary.as_totals() if summary else _zero())


def kitchen_months(kitchen: Organisation, months: list[datetime.date]) -> dict[datetime.date, dict]:
    """`kitchen_month` for several months in one query (the kitchen's page shows six)."""
    summaries = {s.month: s for s in MonthlySummary.objects.filter(kitchen=kitchen, month__in=months)}
    return {m: with_ratios(summaries[m].as_totals() if m in summaries else _zero()) for m in months}


def month_close(kitchen: Organisation, month: datetime.date) -> MonthClose | None:
    return MonthClose.objects.filter(kitchen=kitchen, month=month).select_related("closed_by", "reviewed_by").first()


def month_is_locked(kitchen: Organisation, day: datetime.date) -> bool:
    return MonthClose.objects.filter(kitchen=kitchen, month=month_start(day),
                                     status__in=[MonthClose.Status.CLOSED, MonthClose.Status.VALIDATED]).exists()


def month_days(kitchen: Organisation, month: datetime.date, today: datetime.date | None = None) -> list[dict]:
    """Each day of the month up to today with its report (or None), for the month page."""
    today = today or timezone.localdate()
    reports = {r.date: r for r in DailyReport.objects.filter(kitchen=kitchen, date__gte=month,
                                                             date__lte=month_end(month))}
    last = min(month_end(month), today)
    return [{"date": d, "report": reports.get(d)} for d in
            (month + datetime.timedelta(days=i) for i in range((last - month).days + 1))]


def completeness(scope: Scope, org: Organisation, month: datetime.date, today: datetime.date | None = None,
                 limit: int = 500) -> dict:
    """How many days each kitchen under `org` the user may see reported in the month, the
    laggards first."""
    today = today or timezone.localdate()
    days_in_month = (min(month_end(month), today) - month).days + 1 if month <= today else 0
    kitchens = list(
        visible_kitchens(scope).filter(path__startswith=org.path, status=Organisation.Status.ACTIVE)
        .order_by("name").values("pk", "name")[:limit]
    )
    shown = [k["pk"] for k in kitchens]
    by_kitchen = dict(MonthlySummary.objects.filter(kitchen_id__in=shown, month=month)
                      .values_list("kitchen_id", "days_reported"))
    closes = dict(MonthClose.objects.filter(kitchen_id__in=shown, month=month)
                  .values_list("kitchen_id", "status"))
    rows = [{"pk": k["pk"], "name": k["name"], "days": by_kitchen.get(k["pk"], 0),
             "close": closes.get(k["pk"])} for k in kitchens]
    rows.sort(key=lambda r: (r["days"], r["name"]))
    complete = sum(1 for r in rows if days_in_month and r["days"] >= days_in_month)
    return {"rows": rows, "days_in_month": days_in_month, "complete": complete, "total": len(rows),
            "to_validate": sum(1 for r in rows if r["close"] == MonthClose.Status.CLOSED)}


def cost_by_kitchen(scope: Scope, org: Organisation, first: datetime.date, last: datetime.date,
                    limit: int = 200) -> list[dict]:
    """Cost per ration vs subsidy per kitchen under `org` the user may see, for months first..last."""
    rows = (MonthlySummary.objects.filter(scope.q(Can.VIEW, prefix="kitchen__"), path__startswith=org.path,
                                          month__gte=first, month__lte=last)
            .values("kitchen_id", "kitchen__name").annotate(**{f: Sum(f) for f in SUMMARY_FIELDS})
            .order_by("kitchen__name")[:limit])
    return [{"pk": r["kitchen_id"], "name": r["kitchen__name"], **with_ratios(r)} for r in rows]


# --- Deliveries promised vs received ------------------------------------------------------------



def delivery_status(schedule: DeliverySchedule, today: datetime.date | None = None) -> dict:
    """Received, shortfall and days late of one promised delivery (`with_delivery_figures`);
    a schedule read without them costs one query."""
    today = today or timezone.localdate()
    if not hasattr(schedule, "days_late"):
        figures = with_delivery_figures(DeliverySchedule.objects.filter(pk=schedule.pk), today)
        schedule.received, schedule.first_receipt, schedule.days_late = figures.values_list(
            "received", "first_receipt", "days_late").get()
    received = Decimal(schedule.received).quantize(QUANTUM)
    return {"schedule": schedule, "received": received,
            "shortfall": max(Decimal(0), schedule.quantity - received), "first_receipt": schedule.first_receipt,
            "days_late": schedule.days_late, "pending": schedule.first_receipt is None,
            "receipts": list(schedule.receipts.all())}


def kitchen_deliveries(kitchen: Organisation, today: datetime.date | None = None) -> list[dict]:
    today = today or timezone.localdate()
    schedules = (with_delivery_figures(DeliverySchedule.objects.filter(kitchen=kitchen), today)
                 .select_related("item", "municipality").prefetch_related("receipts")[:100])
    return [delivery_status(s, today) for s in schedules]


def open_schedules(kitchen: Organisation) -> QuerySet[DeliverySchedule]:
    """Promised deliveries not yet fully received, for the receipt form."""
    return (DeliverySchedule.objects.filter(kitchen=kitchen).select_related("item")
            .annotate(got=Coalesce(Sum("receipts__quantity"), Decimal(0))).filter(got__lt=F("quantity"))
            .order_by("due_on"))


def home_panel(scope: Scope, today: datetime.date | None = None, roots: list | None = None,
               own: list | None = None) -> dict:
    """What the home page shows of kitchen operations: a leader's kitchens with today's report
    (or its absence), and for those who validate, the alert list and the way to the summaries.
    `roots`: the scope's top organisations when the caller has read them (`scope_roots`); `own`:
    a leader's kitchens, by name, each with `reported`, when the caller has read them."""
    from ayni.accounts.models import Role
    from ayni.orgs.selectors import scope_roots

    today = today or timezone.localdate()
    panel = {"today": today, "alerts_html": alerts_html(scope, today), "own": [], "roots": []}
    if scope.home_role == Role.LEADER and own is not None:
        panel["own"] = own
    elif scope.home_role == Role.LEADER:
        reported = DailyReport.objects.filter(kitchen=OuterRef("pk"), date=today)
        panel["own"] = list(visible_kitchens(scope, Can.EDIT).annotate(reported=Exists(reported))
                            .order_by("name")[:5])
    elif scope.home_role:
        panel["roots"] = list(roots[:5] if roots is not None else scope_roots(scope)[:5])
    return panel
