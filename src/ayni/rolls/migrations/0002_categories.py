"""The programme categories (PCA). Data, not code: an installation may add its own."""

from django.db import migrations

# code, name, short name, min age, max age
CATEGORIES = [
    ("nino-menor-6", "Niña o niño menor de 6 años", "Menor de 6", None, 5),
    ("nino-escolar", "Niña o niño en edad escolar (6 a 17 años)", "Escolar", 6, 17),
    ("gestante-lactante", "Mujer gestante o que da de lactar", "Gestante o lactante", 12, None),
    ("adulto-mayor", "Persona adulta mayor (60 años o más)", "Adulto mayor", 60, None),
    ("discapacidad", "Persona con discapacidad", "Discapacidad", None, None),
    ("pantbc", "Paciente con TBC (PANTBC)", "PANTBC", None, None),
    ("riesgo", "Persona en riesgo moral o social", "En riesgo", None, None),
    ("otro", "Otra persona usuaria", "Otro", None, None),
]


def load(apps, schema_editor):
    Category = apps.get_model("rolls", "Category")
    for order, (code, name, short, lo, hi) in enumerate(CATEGORIES):
        Category.objects.update_or_create(code=code, defaults={
            "name": name, "short_name": short, "min_age": lo, "max_age": hi, "order": order})


class Migration(migrations.Migration):
    dependencies = [("rolls", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
