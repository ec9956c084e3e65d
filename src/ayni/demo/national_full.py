"""`ayni demo --scale national-full`: three years of daily reports for every kitchen of the
national confederation (about 13,600 kitchens, 15 million reports), written by the database
itself — SQL over a calendar — because building that many rows in Python would take an hour.

The same generator feeds `bench/rollup.py`, so the demo and the benchmark measure one dataset.
The numbers of a report are a function of (kitchen id, day number), the same on SQLite, on
PostgreSQL and in the DuckDB comparison of the benchmark (which reads `REPORT_VALUES` and
`REPORT_WHERE` from here); about one day in eleven has no report. The kitchens' monthly
summaries and their roll-ups are then written from those reports in the database too
(`summaries.insert_from_reports`), so `ayni check-integrity` passes on the result.

This scale has the national tree, its people, boards and accounts, and, for the last twelve
months, the State's monthly deliveries to every active kitchen with their receipts (some late,
some short, some never arrived) and the food they put in and the kitchens took out of the store
(`write_deliveries`, in SQL too): the dashboards' delivery and food-alert figures are measured
on the real confederation's size as well. No purchases or subsidies: it exists to measure the
dashboards, not to show the kitchen pages.
"""

# The SQL below is built from this module's constants and dates, never from input.
# ruff: noqa: S608

import datetime
import time
from typing import TYPE_CHECKING

from django.db import connection, transaction

if TYPE_CHECKING:
    from ayni.demo.context import DemoContext

# Nothing above needs Django set up: the benchmark's DuckDB side reads the constants below.

YEARS = 3
REPORT_COLUMNS = ("kitchen_id, date, is_closed, closed_reason, rations_prepared, served_paying, served_subsidised, "
                  "served_free, price_per_ration, menu, cooks, cooks_count, cash_received, notes, version, "
                  "created_at, updated_at")
# `k` is the kitchen (orgs_organisation), `c.day` the date and `c.d` its number from the first day.
REPORT_VALUES = ("k.id, c.day, FALSE, '', 60 + (k.id * 7 + c.d * 3) % 40, 20 + (k.id * 31 + c.d * 17) % 40, "
                 "10 + (k.id * 13 + c.d * 5) % 15, (k.id + c.d) % 9, 3.5, '', '', 2, "
                 "3.5 * (20 + (k.id * 31 + c.d * 17) % 40), '', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP")
REPORT_WHERE = "(k.id * 13 + c.d * 7) % 11 <> 0"


def calendar_sql(first: datetime.date, days: int) -> str:
    """A table (day, d) of `days` dates from `first`, d counting from 0."""
    if connection.vendor == "postgresql":
        return f"SELECT (DATE '{first.isoformat()}' + g)::date AS day, g AS d FROM generate_series(0, {days - 1}) AS g"
    return (f"WITH RECURSIVE cal(day, d) AS (SELECT DATE('{first.isoformat()}'), 0 UNION ALL "
            f"SELECT DATE(day, '+1 day'), d + 1 FROM cal WHERE d < {days - 1}) SELECT day, d FROM cal")


def first_month(today: datetime.date, months: int) -> datetime.date:
    """The first day of the month `months - 1` months before today's."""
    first = today.replace(day=1)
    for _i in range(months - 1):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return first


def write_reports(path: str, first: datetime.date, today: datetime.date) -> dict:
    """Daily reports from `first` to `today` for every active kitchen under `path` (which must
    have none yet), then their monthly summaries and roll-ups. One transaction."""
    from ayni.kitchens.summaries import insert_from_reports

    days = (today - first).days + 1
    # `path` is an organisation path: base-36 digits and slashes only.
    if not all(ch.isalnum() or ch == "/" for ch in path):
        raise ValueError(f"not an organisation path: {path!r}")
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"INSERT INTO kitchens_dailyreport ({REPORT_COLUMNS}) "
                    f"SELECT {REPORT_VALUES} FROM orgs_organisation k "
                    "JOIN orgs_orgkind kind ON kind.code = k.kind_id "
                    f"CROSS JOIN ({calendar_sql(first, days)}) c "
                    f"WHERE kind.is_kitchen AND k.status = 'active' AND k.path LIKE '{path}%' AND {REPORT_WHERE}")
        reports = cur.rowcount
        summaries = insert_from_reports(path)
    return {"daily_reports": reports, "monthly_summaries": summaries, "days": days}


def generate_operations(ctx: "DemoContext") -> None:
    """The demo step for this scale, in place of a year of reports, movements and deliveries."""
    first = first_month(ctx.today, YEARS * 12)
    written = write_reports(ctx.confederation.org.path, first, ctx.today)
    ctx.counts.update(written)
    started = time.monotonic()
    ctx.counts.update(write_deliveries(ctx.confederation.org.path, first, ctx.today))
    ctx.counts["deliveries_seconds"] = round(time.monotonic() - started, 1)
    ctx.progress.update(ctx.scale.base_organisations)


