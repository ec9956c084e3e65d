"""`ayni demo --scale national-full`: three years of daily reports for every kitchen of the
national confederation (about 13,600 kitchens, 15 million reports), written by the database
itself — SQL over a calendar — because building that many rows in Python would take an hour.

The same generator feeds `bench/rollup.py`, so the demo and the benchmark measure one dataset.
The numbers of a report are a function of (kitchen id, day number), the same on SQLite, on
PostgreSQL and in the DuckDB comparison of the benchmark (which reads `REPORT_VALUES` and
`REPORT_WHERE` from here); about one day in eleven has no report. The kitchens' monthly
summaries and their roll-ups are then written from those reports in the database too
(`summaries.insert_from_reports`), so `ayni check-integrity` passes on the result.

This scale has the national tree, its people, boards and accounts, and no stock, deliveries or
subsidies: it exists to measure the dashboards, not to show the kitchen pages.
"""

# The SQL below is built from this module's constants and dates, never from input.
# ruff: noqa: S608

import datetime
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
    ctx.progress.update(ctx.scale.base_organisations)
