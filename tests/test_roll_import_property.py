"""Property: whatever a spreadsheet holds — numbers, dates, formulas, empty cells, very long
text, odd characters, any header row, a CSV in any encoding or plain bytes — the roll import
never raises anything but its own file-level errors: every problem is a row-level message in
Spanish or a message about the whole file, and a confirm applies exactly the rows the preview
called valid, or nothing at all."""

import datetime
import io
import os
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from ayni.people.models import Person
from ayni.rolls import spreadsheet
from ayni.rolls.imports import ALREADY, ERROR, EXISTING, NEW, apply_import, preview_import, upload_import
from ayni.rolls.models import ImportBatch, RollEntry
from tests.conftest import as_scope

pytestmark = pytest.mark.django_db

HEADERS = ["N°", "Ap. Paterno", "Apellido materno", "Nombres", "Apellidos y nombres", "N° DNI", "Fec. Nac.",
           "Sexo", "Categoría", "Ración", "Motivo", "Fecha de ingreso", "Observaciones", "Edad", "Firma"]
WORDS = ["Quispe", "MAMANI", "Huamán", "María Elena", "Rosa", "Ñahui", "04567891", "4567891", "12/03/1950",
         "31/02/1950", "01/01/2090", "1950-03-12", "Adulto mayor", "Gestante", "Menor de 6", "Astronauta",
         "Subsidiada", "Caso social", "Pagante", "F", "M", "x", "Orfandad", "18264", "=1+1", "=HYPERLINK(\"x\")",
         "@SUM(A1)", "-2", "+51987654321", "  ", ";", ",", "\"", "'0123", "NaN"]
# Spanish messages: some accented letter or common Spanish word, never an exception's English text.
SPANISH = re.compile(r"[áéíóúñ¿«]|\b(el|la|los|las|de|del|en|se|un|una|no|es|que|por|con|fila|faltan?)\b",
                     re.IGNORECASE)
ENGLISH = re.compile(r"\b(the|is|not|object|invalid|error|has|of|value|must)\b")

text_cells = st.one_of(
    st.sampled_from(WORDS),
    st.text(max_size=12),
    st.text(min_size=200, max_size=400),  # very long
    st.text(alphabet=st.characters(codec="latin-1"), max_size=20),
)
cells = st.one_of(
    st.none(),
    text_cells,
    st.integers(min_value=-10**12, max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15),
    st.dates(min_value=datetime.date(1850, 1, 1), max_value=datetime.date(2100, 12, 31)),
    st.datetimes(min_value=datetime.datetime(1900, 1, 1), max_value=datetime.datetime(2100, 1, 1)),  # noqa: DTZ001
    st.booleans(),
)
headers = st.one_of(
    st.lists(st.sampled_from(HEADERS), min_size=1, max_size=10, unique=True),
    st.lists(st.one_of(st.sampled_from(HEADERS), st.text(max_size=15)), min_size=1, max_size=8),
)
GOOD_HEADER = ["N°", "Ap. Paterno", "Ap. Materno", "Nombres", "N° DNI", "Fec. Nac.", "Sexo", "Categoría", "Ración",
               "Motivo"]
# Rows close to a real roll, so that the confirm also gets valid rows to apply, with a cell
# sometimes replaced by anything at all.
def _spoil(row, spoil):
    if spoil is not None:
        row[spoil[0]] = spoil[1]
    return row


plausible_row = st.builds(
    _spoil,
    st.tuples(
        st.integers(1, 99), st.sampled_from(["Quispe", "MAMANI", "Huamán", "Ñahui", "Pari"]),
        st.sampled_from(["Condori", "Apaza", ""]), st.sampled_from(["Rosa", "María Elena", "KEVIN", "Juana"]),
        st.one_of(st.integers(0, 99_999_999).map(lambda d: f"{d:08d}"), st.just("")),
        st.one_of(st.dates(min_value=datetime.date(1925, 1, 1), max_value=datetime.date(1960, 1, 1)),
                  st.dates(min_value=datetime.date(1925, 1, 1), max_value=datetime.date(1960, 1, 1)).map(
                      lambda d: d.strftime("%d/%m/%Y")), st.none()),
        st.sampled_from(["F", "", "mujer"]), st.sampled_from(["Otro", "Adulto mayor", "Discapacidad", "TBC"]),
        st.sampled_from(["Subsidiada", "Pagante", ""]), st.just(""),
    ).map(list),
    st.one_of(st.none(), st.tuples(st.integers(0, 9), cells)),  # now and then one cell is anything at all
)
tables = st.one_of(
    st.tuples(headers, st.lists(st.lists(cells, max_size=12), max_size=12), st.integers(0, 3)),
    st.tuples(st.just(GOOD_HEADER), st.lists(plausible_row, min_size=1, max_size=15), st.integers(0, 2)),
    st.tuples(st.just(GOOD_HEADER), st.lists(plausible_row, min_size=1, max_size=15), st.integers(0, 2)),
)


