"""The duplicate review (`DuplicatePair`, `PersonMerge`) moved to the people app (people 0005),
which took over the same tables: forgotten here in Django's state only, nothing dropped."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0005_duplicate_review_from_rolls"),
        ("rolls", "0004_importbatch_read_once_in_background"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="DuplicatePair"),
                migrations.DeleteModel(name="PersonMerge"),
            ],
        ),
    ]
