"""Writing many rows of one model at once, for the sync's batches.

`bulk_create` writes one statement with a placeholder per value and reads the new ids back,
and `bulk_update` a CASE per field and row; in a batch of a hundred reports that cost more
than the database's own work. Rows whose ids nobody reads afterwards (a history, an audit
trail) and the final state of many rows are written here instead, with one prepared statement
run once per row (`executemany`). Values go through each field's own `get_db_prep_save`, as
the ORM does, and are always bound, never written into the SQL.
"""

from django.db import connection, models


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


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
    rows = [[f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields] for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def update_rows(objs: list[models.Model], names: list[str]) -> None:
    """UPDATE the fields `names` of rows of one model, each to its own values, by id."""
    if not objs:
        return
    meta = objs[0]._meta
    fields = [meta.get_field(name) for name in names]
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608 - names from the model, values bound
        _quote(meta.db_table), ", ".join(f"{_quote(f.column)} = %s" for f in fields), _quote(meta.pk.column))
    rows = [[f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk] for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


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
