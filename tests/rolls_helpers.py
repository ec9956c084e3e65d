"""Helpers for the roll tests (and the access matrix): a few people on the Lima kitchens' rolls."""

import datetime

from django.utils import timezone

from ayni.people.models import DuplicatePair
from ayni.rolls.models import Category, ConsentMethod, Ration, RollEntry
from ayni.rolls.services import register_entry, suggest_pair
from tests.conftest import as_scope


def cat(code):
    return Category.objects.get(code=code)


def put_on_roll(kitchen, category="adulto-mayor", person=None, scope=None, **fields):
    defaults = {"consent_on": timezone.localdate(), "consent_method": ConsentMethod.SIGNED,
                "ration": Ration.SUBSIDISED}
    if person is None:
        defaults.update(given_names="Teodosia", paternal_surname="Condori", maternal_surname="Apaza",
                        birth_date=datetime.date(1950, 6, 1))
    defaults.update(fields)
    return register_entry(scope=scope or as_scope(None), kitchen=kitchen, category=cat(category), person=person,
                          **defaults)


def roll_entry(w) -> RollEntry:
    """The one entry of the Lima kitchen's roll used by the access matrix (created once)."""
    entry = RollEntry.objects.filter(kitchen=w.kitchen).first()
    return entry or put_on_roll(w.kitchen, dni="10293847")


def open_pair(w) -> DuplicatePair:
    """A suggested duplicate between the two Lima kitchens (the kitchen and the olla)."""
    pair = DuplicatePair.objects.filter(kitchen_a=w.kitchen).first()
    if pair:
        return pair
    a = roll_entry(w).person
    b = put_on_roll(w.olla, given_names="Teodocia", paternal_surname="Condori", maternal_surname="Apasa",
                    birth_date=datetime.date(1950, 6, 1)).person
    return suggest_pair(a=a, b=b, kind=DuplicatePair.Kind.NAMES, score=95, reason="prueba")


def import_batch(w):
    """A stored upload for the Lima kitchen, for the access matrix."""
    from ayni.rolls.imports import upload_import

    content = "Apellido paterno;Apellido materno;Nombres;DNI;Categoría\nCondori;Apaza;Teodosia;10293847;Otro\n"
    return upload_import(scope=as_scope(None), kitchen=w.kitchen, filename="padron.csv", content=content.encode())


def xlsx_bytes(headers, rows) -> bytes:
    """A workbook as Excel saves it: a header row, then the rows."""
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