def _xlsx_value(value):
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)  # openpyxl cannot even write these
    return value


def xlsx(header, rows, titles) -> bytes:
    book = Workbook()
    sheet = book.active
    for _i in range(titles):
        sheet.append(["PADRÓN DE USUARIOS"])
    sheet.append([_xlsx_value(h) for h in header])
    for row in rows:
        sheet.append([_xlsx_value(v) for v in row])
    if rows and titles:
        sheet.merge_cells(start_row=titles + 2, start_column=1, end_row=titles + 1 + len(rows), end_column=1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(header, rows, sep, encoding) -> bytes:
    def show(value):
        if isinstance(value, datetime.datetime | datetime.date):
            return value.strftime("%d/%m/%Y")
        return "" if value is None else str(value)

    text = "\n".join(sep.join(show(v) for v in line) for line in [header, *rows])
    return text.encode(encoding, errors="replace")


files = st.one_of(
    st.tuples(st.just("padron.xlsx"), tables.map(lambda t: xlsx(*t))),
    st.tuples(st.just("padron.csv"), st.builds(lambda t, sep, enc: csv_bytes(t[0], t[1], sep, enc), tables,
                                              st.sampled_from([";", ",", "\t"]),
                                              st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "cp1252",
                                                               "utf-16", "cp850"]))),
    st.tuples(st.sampled_from(["padron.xlsx", "padron.csv", "padron.xls"]), st.binary(max_size=300)),
)


class _Undo(Exception):
    pass


# 30 examples keep it a few seconds; AYNI_PROPERTY_EXAMPLES=500 for a longer hunt.
@settings(max_examples=int(os.environ.get("AYNI_PROPERTY_EXAMPLES", 30)), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(upload=files)
def test_any_spreadsheet_gives_spanish_errors_and_imports_all_valid_rows_or_nothing(world, upload):
    filename, content = upload
    try:
        with transaction.atomic():
            people = Person.objects.count()
            batch = upload_import(scope=as_scope(world.leader), kitchen=world.kitchen, filename=filename,
                                  content=content)
            try:
                preview = preview_import(batch)
            except spreadsheet.SheetError as exc:
                assert SPANISH.search(str(exc)) and not ENGLISH.search(str(exc)), str(exc)
                with pytest.raises(ValidationError):
                    apply_import(scope=as_scope(world.leader), batch=batch)
                assert not RollEntry.objects.exists() and Person.objects.count() == people
                event("file-level error")
                raise _Undo from exc
            for row in preview.rows:
                assert row.status in (NEW, EXISTING, ALREADY, ERROR)
                assert (row.status == ERROR) == bool(row.errors)
                for _column, message in row.errors:
                    assert message and SPANISH.search(message) and not ENGLISH.search(message), message
            valid, new = len(preview.valid), preview.count(NEW)
            try:
                added = apply_import(scope=as_scope(world.leader), batch=batch)
            except ValidationError as exc:
                # Refused as a whole (a rule on an already registered person): nothing half-saved.
                assert SPANISH.search(exc.messages[0])
                assert not RollEntry.objects.exists() and Person.objects.count() == people
                event("confirm refused as a whole")
            else:
                assert added == valid == RollEntry.objects.filter(kitchen=world.kitchen).count()
                assert Person.objects.count() == people + new
                assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.APPLIED
                event("valid rows applied" if added else "no valid row")
            raise _Undo
    except _Undo:
        pass
