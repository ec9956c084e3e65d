"""Demo kitchen operations: a year of daily reports and stock movements for every active
kitchen, with seasonality, late and short state deliveries, and some kitchens running out.

Rows are built in memory and written with bulk inserts; the stored balances and monthly
summaries are computed here from the very rows written, so `ayni check-integrity` passes
on a fresh demo.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from ayni.demo.bulk import insert_rows
from ayni.demo.context import DemoContext
from ayni.kitchens.deliveries import rebuild as rebuild_deliveries
from ayni.kitchens.food_alerts import rebuild as rebuild_food_alerts
from ayni.kitchens.models import (
    SUMMARY_FIELDS,
    DailyReport,
    DeliveryReceipt,
    DeliverySchedule,
    FoodItem,
    MonthClose,
    MonthlySummary,
    MovementKind,
    StockBalance,
    StockMovement,
    SubsidyPayment,
    month_start,
)
from ayni.kitchens.services import movement_value
from ayni.kitchens.summaries import bulk_create as bulk_summaries
from ayni.orgs.models import OrgKind

DAYS = 365
BATCH = 2000
# Use per ration served, in the item's unit; gas: one 10-kg cylinder feeds about 450 rations.
USE_PER_RATION = {"arroz": Decimal("0.09"), "menestras": Decimal("0.04"), "aceite": Decimal("0.012"),
                  "azucar": Decimal("0.02"), "conserva-pescado": Decimal("0.03"), "gas": Decimal("0.0022")}
USE_FLOAT = {code: float(per) for code, per in USE_PER_RATION.items()}
STATE_ITEMS = ("arroz", "menestras", "aceite", "conserva-pescado")  # the PCA basket
# Winter (June–August) brings more people to the kitchens; the summer holidays fewer.
SEASON = {1: 0.9, 2: 0.88, 3: 0.97, 4: 1.0, 5: 1.04, 6: 1.12, 7: 1.15, 8: 1.12, 9: 1.05, 10: 1.0, 11: 0.98,
          12: 0.95}
MENUS = ["Arroz con lentejas", "Ají de gallina", "Tallarines rojos", "Arroz chaufa", "Estofado de pollo",
         "Frejoles con arroz", "Sopa de quinua y segundo de pescado", "Olluquito", "Seco de pollo con frejoles",
         "Carapulcra", "Guiso de trigo", "Arroz con pollo"]
CLOSED_REASONS = ["Sin gas", "Sin alimentos", "Feriado", "Asamblea de la federación"]


def _q(x, places: str = "0.001") -> Decimal:
    return (x if isinstance(x, Decimal) else Decimal(repr(float(x)))).quantize(Decimal(places))


def generate_kitchens(ctx: DemoContext) -> None:
    if ctx.scale.sql_history:
        from ayni.demo.national_full import generate_operations

        generate_operations(ctx)
        return
    rng, today = ctx.rng, ctx.today
    kitchen_kinds = set(OrgKind.objects.filter(is_kitchen=True).values_list("code", flat=True))
    kitchens = [n for n in ctx.base_nodes if n.kind in kitchen_kinds and n.is_active]
    items = {i.code: i for i in FoodItem.objects.filter(code__in=USE_PER_RATION)}
    start = today - datetime.timedelta(days=DAYS - 1)
    this_month = month_start(today)
    last_month = month_start(this_month - datetime.timedelta(days=1))
    reports, movements, schedules, receipts, subsidies, closes = [], [], [], [], [], []
    summaries: dict[tuple[int, datetime.date], dict] = defaultdict(lambda: dict.fromkeys(SUMMARY_FIELDS, 0))
    balances: dict[tuple[int, str], Decimal] = defaultdict(Decimal)

    def add_movement(org, code, day, kind, quantity, **extra):
        quantity = _q(quantity)
        if quantity <= 0:
            return None
        delta = quantity if kind not in (MovementKind.USED, MovementKind.LOST, MovementKind.TRANSFER_OUT) \
            else -quantity
        value = movement_value(kind, quantity, items[code], extra.get("unit_price"))
        line = [org.pk, code, day, kind, delta, extra.get("unit_price"), value, extra.get("party", ""),
                extra.get("receipt")]
        movements.append(line)
        balances[org.pk, code] += delta
        month = summaries[org.pk, month_start(day)]
        if kind == MovementKind.PURCHASE:
            month["purchases_cost"] += value
        elif kind in (MovementKind.STATE_DELIVERY, MovementKind.MUNICIPAL_DELIVERY):
            month["state_food_value"] += value
        return line

    for node in kitchens:
        org = node.org
        base = rng.randint(40, 140)
        price = Decimal(rng.choice(["2.50", "3.00", "3.00", "3.50", "4.00"]))
        sundays_closed = node.kind == "comedor-popular"
        silent = rng.random() < 0.12  # stopped reporting a few days ago: an alert
        short_of_rice = rng.random() < 0.12  # last delivery never came, no money to buy: runs out
        late_bias = rng.choice([0, 2, 5, 12])  # how late this municipality's deliveries tend to be
        used_week: dict[str, float] = defaultdict(float)  # floats in the hot loop; Decimal once a week
        arrivals: dict[datetime.date, list[tuple[str, DeliveryReceipt]]] = defaultdict(list)
        # Opening stock, a fortnight's worth.
        for code, per in USE_PER_RATION.items():
            add_movement(org, code, start, MovementKind.DONATION, float(per) * base * 14, party="Saldo inicial")
        day = start
        while day <= today:
            if silent and (today - day).days < 4:
                break
            for code, receipt in arrivals.pop(day, []):
                # Saved later with bulk inserts; the schedule and receipt get their ids first.
                add_movement(org, code, day, MovementKind.STATE_DELIVERY, receipt.quantity, receipt=receipt,
                             party="PCA")
            closed = (sundays_closed and day.weekday() == 6) or rng.random() < 0.03
            month = summaries[org.pk, month_start(day)]
            if closed:
                reports.append((org.pk, day, True, rng.choice(CLOSED_REASONS), 0, 0, 0, 0, 0, 0, "", 0))
                month["days_reported"] += 1
            elif rng.random() < 0.04:
                pass  # a day nobody reported: completeness shows it
            else:
                prepared = max(10, int(base * SEASON[day.month] * rng.uniform(0.85, 1.12)))
                served = prepared - rng.randint(0, max(1, prepared // 20))
                free = int(served * rng.uniform(0.05, 0.12))
                subsidised = int(served * rng.uniform(0.15, 0.35))
                paying = served - free - subsidised
                cash = price * paying
                reports.append((org.pk, day, False, "", prepared, paying, subsidised, free, price, cash,
                                rng.choice(MENUS), rng.randint(2, 4)))
                for key, v in (("days_reported", 1), ("days_cooked", 1), ("rations_prepared", prepared),
                               ("served_paying", paying), ("served_subsidised", subsidised),
                               ("served_free", free), ("cash_received", cash)):
                    month[key] += v
                for code, per in USE_FLOAT.items():
                    used_week[code] += per * served
            if day.weekday() == 5 or day == today:  # the store is written up on Saturdays
                for code, need in used_week.items():
                    # You cannot cook food you do not have: use stops at what is left.
                    add_movement(org, code, day, MovementKind.USED, min(_q(need), max(balances[org.pk, code], 0)))
                used_week.clear()
            if day.day == 1:  # the month's PCA delivery, promised for the 5th
                due = day + datetime.timedelta(days=4)
                for code in STATE_ITEMS:
                    promised = _q(float(USE_PER_RATION[code]) * base * 18, "1")
                    schedules.append(DeliverySchedule(
                        kitchen=org, municipality_id=org.district_id, programme="PCA", item=items[code],
                        quantity=promised, period_start=day, period_end=day.replace(day=28), due_on=due))
                    lost = short_of_rice and (today - due).days < 45
                    arrives = due + datetime.timedelta(days=max(0, int(rng.gauss(late_bias, 4))))
                    if not lost and arrives <= today and not (silent and (today - arrives).days < 4):
                        got = promised if rng.random() < 0.7 else _q(float(promised) * rng.uniform(0.5, 0.95), "1")
                        receipt = DeliveryReceipt(
                            schedule=schedules[-1], received_on=arrives, quantity=got,
                            condition=DeliveryReceipt.Condition.GOOD if rng.random() < 0.9
                            else DeliveryReceipt.Condition.PARTIAL)
                        receipts.append(receipt)
                        arrivals[arrives].append((code, receipt))
            if day.weekday() == 2 and not (short_of_rice and (today - day).days < 45):
                # A mid-week purchase at the market tops up what the State did not bring.
                for code in ("arroz", "aceite", "azucar", "gas", "menestras", "conserva-pescado"):
                    weekly = USE_PER_RATION[code] * base * 6
                    if balances[org.pk, code] < weekly * 3:
                        unit = items[code].reference_price * Decimal(rng.choice(["0.95", "1.0", "1.1"]))
                        add_movement(org, code, day, MovementKind.PURCHASE, weekly * 2,
                                     unit_price=unit.quantize(Decimal("0.01")), party="Mercado del distrito")
            if day.day == 15 and rng.random() < 0.2:
                add_movement(org, "arroz", day, MovementKind.DONATION, 10, party="Parroquia")
            day += datetime.timedelta(days=1)
        # Cash subsidy, paid in the following month, for each past month.
        month = month_start(start)
        while month < this_month:
            rations = sum(summaries[org.pk, month][f] for f in ("served_paying", "served_subsidised", "served_free"))
            if rations:
                amount = (Decimal(rations) * Decimal("0.55")).quantize(Decimal("0.01"))
                paid = (month + datetime.timedelta(days=45)).replace(day=rng.randint(10, 20))
                if paid <= today:
                    subsidies.append(SubsidyPayment(kitchen=org, month=month, amount=amount, received_on=paid))
                    summaries[org.pk, month]["subsidy_received"] += amount
            if month < last_month:
                closes.append((org, month, MonthClose.Status.VALIDATED))
            elif month == last_month:
                closes.append((org, month, rng.choice([MonthClose.Status.CLOSED, MonthClose.Status.CLOSED,
                                                       MonthClose.Status.RETURNED])))
            month = month_start(month + datetime.timedelta(days=32))
        ctx.progress.update(1)

    # Schedules first, then receipts, then movements: each bulk insert gives the ids the next needs.
    DeliverySchedule.objects.bulk_create(schedules, batch_size=BATCH)
    DeliveryReceipt.objects.bulk_create(receipts, batch_size=BATCH)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    insert_rows(DailyReport, ["kitchen", "date", "is_closed", "closed_reason", "rations_prepared", "served_paying",
                          "served_subsidised", "served_free", "price_per_ration", "cash_received", "menu",
                          "cooks_count", "cooks", "notes", "version", "created_at", "updated_at"],
            [(*r[:2], r[2], r[3], *r[4:8], str(r[8]), str(r[9]), r[10], r[11], "", "", 1, now, now)
             for r in reports])
    insert_rows(StockMovement, ["kitchen", "item", "date", "kind", "delta", "unit_price", "value", "party", "receipt",
                            "note", "over_balance", "created_at"],
            [(k, code, day, kind, str(delta), None if price is None else str(price), str(value), party,
              receipt.pk if receipt is not None else None, "", False, now)
             for k, code, day, kind, delta, price, value, party, receipt in movements])
    SubsidyPayment.objects.bulk_create(subsidies, batch_size=BATCH)
    paths = {n.org.pk: n.org.path for n in kitchens}
    bulk_summaries(
        [MonthlySummary(kitchen_id=k, month=m, path=paths[k], **totals) for (k, m), totals in summaries.items()],
        batch_size=BATCH)
    StockBalance.objects.bulk_create(
        [StockBalance(kitchen_id=k, item_id=code, quantity=q) for (k, code), q in balances.items()],
        batch_size=BATCH)
    MonthClose.objects.bulk_create([
        MonthClose(kitchen=org, month=m, status=status,
                   totals={f: str(v) for f, v in summaries[org.pk, m].items()},
                   comment="Faltan partes de algunos días; revisar." if status == MonthClose.Status.RETURNED else "")
        for org, m, status in closes], batch_size=BATCH)
    # The delivery roll-up and food alerts the services would have kept, from the rows just written.
    rebuild_deliveries("")
    rebuild_food_alerts("", today)
    ctx.counts.update({"daily_reports": len(reports), "stock_movements": len(movements),
                       "delivery_schedules": len(schedules), "delivery_receipts": len(receipts)})