# --- State deliveries and the store ------------------------------------------------------------------

DELIVERY_MONTHS = 12
# The PCA basket, numbered for the formulas below.
DELIVERY_ITEMS = ("arroz", "menestras", "aceite", "conserva-pescado")
# Every figure of a delivery is a function of (kitchen `k.id`, month number `m.n` from 0, item
# number `i.n`), in whole units so that both engines store and sum them exactly.
PROMISED = "(20 + (k.id * 7 + m.n * 5 + i.n * 11) % 40)"
RECEIVED = f"(CASE WHEN (k.id + m.n * 7 + i.n * 3) % 5 = 0 THEN {PROMISED} * 4 / 5 ELSE {PROMISED} END)"
# Days after the promised date the food came: on time six times in ten, then 3, 3 or 9 days
# late; the tenth never came in the last three months and came 20 days late before.
DAYS_LATE = ("(CASE (k.id * 3 + m.n * 5 + i.n) % 10 WHEN 6 THEN 3 WHEN 7 THEN 3 WHEN 8 THEN 9 "
             f"WHEN 9 THEN (CASE WHEN m.n >= {DELIVERY_MONTHS - 3} THEN NULL ELSE 20 END) ELSE 0 END)")
DUE_DAY = 5  # the month's delivery is promised for the 5th
USED_AFTER = 10  # the kitchen writes up what it used ten days after the food came
# One kitchen in eight uses all of it (its store runs empty: a food alert); the others keep 5.
LEFT_OVER = "(CASE WHEN s.kitchen_id % 8 = 0 THEN 0 ELSE 5 END)"


def _date(day: datetime.date) -> str:
    return f"DATE '{day.isoformat()}'" if connection.vendor == "postgresql" else f"'{day.isoformat()}'"


def _plus_days(date_sql: str, days_sql: str) -> str:
    if connection.vendor == "postgresql":
        return f"({date_sql} + {days_sql})"
    return f"DATE({date_sql}, '+' || ({days_sql}) || ' days')"


def _month_of(date_sql: str) -> str:
    if connection.vendor == "postgresql":
        return f"date_trunc('month', {date_sql})::date"
    return f"DATE({date_sql}, 'start of month')"


