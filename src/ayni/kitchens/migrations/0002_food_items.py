"""The food catalogue. Data, not code: a later migration (or the admin) adds an item without
touching a view. Reference prices (S/ per unit, Lima markets, 2026) value state food when the
cost of a ration is computed; a federation can correct them in the admin."""

from decimal import Decimal

from django.db import migrations

ITEMS = [
    # code, name, unit, staple, reference price
    ("arroz", "Arroz", "kg", True, "4.20"),
    ("azucar", "Azúcar", "kg", True, "3.90"),
    ("menestras", "Menestras (frejol, lenteja, arveja)", "kg", True, "7.50"),
    ("conserva-pescado", "Conserva de pescado", "lata", True, "6.50"),
    ("aceite", "Aceite", "litro", True, "8.90"),
    ("avena", "Avena", "kg", False, "6.00"),
    ("fideos", "Fideos", "kg", False, "4.80"),
    ("papa", "Papa", "kg", False, "2.20"),
    ("pollo", "Pollo", "kg", False, "11.50"),
    ("huevos", "Huevos", "kg", False, "8.00"),
    ("verduras", "Verduras", "kg", False, "3.00"),
    ("gas", "Gas (balón de 10 kg)", "balón", True, "48.00"),
]


def load(apps, schema_editor):
    FoodItem = apps.get_model("kitchens", "FoodItem")
    for order, (code, name, unit, staple, price) in enumerate(ITEMS):
        FoodItem.objects.update_or_create(
            code=code, defaults={"name": name, "unit": unit, "is_staple": staple,
                                 "reference_price": Decimal(price), "order": order},
        )


class Migration(migrations.Migration):
    dependencies = [("kitchens", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
