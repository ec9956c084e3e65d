"""Daily reports and their revisions partitioned by month on PostgreSQL (lib/partitions.py).

Each revision carries its report's day (`report_date`), so both tables share the partition key
and the revisions' foreign key can point at the partitioned reports: PostgreSQL wants the key in
the referenced unique constraint, so the key is (report_id, report_date) → (id, date), which also
keeps the copied day equal to the report's. SQLite keeps plain tables and the plain foreign key.
"""

from django.db import migrations, models

from ayni.lib import partitions

REPORTS, REVISIONS = partitions.TABLES[1], partitions.TABLES[0]
FK = "kitchens_revision_report_day_fk"


def _foreign_keys_to_reports(cursor) -> list[str]:
    cursor.execute("SELECT conname FROM pg_constraint WHERE contype = 'f' "
                   "AND conrelid = 'kitchens_dailyreportrevision'::regclass "
                   "AND confrelid = 'kitchens_dailyreport'::regclass")
    return [name for (name,) in cursor.fetchall()]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql" or partitions.is_partitioned(REPORTS.table):
        return
    with schema_editor.connection.cursor() as c:
        for name in _foreign_keys_to_reports(c):
            c.execute(f'ALTER TABLE kitchens_dailyreportrevision DROP CONSTRAINT "{name}"')
    partitions.partition_table(schema_editor, REPORTS)
    partitions.partition_table(schema_editor, REVISIONS)
    with schema_editor.connection.cursor() as c:
        c.execute(f'ALTER TABLE kitchens_dailyreportrevision ADD CONSTRAINT "{FK}" '
                  "FOREIGN KEY (report_id, report_date) REFERENCES kitchens_dailyreport (id, date) "
                  "DEFERRABLE INITIALLY DEFERRED")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql" or not partitions.is_partitioned(REPORTS.table):
        return
    with schema_editor.connection.cursor() as c:
        for name in _foreign_keys_to_reports(c):
            c.execute(f'ALTER TABLE kitchens_dailyreportrevision DROP CONSTRAINT "{name}"')
    partitions.unpartition_table(schema_editor, REVISIONS)
    partitions.unpartition_table(schema_editor, REPORTS)
    with schema_editor.connection.cursor() as c:
        c.execute('ALTER TABLE kitchens_dailyreportrevision ADD CONSTRAINT "kitchens_revision_report_fk" '
                  "FOREIGN KEY (report_id) REFERENCES kitchens_dailyreport (id) DEFERRABLE INITIALLY DEFERRED")


class Migration(migrations.Migration):
    dependencies = [
        ("kitchens", "0006_figures_revision"),
    ]

    operations = [
        migrations.AddField(
            model_name="dailyreportrevision",
            name="report_date",
            field=models.DateField(editable=False, null=True),
        ),
        migrations.RunSQL(
            "UPDATE kitchens_dailyreportrevision SET report_date = "
            "(SELECT r.date FROM kitchens_dailyreport r WHERE r.id = kitchens_dailyreportrevision.report_id)",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="dailyreportrevision",
            name="report_date",
            field=models.DateField(editable=False),
        ),
        migrations.RunPython(forward, backward),
    ]