def write_deliveries(path: str, first: datetime.date, today: datetime.date) -> dict:
    """The last `DELIVERY_MONTHS` months of State deliveries (none before the reports' `first`
    month) for every active kitchen under `path`, which must have no stock or deliveries yet and
    its reports and monthly summaries written (`write_reports`):
    the schedules, the receipts of what came, a stock movement for each receipt and for what the
    kitchen used, the stored balances, and the food's value added to the monthly summaries and
    roll-ups — as the services would have, so `ayni check-integrity` passes. One transaction."""
    from ayni.kitchens import deliveries, food_alerts
    from ayni.kitchens.summaries import ROLLUP_PATH_LENGTH

    if not all(ch.isalnum() or ch == "/" for ch in path):
        raise ValueError(f"not an organisation path: {path!r}")
    months, m = [], max(first.replace(day=1), first_month(today, DELIVERY_MONTHS))
    while m <= today:
        months.append(m)
        m = (m + datetime.timedelta(days=32)).replace(day=1)
    month_table = " UNION ALL ".join(f"SELECT {_date(day)} AS day, {n} AS n" for n, day in enumerate(months))
    item_table = " UNION ALL ".join(f"SELECT '{code}' AS code, {n} AS n" for n, code in enumerate(DELIVERY_ITEMS))
    # Every active kitchen × month × item; `{join}` takes one more table in.
    kitchens = ("FROM orgs_organisation k JOIN orgs_orgkind kind ON kind.code = k.kind_id "
                f"CROSS JOIN ({month_table}) m CROSS JOIN ({item_table}) i {{join}} "
                "WHERE kind.is_kitchen AND k.status = 'active' AND k.district_id IS NOT NULL "
                f"AND k.path LIKE '{path}%'")
    due = _plus_days("m.day", str(DUE_DAY - 1))
    arrived = _plus_days(due, DAYS_LATE)
    under_path = f"JOIN orgs_organisation k ON k.id = s.kitchen_id WHERE k.path LIKE '{path}%'"
    substr = "SUBSTRING(k.path FROM 1 FOR {n})" if connection.vendor == "postgresql" else "SUBSTR(k.path, 1, {n})"
    cell = substr.format(n=ROLLUP_PATH_LENGTH)
    counts = {}
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("INSERT INTO kitchens_deliveryschedule (kitchen_id, municipality_id, programme, kind, item_id, "
                    "quantity, period_start, period_end, due_on, created_at) "
                    f"SELECT k.id, k.district_id, 'PCA', 'state', i.code, {PROMISED}, m.day, "
                    f"{_plus_days('m.day', '27')}, {due}, CURRENT_TIMESTAMP {kitchens.format(join='')} "
                    f"AND {due} <= {_date(today)} "
                    "ORDER BY k.id, m.n, i.n")
        counts["delivery_schedules"] = cur.rowcount
        # The receipt finds its schedule by kitchen, item and promised date (one a month each).
        schedule = ("JOIN kitchens_deliveryschedule s ON s.kitchen_id = k.id AND s.item_id = i.code "
                    f"AND s.due_on = {due}")
        cur.execute("INSERT INTO kitchens_deliveryreceipt (schedule_id, received_on, quantity, condition, note, "
                    f"created_at) SELECT s.id, {arrived}, {RECEIVED}, 'good', '', CURRENT_TIMESTAMP "
                    f"{kitchens.format(join=schedule)} AND {DAYS_LATE} IS NOT NULL AND {arrived} <= {_date(today)} "
                    "ORDER BY k.id, m.n, i.n")
        counts["delivery_receipts"] = cur.rowcount
        movement = ("INSERT INTO kitchens_stockmovement (kitchen_id, item_id, date, kind, delta, unit_price, value, "
                    "party, note, receipt_id, over_balance, created_at) ")
        cur.execute(movement + "SELECT s.kitchen_id, s.item_id, r.received_on, 'state', r.quantity, NULL, "
                    "ROUND(r.quantity * f.reference_price, 2), 'PCA', '', r.id, FALSE, CURRENT_TIMESTAMP "
                    "FROM kitchens_deliveryreceipt r JOIN kitchens_deliveryschedule s ON s.id = r.schedule_id "
                    f"JOIN kitchens_fooditem f ON f.code = s.item_id {under_path} ORDER BY r.id")
        used_on = _plus_days("r.received_on", str(USED_AFTER))
        cur.execute(movement + f"SELECT s.kitchen_id, s.item_id, {used_on}, 'used', {LEFT_OVER} - r.quantity, NULL, "
                    "0, '', '', NULL, FALSE, CURRENT_TIMESTAMP "
                    "FROM kitchens_deliveryreceipt r JOIN kitchens_deliveryschedule s ON s.id = r.schedule_id "
                    f"{under_path} AND {used_on} <= {_date(today)} ORDER BY r.id")
        cur.execute("SELECT COUNT(*) FROM kitchens_stockmovement s " + under_path)
        counts["stock_movements"] = cur.fetchone()[0]
        cur.execute("INSERT INTO kitchens_stockbalance (kitchen_id, item_id, quantity) "
                    f"SELECT s.kitchen_id, s.item_id, SUM(s.delta) FROM kitchens_stockmovement s {under_path} "
                    "GROUP BY s.kitchen_id, s.item_id")
        # The food's value, as the services add it: to the kitchen's month and to its roll-up row.
        state_value = (f"SELECT s.kitchen_id AS kitchen_id, {cell} AS cell, COALESCE(k.district_id, '') AS district, "
                       f"{_month_of('s.date')} AS month, SUM(s.value) AS value FROM kitchens_stockmovement s "
                       f"{under_path} AND s.kind = 'state' GROUP BY s.kitchen_id, {cell}, k.district_id, "
                       f"{_month_of('s.date')}")
        cur.execute(f"SELECT COUNT(*) FROM ({state_value}) AS v")
        months_with_food = cur.fetchone()[0]
        cur.execute("UPDATE kitchens_monthlysummary SET state_food_value = kitchens_monthlysummary.state_food_value "
                    f"+ v.value FROM ({state_value}) AS v "
                    "WHERE kitchens_monthlysummary.kitchen_id = v.kitchen_id "
                    "AND kitchens_monthlysummary.month = v.month")
        if cur.rowcount != months_with_food:
            # Each month with food has reports (the calendar leaves out one day in eleven at most).
            raise RuntimeError(f"{months_with_food - cur.rowcount} kitchen-months with food have no summary row")
        cur.execute("UPDATE kitchens_monthlyrollup SET state_food_value = kitchens_monthlyrollup.state_food_value "
                    f"+ v.value FROM (SELECT cell, district, month, SUM(value) AS value FROM ({state_value}) AS w "
                    "GROUP BY cell, district, month) AS v WHERE kitchens_monthlyrollup.path = v.cell "
                    "AND kitchens_monthlyrollup.district = v.district AND kitchens_monthlyrollup.month = v.month")
        # And the delivery roll-up and food alerts, from the rows just written.
        counts["delivery_rollup_rows"] = deliveries.rebuild(path)
        counts["food_alerts"] = food_alerts.rebuild(path, today)
    return counts
