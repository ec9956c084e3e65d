"""Catalogues (kinds of organisation, positions, languages, food items, roll categories) are
data written by data migrations. A database flush — which every transactional test does, and
an administrator might — empties them while the migrations stay applied, so nothing would
bring them back. After every `migrate` or flush (both send post_migrate), any catalogue found
empty is loaded again by the very function its migration runs; catalogues that have rows are
left alone, so an administrator's edits survive."""

import importlib

from django.apps import apps as django_apps
from django.db import connections

# (data migration module, a model of that catalogue that is never empty once loaded), in the
# order the migrations run: the statute defaults are written per kind of organisation.
CATALOGUES = [
    ("ayni.orgs.migrations.0002_kinds_and_requirements", "orgs.OrgKind"),
    ("ayni.people.migrations.0002_languages_and_positions", "people.PositionKind"),
    ("ayni.rolls.migrations.0002_categories", "rolls.Category"),
    ("ayni.kitchens.migrations.0002_food_items", "kitchens.FoodItem"),
    ("ayni.economy.migrations.0004_family_farm_targets", "economy.FamilyFarmTarget"),
    ("ayni.governance.migrations.0002_statute_defaults_by_kind", "governance.StatuteRule"),
]


def reload_empty_catalogues(sender=None, using="default", **kwargs) -> list[str]:
    tables = set(connections[using].introspection.table_names())
    loaded = []
    for module, probe in CATALOGUES:
        model = django_apps.get_model(probe)
        if model._meta.db_table in tables and not model.objects.using(using).exists():
            importlib.import_module(module).load(django_apps, None)
            loaded.append(probe)
    return loaded
