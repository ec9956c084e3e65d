"""Languages spoken and the positions an organisation fills (data, not code)."""

from django.db import migrations

LANGUAGES = [
    ("castellano", "Castellano"), ("quechua", "Quechua"), ("aimara", "Aimara"),
    ("ashaninka", "Asháninka"), ("awajun", "Awajún"), ("shipibo", "Shipibo-konibo"), ("otro", "Otra lengua"),
]
POSITIONS = [
    ("presidenta", "Presidenta", "board"), ("vicepresidenta", "Vicepresidenta", "board"),
    ("secretaria", "Secretaria", "board"), ("tesorera", "Tesorera", "board"),
    ("almacenera", "Almacenera", "board"), ("fiscal", "Fiscal", "board"), ("vocal", "Vocal", "board"),
    ("promotora-violencia", "Promotora de prevención de la violencia", "promoter"),
    ("promotora-ambiente", "Promotora de ambiente y resiliencia", "promoter"),
    ("promotora-salud", "Promotora de salud", "promoter"),
    ("consejera-legal", "Consejera legal", "counsel"),
]


def load(apps, schema_editor):
    Language = apps.get_model("people", "Language")
    PositionKind = apps.get_model("people", "PositionKind")
    for order, (code, name) in enumerate(LANGUAGES):
        Language.objects.update_or_create(code=code, defaults={"name": name, "order": order})
    for order, (code, name, group) in enumerate(POSITIONS):
        PositionKind.objects.update_or_create(code=code, defaults={"name": name, "group": group, "order": order})


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
