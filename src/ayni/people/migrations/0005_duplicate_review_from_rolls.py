"""The duplicate review (`DuplicatePair`, `PersonMerge`) belongs to people now, not to rolls: it
is about people, and people sits below rolls (docs/architecture.md). Only Django's idea of the
models moves: the tables keep their names (`db_table`) and their rows, so nothing is copied or
locked on a large database. rolls 0005 forgets them on its side.

Their content types follow them, so the permissions and admin history attached to them stay."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ("duplicatepair", "personmerge")


def _relabel(old: str, new: str):
    def relabel(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        types = ContentType.objects.using(schema_editor.connection.alias)
        for model in MOVED:
            # A fresh database has none yet (they are made after migrating): nothing to do.
            if not types.filter(app_label=new, model=model).exists():
                types.filter(app_label=old, model=model).update(app_label=new)
        ContentType.objects.clear_cache()

    return relabel


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("orgs", "0002_kinds_and_requirements"),
        ("people", "0004_person_search_index"),
        # The tables were made there.
        ("rolls", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='PersonMerge',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kept_id_kept', models.BigIntegerField()),
                        ('removed_id', models.BigIntegerField()),
                        ('removed_data', models.JSONField()),
                        ('moved', models.JSONField(default=dict)),
                        ('at', models.DateTimeField(auto_now_add=True)),
                        ('by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('kept', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='people.person')),
                    ],
                    options={
                        'verbose_name': 'unión de registros',
                        'verbose_name_plural': 'uniones de registros',
                        'db_table': 'rolls_personmerge',
                        'ordering': ['-at'],
                    },
                ),
                migrations.CreateModel(
                    name='DuplicatePair',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('a_id_kept', models.BigIntegerField()),
                        ('b_id_kept', models.BigIntegerField()),
                        ('kind', models.CharField(choices=[('same_dni', 'Mismo DNI'), ('dni_typo', 'DNI probablemente mal escrito'), ('names', 'Nombres parecidos')], max_length=10, verbose_name='tipo')),
                        ('score', models.FloatField(verbose_name='parecido')),
                        ('reason', models.CharField(max_length=200, verbose_name='por qué')),
                        ('status', models.CharField(choices=[('open', 'Por revisar'), ('same', 'Misma persona (unidas)'), ('different', 'Personas distintas')], default='open', max_length=10, verbose_name='estado')),
                        ('found_at', models.DateTimeField(auto_now_add=True)),
                        ('decided_at', models.DateTimeField(blank=True, null=True)),
                        ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('kitchen_a', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='orgs.organisation')),
                        ('kitchen_b', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='orgs.organisation')),
                        ('person_a', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='people.person')),
                        ('person_b', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='people.person')),
                    ],
                    options={
                        'verbose_name': 'posible duplicado',
                        'verbose_name_plural': 'posibles duplicados',
                        'db_table': 'rolls_duplicatepair',
                        'ordering': ['-score', 'found_at'],
                        'constraints': [models.UniqueConstraint(fields=('a_id_kept', 'b_id_kept'), name='one_pair'), models.CheckConstraint(condition=models.Q(('a_id_kept__lt', models.F('b_id_kept'))), name='pair_ordered')],
                    },
                ),
            ],
        ),
        migrations.RunPython(_relabel("rolls", "people"), _relabel("people", "rolls")),
    ]
