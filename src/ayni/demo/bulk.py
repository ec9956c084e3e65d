"""Plain multi-row INSERTs for the demo's largest tables (daily reports, movements, roll people
and entries): Django's `bulk_create` prepares every value through its field, which at hundreds
of thousands of rows costs more than building them."""

from django.db import connection, models

BATCH = 2000


def insert_rows(model, fields: list[str], rows: list[tuple]) -> None:
    """Insert `rows` (tuples in `fields` order) into `model`'s table. Dates go in as ISO text and
    decimals as strings: both engines read them as the column's type."""
    if not rows:
        return
    meta = model._meta
    qn = connection.ops.quote_name
    columns = ", ".join(qn(meta.get_field(f).column) for f in fields)
    # Table and column names come from the model; values are parameters.
    sql = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
    dates = [i for i, f in enumerate(fields) if type(meta.get_field(f)) is models.DateField]
    with connection.cursor() as cursor:
        for i in range(0, len(rows), BATCH):
            batch = [list(r) for r in rows[i:i + BATCH]]
            for r in batch:
                for j in dates:
                    if r[j] is not None:
                        r[j] = r[j].isoformat()
            cursor.executemany(sql, batch)
