"""DNIs stored in another script's digits (a full-width or Arabic-Indic keyboard, before the
services parsed every DNI) become ASCII, so that a lookup finds them. One that would then equal
another person's DNI is left as it is: the two may be one person, and `ayni check-integrity`
names it for a coordinator to merge."""

import unicodedata

from django.db import migrations


def _ascii(text: str) -> str:
    # Written out here rather than imported from ayni.lib.dni: a migration must keep doing what
    # it did when it was written.
    text = unicodedata.normalize("NFKC", text)
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text).upper()


def to_ascii(apps, schema_editor):
    Person = apps.get_model("people", "Person")
    taken = set(Person.objects.filter(dni__regex=r"^[0-9]{8}$").values_list("dni", flat=True))
    odd = Person.objects.filter(dni__isnull=False).exclude(dni__regex=r"^[0-9]{8}$")
    for person in odd.only("pk", "dni", "dni_check").iterator(chunk_size=2000):
        dni, check = _ascii(person.dni), _ascii(person.dni_check)
        if len(dni) == 8 and dni.isascii() and dni.isdigit() and dni not in taken:
            Person.objects.filter(pk=person.pk).update(dni=dni, dni_check=check)
            taken.add(dni)


class Migration(migrations.Migration):
    dependencies = [("people", "0002_languages_and_positions")]

    operations = [migrations.RunPython(to_ascii, migrations.RunPython.noop)]
