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
from decimal import Decimal

from django.db import connection, models

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
        seen: dict = {}
        column, last_raw, last = [], _MISSING, None
        for raw in raws:
            if raw is not last_raw:
                if type(raw) in _SAME_VALUE and (type(raw) is not Decimal or raw.is_finite()):
                    key = (type(raw), raw)
                    if key not in seen:
                        seen[key] = f.get_db_prep_save(raw, connection)
                    last = seen[key]
                else:
                    last = f.get_db_prep_save(raw, connection)
                last_raw = raw
            column.append(last)
        columns.append(column)
    return columns


def insert_returning(objs: list[models.Model]) -> None:
    """INSERT new rows of one model and set their ids, as `bulk_create` does (one statement per
    chunk the engine can bind, `RETURNING` the ids in the rows' order)."""
    if not objs:
        return
    meta = objs[0]._meta
    if not connection.features.can_return_rows_from_bulk_insert:
        meta.model._base_manager.bulk_create(objs)
        return
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    rows = list(zip(*_columns(fields, objs, True), strict=True))
    size = max(1, connection.ops.bulk_batch_size(fields, objs))
    head = "INSERT INTO {} ({}) VALUES ".format(  # noqa: S608 - names from the model, values bound
        _quote(meta.db_table), ", ".join(_quote(f.column) for f in fields))
    row = "({})".format(", ".join(["%s"] * len(fields)))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start:start + size]
            cursor.execute(f"{head}{', '.join([row] * len(chunk))} RETURNING {_quote(meta.pk.column)}",
                           [v for r in chunk for v in r])
            for obj, (pk,) in zip(objs[start:start + size], cursor.fetchall(), strict=True):
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
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from the model, values bound
        _quote(meta.db_table), ", ".join(_quote(f.column) for f in fields), ", ".join(["%s"] * len(fields)))
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(zip(*_columns(fields, objs, True), strict=True)))


def update_rows(objs: list[models.Model], names: list[str]) -> None:
    """UPDATE the fields `names` of rows of one model, each to its own values, by id."""
    if not objs:
        return
    meta = objs[0]._meta
    fields = [meta.get_field(name) for name in names]
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608 - names from the model, values bound
        _quote(meta.db_table), ", ".join(f"{_quote(f.column)} = %s" for f in fields), _quote(meta.pk.column))
    ids = [obj.pk for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(zip(*_columns(fields, objs, False, pre_save=False), ids, strict=True)))


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
