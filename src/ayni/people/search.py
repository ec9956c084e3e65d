"""The index behind people search by name: any part of the folded full name (`Person.search_name`)
found without reading every person.

A word is looked up as a substring, as `search_name LIKE '%word%'` always did; a trigram index
answers that on both engines:

- PostgreSQL: a GIN index with `pg_trgm`'s operator class on `search_name`, which serves the
  very `LIKE` Django writes for `__contains` (migration `people.0004_person_search_index`; the
  extension ships with PostgreSQL's contrib, and creating it needs a superuser the first time).
- SQLite: an FTS5 table with the `trigram` tokenizer (SQLite ≥ 3.34) over `people_person`'s own
  `search_name` (external content: the names are not stored twice), kept in step by three
  triggers, so every way a person is written — the services, the roll import, the demo's bulk
  INSERTs, a merge — updates it. A phrase query of three characters or more matches exactly the
  rows that contain it.

A word of one or two characters has no trigram: it keeps the plain `LIKE` over the people the
other words found (the search page asks for at least one word of `MIN_INDEXED` characters).
`ayni check-integrity` compares the SQLite index with the table.

A DNI is looked up by its first digits. On SQLite that is a range of the DNI's own index, not
`LIKE 'digits%'`: SQLite's `LIKE` ignores case, so it cannot use an index and read every person
(national-full «4567»: 76 ms; the range, 0.2 ms). PostgreSQL's `LIKE` uses the DNI's
`varchar_pattern_ops` index that Django makes for a unique text column.
"""

# The SQL below is built from this module's constants, never from input; words are parameters.
# ruff: noqa: S608

from django.db import DatabaseError, connection
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from ayni.lib.identity import number_prefixes
from ayni.lib.text import fold

FTS_TABLE = "people_person_search"
MIN_INDEXED = 3  # the shortest word a trigram index can find
TRIGGERS = {
    f"{FTS_TABLE}_insert": f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_insert AFTER INSERT ON people_person BEGIN
        INSERT INTO {FTS_TABLE} (rowid, search_name) VALUES (new.id, new.search_name); END""",
    f"{FTS_TABLE}_delete": f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_delete AFTER DELETE ON people_person BEGIN
        INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, search_name) VALUES ('delete', old.id, old.search_name);
        END""",
    f"{FTS_TABLE}_update": f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_update AFTER UPDATE OF search_name ON
        people_person BEGIN
        INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, search_name) VALUES ('delete', old.id, old.search_name);
        INSERT INTO {FTS_TABLE} (rowid, search_name) VALUES (new.id, new.search_name); END""",
}
POSTGRES_INDEX = "person_search_name_trgm"


def names_contain(words: list[str], *, through_index: bool = True) -> Q:
    """People whose folded full name contains every one of `words` (already folded), through
    the index unless `through_index` is False (see `people.selectors.search_people`)."""
    q = Q()
    if connection.vendor == "sqlite" and through_index:
        indexed = [w for w in words if len(w) >= MIN_INDEXED]
        if indexed:
            # One MATCH for all the words, their phrases joined by AND: FTS5 intersects the
            # words' lists itself. A subquery per word made SQLite build each word's whole list
            # first (national-full «rosa mamani huamán»: 144 ms; one MATCH: 14 ms).
            query = " AND ".join('"' + w.replace('"', '""') + '"' for w in indexed)
            q &= Q(pk__in=RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [query]))  # noqa: S611
            words = [w for w in words if len(w) < MIN_INDEXED]
    for word in words:
        q &= Q(search_name__contains=word)
    return q


def dni_starts_with(digits: str, field: str = "dni") -> Q:
    """People whose identity number starts with `digits` (ASCII), through the DNI's index (see
    above): a Peruvian DNI, or another country's number stored after its code (`BO-4870…`)."""
    found = Q()
    for prefix in number_prefixes(digits):
        if connection.vendor == "sqlite":
            # Numbers are ASCII: those starting with "4567" sort from "4567" up to, not
            # including, "4568" ("456:" after "4569": ":" follows "9" in ASCII, SQLite's order).
            found |= Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix[:-1] + chr(ord(prefix[-1]) + 1)})
        else:
            found |= Q(**{f"{field}__startswith": prefix})
    return found


def long_enough(text: str) -> bool:
    """A search the index can answer: a word of `MIN_INDEXED` letters, or as many digits of a
    DNI. Shorter, it would match a good part of the country and read it all to say so."""
    text = text.strip()
    if text.isdigit():
        return len(text) >= MIN_INDEXED
    return any(len(word) >= MIN_INDEXED for word in fold(text).split())


def create_index(schema_editor) -> None:
    """The migration's step: the trigram index of this engine, filled from the people already there."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {POSTGRES_INDEX} ON people_person "
                              "USING gin (search_name gin_trgm_ops)")
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(search_name, "
                              "content='people_person', content_rowid='id', tokenize='trigram')")
        keep_index_in_step(schema_editor.connection)


def drop_index(schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {POSTGRES_INDEX}")
    elif schema_editor.connection.vendor == "sqlite":
        for name in TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


def keep_index_in_step(db=None, **kwargs) -> None:
    """On SQLite, put back any trigger that is missing, and rebuild the index if one was: a later
    migration that changes `people_person` makes SQLite copy the table into a new one, and the
    old table's triggers go with it. Runs after every `migrate` (post_migrate)."""
    db = db or connection
    if db.vendor != "sqlite":
        return
    with db.cursor() as cur:
        cur.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') AND name LIKE %s",
                    [FTS_TABLE + "%"])
        present = {name for (name,) in cur.fetchall()}
        if FTS_TABLE not in present or TRIGGERS.keys() <= present:
            return
        for sql in TRIGGERS.values():
            cur.execute(sql)
        cur.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('rebuild')")


def index_violations() -> list[str]:
    """The SQLite index holds every person's name as it is now, and its triggers are there."""
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cur:
        cur.execute("SELECT name FROM sqlite_master WHERE name LIKE %s", [FTS_TABLE + "%"])
        present = {name for (name,) in cur.fetchall()}
        if FTS_TABLE not in present:
            return [_("falta el índice de búsqueda de personas (%(table)s)") % {"table": FTS_TABLE}]
        out = [_("el índice de búsqueda de personas perdió su disparador %(name)s") % {"name": name}
               for name in TRIGGERS if name not in present]
        try:
            # rank 1: compare the index with the content table, not only with itself.
            cur.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rank) VALUES ('integrity-check', 1)")
        except DatabaseError as exc:
            out.append(_("el índice de búsqueda de personas no coincide con la tabla de personas (%(error)s)")
                       % {"error": exc})
    return out
