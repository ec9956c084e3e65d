"""The three statements a new OpenRosa submission costs, written out once per process instead of
built by the ORM on every request (on this server building a query cost more than running it):
her attempts under an instanceID, the kitchen named in the form with its recent days, and the
INSERT of the raw submission. Values are always bound, never written into the SQL; names come
from the models. Reads return model instances (`from_db`) with the fields read; any other field
loads if ever asked for, so nothing downstream sees a half-filled row."""

import datetime
import threading
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cache

from django.db import IntegrityError, connection, transaction

from ayni.accounts.scope import Can, Scope
from ayni.capture.models import Channel, Inbound
from ayni.kitchens.models import DailyReport, MonthClose
from ayni.kitchens.services import USUAL_DAYS
from ayni.orgs.models import Organisation, OrgKind


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _col(model, name: str) -> str:
    if name == "pk":
        return connection.ops.quote_name(model._meta.pk.column)
    return _q(model._meta.get_field(name).column)


# --- Her attempts under one instanceID (the idempotency key) ----------------------------------

def ordered(model, names: set[str]) -> tuple[str, ...]:
    """Field names in the model's own order, the order `Model.from_db` reads values in."""
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname in names)


ATTEMPT_FIELDS = ordered(Inbound, {"id", "client_id", "payload_hash", "status", "result", "kind", "kitchen_id"})


@cache
def _attempts_sql(vendor: str, exact: bool) -> str:
    columns = ", ".join(_col(Inbound, f) for f in ATTEMPT_FIELDS)
    match = f"{_col(Inbound, 'client_id')} = %s" if exact else f"{_col(Inbound, 'client_id')} LIKE %s ESCAPE '\\'"
    return (f"SELECT {columns} FROM {_q(Inbound._meta.db_table)} "  # noqa: S608 - names from the model
            f"WHERE {_col(Inbound, 'user')} = %s AND {_col(Inbound, 'channel')} = %s AND {match}")


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def attempts(user, instance_id: str, client_id: str) -> list[Inbound]:
    """Her ODK submissions stored under this instanceID (every attempt: a refused one corrected on
    the phone keeps its instanceID), or under this client id when the form has no instanceID."""
    prefix = f"{instance_id[:50]}/" if instance_id else ""
    with connection.cursor() as cursor:
        cursor.execute(_attempts_sql(connection.vendor, not prefix),
                       [user.pk, Channel.ODK, _like_prefix(prefix) if prefix else client_id])
        rows = cursor.fetchall()
    return _attempts_of(rows, prefix, client_id)


def _attempts_of(rows, prefix: str, client_id: str) -> list[Inbound]:
    result_field = Inbound._meta.get_field("result")
    found = []
    for row in rows:
        inbound = Inbound.from_db(connection.alias, list(ATTEMPT_FIELDS), list(row))
        if isinstance(inbound.result, str):
            inbound.result = result_field.from_db_value(inbound.result, None, connection)
        # SQLite's LIKE ignores case: the prefix is checked exactly here.
        if inbound.client_id.startswith(prefix) if prefix else inbound.client_id == client_id:
            found.append(inbound)
    return found


# --- The kitchen named in the form, and its recent days ---------------------------------------

@dataclass
class Days:
    """What a new day's report is judged against: the kitchen's reports since USUAL_DAYS before
    it (date, rations prepared, closed), and whether its month is closed."""

    date: datetime.date
    rows: list[tuple[datetime.date, int, bool]]
    month_closed: bool


ORG_FIELDS = ordered(Organisation, {"id", "path", "name", "kind_id"})


@cache
def _kitchen_sql(vendor: str) -> str:
    org, kind, report, close = Organisation, OrgKind, DailyReport, MonthClose
    columns = ", ".join(f"o.{_col(org, f)}" for f in ORG_FIELDS)
    return (f"SELECT {columns}, k.{_col(kind, 'is_kitchen')}, "  # noqa: S608 - names from the models
            f"(SELECT 1 FROM {_q(close._meta.db_table)} m WHERE m.{_col(close, 'kitchen')} = o.{_col(org, 'pk')} "
            f"AND m.{_col(close, 'month')} = %s), "
            f"d.{_col(report, 'date')}, d.{_col(report, 'rations_prepared')}, d.{_col(report, 'is_closed')} "
            f"FROM {_q(org._meta.db_table)} o JOIN {_q(kind._meta.db_table)} k ON k.{_col(kind, 'pk')} = "
            f"o.{_col(org, 'kind')} "
            f"LEFT JOIN {_q(report._meta.db_table)} d ON d.{_col(report, 'kitchen')} = o.{_col(org, 'pk')} "
            f"AND d.{_col(report, 'date')} >= %s "
            f"WHERE o.{_col(org, 'pk')} = %s")


