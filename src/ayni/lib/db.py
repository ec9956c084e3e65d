"""Writing many rows of one model at once, for the sync's batches.

`bulk_create` writes one statement with a placeholder per value and reads the new ids back,
and `bulk_update` a CASE per field and row; in a batch of a hundred reports that cost more
than the database's own work. Rows whose ids nobody reads afterwards (a history, an audit
trail) and the final state of many rows are written here instead, with one prepared statement
run once per row (`executemany`). Values go through each field's own `get_db_prep_save`, as
the ORM does, and are always bound, never written into the SQL.

New rows whose ids are read back (the reports, the raw submissions) go through
`insert_returning`: the one multi-row `INSERT … RETURNING id` that `bulk_create` writes, without
its per-value machinery. The values of a column are prepared once per distinct value
(`_columns`): a batch of a hundred rows shares its kitchen, its sender, its instant and most of
its numbers, and preparing each value again was most of the cost of writing them.
"""

import datetime
import json
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models

try:
    from psycopg.types.json import Jsonb
except ImportError:  # SQLite only
    Jsonb = None

# Values whose prepared form depends on nothing but the value (and its type): prepared once per
# column and distinct value. Anything else (a dict for a JSON column) is prepared for each row,
# unless it is the very same object as the row before's.
_SAME_VALUE = (int, str, bool, Decimal, datetime.date, datetime.datetime, type(None))
_MISSING = object()


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _columns(fields: list[models.Field], objs: list[models.Model], add: bool, pre_save: bool = True) -> list[list]:
    """The bound values of `fields` for each of `objs`, column by column, as `save` would bind
    them: `pre_save` first, unless told not to (an auto_now field takes one instant for all the
    rows, which a bulk write has always been), then `get_db_prep_save`."""
    columns = []
    for f in fields:
        if not pre_save:
            raws = [getattr(obj, f.attname) for obj in objs]
        elif getattr(f, "auto_now", False) or (add and getattr(f, "auto_now_add", False)):
            now = f.pre_save(objs[0], add)
            for obj in objs:
                setattr(obj, f.attname, now)
            raws = [now] * len(objs)
        elif type(f).pre_save is models.Field.pre_save:
            attname = f.attname
            raws = [getattr(obj, attname) for obj in objs]
        else:
            raws = [f.pre_save(obj, add) for obj in objs]
        columns.append(_prepared(f, raws))
    return columns


def _prepared(f: models.Field, raws: list) -> list:
    """`get_db_prep_save` of each value of a column, once per distinct value (a dict, unless it
    is the very same object as the row before's, for each row). A `Prepared` value is bound as
    it is."""
    seen: dict = {}
    column, last_raw, last = [], _MISSING, None
    for raw in raws:
        if raw is not last_raw:
            if type(raw) in _SAME_VALUE and (type(raw) is not Decimal or raw.is_finite()):
                key = (type(raw), raw)
                if key not in seen:
                    seen[key] = f.get_db_prep_save(raw, connection)
                last = seen[key]
            elif type(raw) is Prepared:
                last = raw.value
            else:
                last = f.get_db_prep_save(raw, connection)
            last_raw = raw
        column.append(last)
    return column


