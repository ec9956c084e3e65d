"""Monthly partitions on PostgreSQL for the tables that grow without end (issue 21, docs/scaling.md).

Django does not manage partitioned tables, so the migrations that partition a table call
`partition_table` (PostgreSQL only; SQLite keeps plain tables) and the rest lives here:

- `ensure_partitions` (run by `ayni runperiodic` and `ayni partitions ensure`) creates each
  table's partitions for this month and the next ones, and gives a month its own partition when
  rows of it landed in the DEFAULT partition. Every table has a DEFAULT partition, so a write
  dated in a month that has no partition yet (a typo's year 2062, a report of 2019 typed today)
  is stored like any other and never an error for the person who saves it.
- `detach_before` detaches old months to an archive schema (their rows leave the live table and
  can be dumped and dropped); `missing_partitions` is what `ayni check-integrity` asks.

Each table is partitioned by RANGE on a date (or a UTC timestamp) with one partition per month,
named `<table>_pYYYYMM`. PostgreSQL requires the key in every unique constraint and in the
primary key, so the primary key becomes (id, key) and a unique constraint without the key gets
it appended; `partition_table` refuses a table that another table references by a foreign key
(the caller drops that key first and recreates it with the partition key, as the daily report's
revisions do), so nothing is silently left unchecked.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

ARCHIVE_SCHEMA = "archive"
MAX_MONTHS_FROM_ROWS = 600  # months with rows that get their own partition when a table is converted


@dataclass(frozen=True)
class Spec:
    table: str
    key: str
    timestamp: bool = False  # a timestamptz key: months bounded at midnight UTC
    # Unique constraints that lack the key and get it appended: sound only where the key follows
    # from the other columns (a revision's report date is its report's, held by a foreign key).
    appended_to: tuple[str, ...] = ()


# In detaching order: a table whose rows reference another's comes before it (revisions point
# at their report, so the revisions' month leaves first).
TABLES = (
    Spec("kitchens_dailyreportrevision", "report_date", appended_to=("one_revision_per_version",)),
    Spec("kitchens_dailyreport", "date"),
    Spec("audit_auditentry", "at", timestamp=True),
)


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def partition_name(table: str, month: datetime.date) -> str:
    return f"{table}_p{month:%Y%m}"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _bound(spec: Spec, month: datetime.date) -> str:
    return f"'{month.isoformat()} 00:00:00+00'" if spec.timestamp else f"'{month.isoformat()}'"


def is_partitioned(table: str, cursor=None) -> bool:
    if connection.vendor != "postgresql":
        return False
    with (cursor or connection.cursor()) as c:
        c.execute("SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                  "WHERE c.relname = %s AND n.nspname = current_schema()", [table])
        row = c.fetchone()
    return bool(row) and row[0] == "p"


def partitions(table: str) -> dict[str, str]:
    """The attached partitions of a table: name → bound expression (FOR VALUES … / DEFAULT)."""
    with connection.cursor() as c:
        c.execute("SELECT child.relname, pg_get_expr(child.relpartbound, child.oid) FROM pg_inherits i "
                  "JOIN pg_class parent ON parent.oid = i.inhparent JOIN pg_class child ON child.oid = i.inhrelid "
                  "JOIN pg_namespace n ON n.oid = parent.relnamespace "
                  "WHERE parent.relname = %s AND n.nspname = current_schema()", [table])
        return dict(c.fetchall())


# --- Converting a table (migrations) ------------------------------------------------------------

def _columns(c, table: str, attnums: list[int]) -> list[str]:
    c.execute("SELECT attnum, attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum = ANY(%s)",
              [table, attnums])
    names = dict(c.fetchall())
    return [names[n] for n in attnums]


def _describe(c, table: str) -> dict:
    """What must be rebuilt on the new table: primary key, unique and foreign-key constraints and
    the other indexes, by name (Django finds its named indexes and constraints by name later)."""
    c.execute("SELECT conname, contype, conkey, pg_get_constraintdef(oid) FROM pg_constraint "
              "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f')", [table])
    rows = c.fetchall()
    c.execute("SELECT conrelid::regclass::text, conname FROM pg_constraint "
              "WHERE confrelid = %s::regclass AND contype = 'f' AND conrelid <> confrelid", [table])
    referenced_by = c.fetchall()
    c.execute("SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s "
              "AND i.schemaname = current_schema() AND i.indexname NOT IN "
              "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)", [table, table])
    indexes = c.fetchall()
    return {
        "pk": [(name, _columns(c, table, list(keys))) for name, kind, keys, _d in rows if kind == "p"],
        "unique": [(name, _columns(c, table, list(keys))) for name, kind, keys, _d in rows if kind == "u"],
        "fk": [(name, definition) for name, kind, _k, definition in rows if kind == "f"],
        "indexes": indexes,
        "referenced_by": referenced_by,
    }


def _month_partition_sql(spec: Spec, month: datetime.date) -> str:
    return (f"CREATE TABLE {_q(partition_name(spec.table, month))} PARTITION OF {_q(spec.table)} "
            f"FOR VALUES FROM ({_bound(spec, month)}) TO ({_bound(spec, add_months(month, 1))})")


def rebuild_table(spec: Spec, *, partitioned: bool, today: datetime.date | None = None) -> None:
    """Replace `spec.table` by a partitioned copy (or, `partitioned=False`, a plain one: the
    migration's way back) with the same columns, defaults, checks, identity sequence, rows,
    indexes and constraints under the same names. Runs inside the migration's transaction."""
    today = today or timezone.localdate()
    table, old = spec.table, f"{spec.table}__old"
    with connection.cursor() as c:
        info = _describe(c, table)
        if info["referenced_by"]:
            raise RuntimeError(f"{table} is referenced by {info['referenced_by']}: drop those foreign keys first")
        c.execute(f"ALTER TABLE {_q(table)} RENAME TO {_q(old)}")
        c.execute(f"CREATE TABLE {_q(table)} (LIKE {_q(old)} INCLUDING DEFAULTS INCLUDING IDENTITY "
                  f"INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS)"
                  + (f" PARTITION BY RANGE ({_q(spec.key)})" if partitioned else ""))
        if partitioned:
            c.execute(f"CREATE TABLE {_q(table + '_default')} PARTITION OF {_q(table)} DEFAULT")
            c.execute(f"SELECT DISTINCT date_trunc('month', {_q(spec.key)})::date FROM {_q(old)} "  # noqa: S608
                      f"ORDER BY 1 LIMIT {MAX_MONTHS_FROM_ROWS}")
            months = {row[0] for row in c.fetchall()} | {month_start(today), add_months(month_start(today), 1)}
            for month in sorted(months):
                c.execute(_month_partition_sql(spec, month))
        c.execute(f"INSERT INTO {_q(table)} SELECT * FROM {_q(old)}")  # noqa: S608 - names of our tables
        # The new identity sequence continues where the old one was, so no id is given twice.
        c.execute("SELECT pg_get_serial_sequence(%s, 'id'), pg_get_serial_sequence(%s, 'id')", [old, table])
        old_seq, new_seq = c.fetchone()
        c.execute(f"SELECT last_value, is_called FROM {old_seq}")  # noqa: S608 - a name PostgreSQL gave
        last, called = c.fetchone()
        c.execute("SELECT setval(%s, %s, %s)", [new_seq, last, called])
        c.execute(f"DROP TABLE {_q(old)}")
        c.execute(f"ALTER SEQUENCE {new_seq} RENAME TO {_q(table + '_id_seq')}")
        for name, cols in info["pk"]:
            cols = [col for col in cols if col != spec.key] if not partitioned else cols
            if partitioned and spec.key not in cols:
                cols = [*cols, spec.key]
            c.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} PRIMARY KEY ({', '.join(map(_q, cols))})")
        for name, cols in info["unique"]:
            if partitioned and spec.key not in cols:
                if name not in spec.appended_to:
                    raise RuntimeError(f"{table}.{name} lacks the partition key {spec.key}")
                cols = [*cols, spec.key]
            elif not partitioned and name in spec.appended_to:
                cols = [col for col in cols if col != spec.key]
            c.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} UNIQUE ({', '.join(map(_q, cols))})")
        for name, definition in info["fk"]:
            c.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
        for _name, definition in info["indexes"]:
            c.execute(definition)


