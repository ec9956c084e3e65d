from django.db import migrations

# Ley 31071 (compras estatales de alimentos de origen en la agricultura familiar): at least 10 %
# in its first year, 20 % in the second, 30 % from the third on.
TARGETS = {2022: 10, 2023: 20, 2024: 30}


def load(apps, schema_editor):
    target = apps.get_model("economy", "FamilyFarmTarget")
    for year, percent in TARGETS.items():
        target.objects.update_or_create(year=year, defaults={"percent": percent})


class Migration(migrations.Migration):
    dependencies = [("economy", "0003_producers")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
