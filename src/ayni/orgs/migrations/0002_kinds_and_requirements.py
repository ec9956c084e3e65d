"""The kinds of organisation, which may contain which, and the membership checklist.

Data, not code: a later migration (or the admin) can add a kind without touching a view.
"""

from django.db import migrations

KINDS = [
    # code, name, plural, level, is_kitchen
    ("confederacion", "Confederación nacional", "Confederaciones", 1, False),
    ("federacion-provincial", "Federación provincial", "Federaciones provinciales", 2, False),
    ("federacion-distrital", "Federación distrital", "Federaciones distritales", 3, False),
    ("comedor-popular", "Comedor popular", "Comedores populares", 4, True),
    ("olla-comun", "Olla común", "Ollas comunes", 4, True),
    ("club-de-madres", "Club de madres", "Clubes de madres", 4, False),
    ("vaso-de-leche", "Comité de Vaso de Leche", "Comités de Vaso de Leche", 4, False),
    ("biohuerto", "Grupo de biohuerto comunal", "Grupos de biohuerto", 4, False),
    ("banco-comunal", "Banco comunal", "Bancos comunales", 4, False),
    ("prevencion-violencia", "Grupo de prevención de la violencia", "Grupos de prevención de la violencia", 4, False),
]
BASE = [k[0] for k in KINDS if k[3] == 4]
CONTAINS = {
    "confederacion": ["federacion-provincial"],
    # A provincial federation may hold district federations, or base organisations directly
    # where the province has no district level.
    "federacion-provincial": ["federacion-distrital", *BASE],
    "federacion-distrital": BASE,
}
REQUIREMENTS = [
    ("acta-fundacion", "Acta de fundación"),
    ("estatuto", "Estatuto aceptado"),
    ("libro-actas", "Libro de actas"),
    ("padron-socias", "Padrón de socias"),
    ("junta-vigente", "Junta directiva vigente"),
]


def load(apps, schema_editor):
    OrgKind = apps.get_model("orgs", "OrgKind")
    RequirementItem = apps.get_model("orgs", "RequirementItem")
    for order, (code, name, plural, level, kitchen) in enumerate(KINDS):
        OrgKind.objects.update_or_create(
            code=code, defaults={"name": name, "name_plural": plural, "level": level, "is_kitchen": kitchen,
                                 "order": order},
        )
    for parent, children in CONTAINS.items():
        OrgKind.objects.get(code=parent).may_contain.set(OrgKind.objects.filter(code__in=children))
    for order, (code, name) in enumerate(REQUIREMENTS):
        RequirementItem.objects.update_or_create(code=code, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("orgs", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