def partition_table(schema_editor, spec: Spec) -> None:
    if schema_editor.connection.vendor == "postgresql" and not is_partitioned(spec.table):
        rebuild_table(spec, partitioned=True)


def unpartition_table(schema_editor, spec: Spec) -> None:
    if schema_editor.connection.vendor == "postgresql" and is_partitioned(spec.table):
        rebuild_table(spec, partitioned=False)


# --- Keeping them (periodic task, command, check-integrity) ---------------------------------------

def _ensure_month(c, spec: Spec, month: datetime.date, existing: dict[str, str]) -> bool:
    """Give `month` its own partition, moving any of its rows out of the DEFAULT partition first
    (PostgreSQL refuses to attach a range the default partition holds rows of)."""
    name = partition_name(spec.table, month)
    if name in existing:
        return False
    default, low, high = _q(spec.table + "_default"), _bound(spec, month), _bound(spec, add_months(month, 1))
    c.execute(f"LOCK TABLE {_q(spec.table)} IN SHARE ROW EXCLUSIVE MODE")
    c.execute(f"CREATE TABLE {_q(name)} (LIKE {_q(spec.table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    c.execute(f"WITH moved AS (DELETE FROM {default} WHERE {_q(spec.key)} >= {low} AND {_q(spec.key)} < {high} "  # noqa: S608
              f"RETURNING *) INSERT INTO {_q(name)} SELECT * FROM moved")
    c.execute(f"ALTER TABLE {_q(spec.table)} ATTACH PARTITION {_q(name)} FOR VALUES FROM ({low}) TO ({high})")
    existing[name] = "new"
    return True


def _default_months(c, spec: Spec) -> list[datetime.date]:
    c.execute(f"SELECT DISTINCT date_trunc('month', {_q(spec.key)})::date FROM {_q(spec.table + '_default')} "  # noqa: S608
              f"ORDER BY 1 LIMIT {MAX_MONTHS_FROM_ROWS}")
    return [row[0] for row in c.fetchall()]


def _referencing_keys(c, table: str) -> list[tuple[str, str, str]]:
    """The foreign keys declared on other partitioned parents that point at `table` (their
    per-partition clones go and come back with them)."""
    c.execute("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
              "WHERE confrelid = %s::regclass AND contype = 'f' AND conparentid = 0", [table])
    return c.fetchall()


def ensure_partitions(*, today: datetime.date | None = None, ahead: int = 2, back: int = 0) -> list[str]:
    """Create this month's and the next `ahead` months' partitions of every partitioned table,
    and a partition for each month that has rows waiting in the DEFAULT partition. Returns the
    names created (`back` months before this one too: the demo's three years are written straight
    into their months instead of the DEFAULT partition). Nothing on SQLite.

    Moving a referenced row (a report) from the DEFAULT partition to its month's is, for
    PostgreSQL 15, a delete the referencing revisions forbid even though the row lives on in the
    new partition; so when reports must move, the revisions' foreign key is dropped for the move
    and added again (validated over the whole table) in the same transaction. That only happens
    for a month that had no partition when its rows came (a far date), not for months made ahead."""
    if connection.vendor != "postgresql":
        return []
    today = today or timezone.localdate()
    ahead_months = {add_months(month_start(today), n) for n in range(-max(0, back), ahead + 1)}
    created = []
    with transaction.atomic(), connection.cursor() as c:
        # Checks still deferred from this transaction's writes would forbid altering the tables.
        c.execute("SET CONSTRAINTS ALL IMMEDIATE")
        plan = []
        for spec in reversed(TABLES):  # a referenced table's month exists before its referrers'
            if not is_partitioned(spec.table):
                continue
            existing = partitions(spec.table)
            waiting = [m for m in _default_months(c, spec) if partition_name(spec.table, m) not in existing]
            plan.append((spec, existing, sorted(ahead_months | set(waiting)), waiting))
        dropped = []
        for spec, _existing, _months, waiting in plan:
            if waiting:
                for table, name, definition in _referencing_keys(c, spec.table):
                    c.execute(f"ALTER TABLE {_q(table)} DROP CONSTRAINT {_q(name)}")
                    dropped.append((table, name, definition))
        for spec, existing, months, _waiting in plan:
            for month in months:
                if _ensure_month(c, spec, month, existing):
                    created.append(partition_name(spec.table, month))
        for table, name, definition in dropped:
            c.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
    return created


def missing_partitions(*, today: datetime.date | None = None) -> list[str]:
    """The partitions of this month and the next that do not exist (what check-integrity asks)."""
    if connection.vendor != "postgresql":
        return []
    today = today or timezone.localdate()
    missing = []
    for spec in TABLES:
        if not is_partitioned(spec.table):
            missing.append(spec.table)
            continue
        existing = partitions(spec.table)
        for month in (month_start(today), add_months(month_start(today), 1)):
            if partition_name(spec.table, month) not in existing:
                missing.append(partition_name(spec.table, month))
    return missing


def default_rows() -> dict[str, int]:
    """Rows waiting in each table's DEFAULT partition (months without their own partition yet)."""
    if connection.vendor != "postgresql":
        return {}
    counts = {}
    with connection.cursor() as c:
        for spec in TABLES:
            if is_partitioned(spec.table):
                c.execute(f"SELECT count(*) FROM {_q(spec.table + '_default')}")  # noqa: S608
                counts[spec.table] = c.fetchone()[0]
    return counts


def detach_before(month: datetime.date, *, schema: str = ARCHIVE_SCHEMA, dry_run: bool = False) -> list[str]:
    """Detach every monthly partition that ends on or before `month` (its first day) and move it
    to `schema`, where it stays a plain table to dump (`pg_dump -t archive.<name>`) and drop.
    Revisions leave before their reports (the foreign key would refuse the other order)."""
    if connection.vendor != "postgresql":
        return []
    month = month_start(month)
    detached = []
    with transaction.atomic(), connection.cursor() as c:
        if not dry_run:
            c.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as in ensure_partitions
            c.execute(f"CREATE SCHEMA IF NOT EXISTS {_q(schema)}")
        for spec in TABLES:
            if not is_partitioned(spec.table):
                continue
            for name in sorted(partitions(spec.table)):
                if not name.startswith(f"{spec.table}_p"):
                    continue
                start = datetime.date(int(name[-6:-2]), int(name[-2:]), 1)
                if add_months(start, 1) > month:
                    continue
                detached.append(name)
                if not dry_run:
                    c.execute(f"ALTER TABLE {_q(spec.table)} DETACH PARTITION {_q(name)}")
                    # An archived month answers to nobody: its copies of the parent's foreign keys
                    # would stop its report month from being detached after it.
                    c.execute("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f' "
                              "AND conparentid = 0",
                              [name])
                    for (fk,) in c.fetchall():
                        c.execute(f"ALTER TABLE {_q(name)} DROP CONSTRAINT {_q(fk)}")
                    c.execute(f"ALTER TABLE {_q(name)} SET SCHEMA {_q(schema)}")
    return detached
