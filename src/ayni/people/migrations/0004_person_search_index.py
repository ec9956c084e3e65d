"""A trigram index for people search by name: pg_trgm's GIN on PostgreSQL, an FTS5 table with
the trigram tokenizer and its triggers on SQLite (`ayni.people.search`)."""

from django.db import migrations


def create(apps, schema_editor):
    from ayni.people.search import create_index

    create_index(schema_editor)


def drop(apps, schema_editor):
    from ayni.people.search import drop_index

    drop_index(schema_editor)


class Migration(migrations.Migration):
    # CREATE INDEX on a large table and CREATE EXTENSION: not inside the other steps' transaction.
    atomic = False

    dependencies = [("people", "0003_person_dni_ascii")]

    operations = [migrations.RunPython(create, drop)]