def _date(value) -> datetime.date:
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def kitchen_and_days(scope: Scope, instance) -> tuple[Organisation | None, Days | None]:
    """The kitchen named in the form if she may record for it — the rule of
    `kitchens.selectors.visible_kitchens(scope, Can.EDIT)`: a kitchen, where her scope holds
    EDIT — else None (the submission is stored all the same and refused when processed); with,
    for a form that names a day, the kitchen's days around it (None without a readable date)."""
    pk, day = _kitchen_and_day(instance)
    if pk is None:
        return None, None
    with connection.cursor() as cursor:
        cursor.execute(_kitchen_sql(connection.vendor), _kitchen_params(pk, day))
        rows = cursor.fetchall()
    return _kitchen_of(scope, rows, day)


def _kitchen_and_day(instance) -> tuple[int | None, datetime.date | None]:
    try:
        pk = int(instance.values.get("kitchen") or "")
    except ValueError:
        return None, None
    try:
        day = datetime.date.fromisoformat(instance.values.get("date") or "")
    except ValueError:
        day = None
    return pk, day


def _kitchen_params(pk: int, day: datetime.date | None) -> list:
    ops = connection.ops
    return [ops.adapt_datefield_value(day.replace(day=1)) if day else None,
            ops.adapt_datefield_value(day - datetime.timedelta(days=USUAL_DAYS)) if day else None, pk]


def _kitchen_of(scope: Scope, rows, day) -> tuple[Organisation | None, Days | None]:
    if not rows:
        return None, None
    n = len(ORG_FIELDS)
    kitchen = Organisation.from_db(connection.alias, list(ORG_FIELDS), list(rows[0][:n]))
    if not rows[0][n] or not scope.holds(Can.EDIT, kitchen):
        return None, None
    if day is None:
        return kitchen, None
    return kitchen, Days(date=day, month_closed=bool(rows[0][n + 1]),
                         rows=[(_date(r[n + 2]), r[n + 3], bool(r[n + 4])) for r in rows if r[n + 2] is not None])


# --- Both in one statement -------------------------------------------------------------------

@cache
def _both_sql(vendor: str, exact: bool) -> str:
    """Her attempts and the kitchen with its days, one round trip: the two queries above side by
    side (UNION ALL), each row tagged with the one it comes from and NULL in the other's columns."""
    n_attempt, n_kitchen = len(ATTEMPT_FIELDS), len(ORG_FIELDS) + 5
    attempts_sql = _attempts_sql(vendor, exact).replace("SELECT ", "SELECT 0, ", 1)
    head, sep, tail = attempts_sql.partition(" FROM ")
    kitchen_sql = _kitchen_sql(vendor).replace("SELECT ", "SELECT 1, " + "NULL, " * n_attempt, 1)
    return f"{head}{', NULL' * n_kitchen}{sep}{tail} UNION ALL {kitchen_sql}"


def attempts_and_kitchen(scope: Scope, instance, instance_id: str,
                         client_id: str) -> tuple[list[Inbound], Organisation | None, Days | None]:
    """`attempts` and `kitchen_and_days` in one statement (a new submission needs both; a resend
    reads the kitchen's few rows for nothing, and saves nothing by a second round trip)."""
    pk, day = _kitchen_and_day(instance)
    if pk is None:
        return attempts(scope.actor, instance_id, client_id), None, None
    prefix = f"{instance_id[:50]}/" if instance_id else ""
    with connection.cursor() as cursor:
        cursor.execute(_both_sql(connection.vendor, not prefix),
                       [scope.actor.pk, Channel.ODK, _like_prefix(prefix) if prefix else client_id,
                        *_kitchen_params(pk, day)])
        rows = cursor.fetchall()
    n = len(ATTEMPT_FIELDS)
    found = _attempts_of([r[1:n + 1] for r in rows if r[0] == 0], prefix, client_id)
    kitchen, days = _kitchen_of(scope, [r[n + 1:] for r in rows if r[0] == 1], day)
    return found, kitchen, days


# --- The raw submission, stored --------------------------------------------------------------

