"""The audit trail partitioned by month of `at` (UTC) on PostgreSQL (lib/partitions.py); SQLite
keeps the plain table. Nothing references an audit entry, so only its primary key changes: (id, at)."""

from django.db import migrations

from ayni.lib import partitions

AUDIT = partitions.TABLES[2]


def forward(apps, schema_editor):
    partitions.partition_table(schema_editor, AUDIT)


def backward(apps, schema_editor):
    partitions.unpartition_table(schema_editor, AUDIT)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_audit_reason"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