class Prepared:
    """A value already in the form its column binds (`json_value`: a snapshot's JSON encoded
    once for the two tables that keep it)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def json_value(value: dict) -> Prepared:
    """A dict for a JSON column, encoded once: the text itself on SQLite; on PostgreSQL the
    text too when the rows go as arrays (`_unnest`: cast to jsonb there), else psycopg's
    wrapper, which encodes it at each bind."""
    return Prepared(json.dumps(value, cls=DjangoJSONEncoder))


def _unnest(fields: list[models.Field]) -> str:
    """PostgreSQL: one array parameter per column, as Django's own `bulk_create` does there
    (`UNNEST`): a statement of a few placeholders whatever the number of rows, parsed and
    planned at once, instead of a placeholder per value or a statement per row."""
    return "UNNEST({})".format(", ".join(  # the type without its length: no truncation
        "(%s)::{}[]".format(f.db_type(connection).split("(")[0]) for f in fields))


def _arrays(columns: list[list]) -> list:
    """The columns as the text of PostgreSQL arrays, one bound parameter each: every element
    double-quoted with its backslashes and quotes escaped (the array syntax's own escaping; the
    literal itself is then bound and quoted by psycopg, as any text). psycopg would escape each
    element by a regular expression in Python, per quote character — a snapshot's JSON has dozens.
    A column with a value of any other type is left to psycopg."""
    out = []
    for column in columns:
        parts = []
        for v in column:
            t = type(v)
            if v is None:
                parts.append("NULL")
                continue
            if t is bool:
                parts.append("t" if v else "f")
                continue
            if isinstance(v, int):  # psycopg's Int2/Int4, which Django binds small integers as
                parts.append(int.__repr__(v))
                continue
            if isinstance(v, str):  # a choice (a str enum) as its value
                text = v
            elif t is Decimal or t is datetime.date or t is datetime.datetime:
                text = str(v) if t is Decimal else v.isoformat()
            elif t is Jsonb:
                text = (v.dumps or json.dumps)(v.obj)
            else:
                parts = None
                break
            parts.append('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
        out.append(column if parts is None else "{" + ",".join(parts) + "}")
    return out


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def insert_returning(objs: list[models.Model]) -> None:
    """INSERT new rows of one model and set their ids, as `bulk_create` does (one statement per
    chunk the engine can bind, `RETURNING` the ids in the rows' order; on PostgreSQL one
    statement of arrays, `_unnest`, as `bulk_create` writes there)."""
    if not objs:
        return
    meta = objs[0]._meta
    if not connection.features.can_return_rows_from_bulk_insert:
        meta.model._base_manager.bulk_create(objs)
        return
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    columns = _columns(fields, objs, True)
    head = "INSERT INTO {} ({}) ".format(  # noqa: S608 - names from the model, values bound
        _quote(meta.db_table), ", ".join(_quote(f.column) for f in fields))
    returning = f" RETURNING {_quote(meta.pk.column)}"
    with connection.cursor() as cursor:
        if _is_postgres():
            cursor.execute(f"{head}SELECT * FROM {_unnest(fields)}{returning}", _arrays(columns))  # noqa: S608
            chunks = [(objs, cursor.fetchall())]
        else:
            rows = list(zip(*columns, strict=True))
            size = max(1, connection.ops.bulk_batch_size(fields, objs))
            row = "({})".format(", ".join(["%s"] * len(fields)))
            chunks = []
            for start in range(0, len(rows), size):
                chunk = rows[start:start + size]
                cursor.execute(f"{head}VALUES {', '.join([row] * len(chunk))}{returning}",
                               [v for r in chunk for v in r])
                chunks.append((objs[start:start + size], cursor.fetchall()))
    for chunk_objs, ids in chunks:
        for obj, (pk,) in zip(chunk_objs, ids, strict=True):
            obj.pk = pk
            obj._state.adding = False
            obj._state.db = connection.alias


def insert_rows(objs: list[models.Model]) -> None:
    """INSERT new rows of one model, their ids left to the database and not read back (a key the
    model makes itself, a UUID, is written as it is). Related rows must already have their ids;
    auto_now(_add) fields are filled as `save` fills them."""
    if not objs:
        return
    meta = objs[0]._meta
    fields = [f for f in meta.concrete_fields if not (f.primary_key and f.db_returning)]
    _insert(meta, fields, _columns(fields, objs, True))


def insert_columns(model: type[models.Model], values: dict[str, list]) -> None:
    """`insert_rows` of rows given as their values, column by column (field name → one value per
    row), with no model instance: the fields not named take their defaults (`auto_now_add`:
    now, one instant for all), values go through their fields' `get_db_prep_save` once per
    distinct value, and a `Prepared` one (`json_value`) as it is."""
    meta = model._meta
    n = len(next(iter(values.values())))
    if not n:
        return
    fields, columns = [], []
    for f in meta.concrete_fields:
        if f.primary_key and f.db_returning:
            continue
        if f.name in values:
            raws = values[f.name]
        elif f.attname in values:
            raws = values[f.attname]
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            raws = [f.pre_save(model(), True)] * n
        else:
            raws = [f.get_default()] * n
        fields.append(f)
        columns.append(_prepared(f, raws))
    _insert(meta, fields, columns)


def _insert(meta, fields: list[models.Field], columns: list[list]) -> None:
    """One prepared INSERT run per row (`executemany`), or on PostgreSQL one of arrays."""
    head = "INSERT INTO {} ({}) ".format(  # noqa: S608 - names from the model, values bound
        _quote(meta.db_table), ", ".join(_quote(f.column) for f in fields))
    with connection.cursor() as cursor:
        if _is_postgres():
            cursor.execute(f"{head}SELECT * FROM {_unnest(fields)}", _arrays(columns))  # noqa: S608
        else:
            cursor.executemany("{}VALUES ({})".format(head, ", ".join(["%s"] * len(fields))),
                               list(zip(*columns, strict=True)))


def update_rows(objs: list[models.Model], names: list[str]) -> None:
    """UPDATE the fields `names` of rows of one model, each to its own values, by id: one
    prepared UPDATE per row (`executemany`), or on PostgreSQL one UPDATE joined to the arrays
    of the new values."""
    if not objs:
        return
    meta = objs[0]._meta
    fields = [meta.get_field(name) for name in names]
    table, pk = _quote(meta.db_table), _quote(meta.pk.column)
    ids = [obj.pk for obj in objs]
    columns = _columns(fields, objs, False, pre_save=False)
    with connection.cursor() as cursor:
        if _is_postgres():
            # Two objects of one row would make the join ambiguous: the last one wins, as it would
            # one UPDATE after the other.
            last = {}
            for n, row_id in enumerate(ids):
                last[row_id] = n
            if len(last) < len(ids):
                keep = sorted(last.values())
                ids, columns = [ids[n] for n in keep], [[c[n] for n in keep] for c in columns]
            names_v = ", ".join(_quote(f"v{n}") for n in range(len(fields)))
            cursor.execute("UPDATE {} SET {} FROM {} AS v(id_, {}) WHERE {}.{} = v.id_".format(  # noqa: S608
                table, ", ".join(f"{_quote(f.column)} = v.{_quote(f'v{n}')}" for n, f in enumerate(fields)),
                _unnest([meta.pk, *fields]), names_v, table, pk), _arrays([ids, *columns]))
        else:
            cursor.executemany("UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608 - names from the model
                table, ", ".join(f"{_quote(f.column)} = %s" for f in fields), pk),
                list(zip(*columns, ids, strict=True)))


def add_to_rows(model: type[models.Model], keys: tuple[str, ...], changes: dict[tuple, dict],
                fields: tuple[str, ...]) -> None:
    """Add to rows of a table of running totals, found by their unique `keys` (a tuple of values
    per row), the `fields` of each change (absent ones add zero), creating a missing row with
    the change as its values: one `INSERT … ON CONFLICT DO UPDATE` (PostgreSQL and SQLite both
    have it) instead of an UPDATE, and an INSERT when it changed nothing, per row. Rows go in key
    order, so two writers that share rows lock them in the same order and never wait crosswise;
    the arithmetic is done by the database on the row it holds, never read and written back."""
    if not changes:
        return
    meta = model._meta
    key_fields = [meta.get_field(name) for name in keys]
    value_fields = [meta.get_field(name) for name in fields]
    table = _quote(meta.db_table)
    columns = [_quote(f.column) for f in (*key_fields, *value_fields)]
    row = "({})".format(", ".join(["%s"] * len(columns)))
    rows = sorted(changes.items())
    with connection.cursor() as cursor:
        for start in range(0, len(rows), ADD_CHUNK):  # SQLite binds at most 32,766 values per statement
            chunk, params = rows[start:start + ADD_CHUNK], []
            for key, change in chunk:
                params.extend(f.get_db_prep_save(v, connection) for f, v in zip(key_fields, key, strict=True))
                params.extend(f.get_db_prep_save(change.get(f.name, 0), connection) for f in value_fields)
            cursor.execute("INSERT INTO {} ({}) VALUES {} ON CONFLICT ({}) DO UPDATE SET {}".format(  # noqa: S608
                table, ", ".join(columns), ", ".join([row] * len(chunk)),
                ", ".join(_quote(f.column) for f in key_fields),
                ", ".join(f"{c} = {table}.{c} + EXCLUDED.{c}" for c in columns[len(key_fields):])), params)


ADD_CHUNK = 1000