@cache
def _insert_sql(vendor: str, skip_duplicate: bool = False) -> tuple[str, tuple]:
    meta = Inbound._meta
    fields = tuple(f for f in meta.concrete_fields if not f.primary_key)
    sql = "INSERT INTO {} ({}) VALUES ({}){} RETURNING {}".format(  # noqa: S608 - names from the model
        _q(meta.db_table), ", ".join(_q(f.column) for f in fields), ", ".join(["%s"] * len(fields)),
        " ON CONFLICT DO NOTHING" if skip_duplicate else "", _q(meta.pk.column))
    return sql, fields


def _values(inbound: Inbound, fields) -> list:
    return [f.get_db_prep_save(f.pre_save(inbound, True), connection) for f in fields]


def _stored(inbound: Inbound, pk: int) -> tuple[Inbound, bool]:
    inbound.pk = pk
    inbound._state.adding, inbound._state.db = False, connection.alias
    return inbound, True


def _the_first(inbound: Inbound) -> tuple[Inbound, bool]:
    return Inbound.objects.get(user=inbound.user, client_id=inbound.client_id), False


def _insert_one(inbound: Inbound) -> tuple[Inbound, bool]:
    sql, fields = _insert_sql(connection.vendor)
    values = _values(inbound, fields)
    try:
        # In autocommit the INSERT is its own transaction; inside one (a test, a caller's), a
        # savepoint, so that a duplicate leaves the outer transaction usable.
        with transaction.atomic() if connection.in_atomic_block else nullcontext(), connection.cursor() as cursor:
            cursor.execute(sql, values)
            pk = cursor.fetchone()[0]
    except IntegrityError:
        return _the_first(inbound)
    return _stored(inbound, pk)


def _insert_many(inbounds: list[Inbound]) -> list[tuple[Inbound, bool]]:
    """The submissions of several requests in one transaction: one commit (one fsync of the
    log) for all. A duplicate (a resend that raced its first copy) is skipped by the database and
    found afterwards; anything else that breaks the transaction sends them one by one."""
    sql, fields = _insert_sql(connection.vendor, skip_duplicate=True)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            pks = []
            for inbound in inbounds:
                cursor.execute(sql, _values(inbound, fields))
                row = cursor.fetchone()
                pks.append(row[0] if row else None)
    except IntegrityError:
        return [_insert_one(inbound) for inbound in inbounds]
    return [_stored(inbound, pk) if pk is not None else _the_first(inbound) for inbound, pk in zip(inbounds, pks,
                                                                                                strict=True)]


class _GroupCommit:
    """Group commit of the raw submissions of one server process. Every commit waits for the
    database's log to reach the disk (an fsync: about 7 ms on this server's disk with SQLite's
    synchronous=FULL, kept so that nothing answered 201 is lost on a power cut), and SQLite takes
    one writer at a time, so one commit per submission caps a whole install at ~150 forms a
    second however many cores it has. The request threads of a process (gunicorn's `gthread`
    workers) therefore hand their INSERT to whichever of them is committing: it takes every
    submission waiting when it starts, writes them in one transaction, and each request is
    answered only after that commit — the same promise, one fsync for all. Alone, a request
    commits at once: nothing waits for company."""

    def __init__(self):
        self.cond = threading.Condition()
        self.waiting: list[list] = []
        self.busy = False

    def insert(self, inbound: Inbound) -> tuple[Inbound, bool]:
        slot = [inbound, None]
        with self.cond:
            self.waiting.append(slot)
            while slot[1] is None:
                if self.busy:
                    self.cond.wait()
                    continue
                self.busy, group, self.waiting = True, self.waiting, []
                self.cond.release()
                try:
                    outcomes = _insert_many([s[0] for s in group]) if len(group) > 1 else [
                        _insert_one(group[0][0])]
                except BaseException as exc:  # noqa: BLE001 - each waiting request raises it
                    outcomes = [exc] * len(group)
                finally:
                    self.cond.acquire()
                    self.busy = False
                for s, outcome in zip(group, outcomes, strict=True):
                    s[1] = outcome
                self.cond.notify_all()
        if isinstance(slot[1], BaseException):
            raise slot[1]
        return slot[1]


_group = _GroupCommit()


def insert(inbound: Inbound) -> tuple[Inbound, bool]:
    """One INSERT of the raw submission, committed (as `capture.inbound.store`) before it returns;
    in autocommit, with the other requests of this process that are storing at the same moment
    (`_GroupCommit`). Its unique (user, client id) makes a resend that raced the first one find
    it: (the stored one, False)."""
    if connection.in_atomic_block:
        return _insert_one(inbound)
    return _group.insert(inbound)
