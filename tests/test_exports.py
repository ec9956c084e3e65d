"""Every downloadable table (the roll, the evidence tables, the open data) goes through
`ayni.lib.exports`: no cell is ever a live formula, numbers stay numbers, one CSV convention."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from ayni.lib import exports
from ayni.orgs.models import Organisation
from ayni.people.models import Person
from ayni.rolls.models import RollEntry
from tests.evidence_helpers import add_activity, publish
from tests.rolls_helpers import put_on_roll

pytestmark = pytest.mark.django_db

# What a person or a kitchen could be called by someone who wants the reader's spreadsheet to
# run something: a link, arithmetic, a function, and the same behind a tab or a carriage return.
HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "\uff1d1+1"]


def xlsx_cells(content: bytes):
    sheet = load_workbook(io.BytesIO(content)).active
    return [cell for row in sheet.iter_rows() for cell in row]


def csv_cells(content: bytes) -> list[str]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")
    return [v for row in csv.reader(io.StringIO(text[1:], newline="")) for v in row]


def assert_never_a_formula(cells, names):
    """Each hostile name is in the file, as text behind a quote, and no cell is a formula."""
    assert all(c.data_type != "f" for c in cells)
    # An XML reader may give a carriage return back as a line feed (the standard library's does,
    # lxml's escape keeps it): the quote in front is what matters.
    values = {str(c.value).replace("\r", "\n") for c in cells if c.value is not None}
    for name in names:
        assert "'" + name.replace("\r", "\n") in values, name


def hostile_roll(kitchen):
    """People named after each hostile string (a tab or CR at the start is what an import or an
    old record can hold even though the forms trim it, so it is written past the service)."""
    for i, name in enumerate(HOSTILE):
        entry = put_on_roll(kitchen, given_names=f"Persona {i}", paternal_surname="Condori", maternal_surname="Apaza",
                            birth_date=datetime.date(1950, 1, 1 + i))
        Person.objects.filter(pk=entry.person_id).update(given_names=name)
        RollEntry.objects.filter(pk=entry.pk).update(notes=name)


def test_neutralise_quotes_formula_strings_and_leaves_numbers_alone():
    for text in HOSTILE + ["\n=1", "\uff0b1", "\uff0d1", "\uff201"]:
        assert exports.neutralise(text) == "'" + text
    for value in (-2, -2.5, 0, 3, None, "María", "O'Brien", "", "1-2", datetime.date(2026, 1, 2)):
        assert exports.neutralise(value) == value


def test_xlsx_keeps_negative_numbers_as_numbers_and_quotes_strings():
    content = exports.xlsx_bytes("x", ["a", "b", "c"], [[-2, "-2", datetime.date(2026, 3, 1)]])
    _a, _b, _c, number, text, date = xlsx_cells(content)
    assert number.value == -2 and number.data_type == "n"
    assert text.value == "'-2" and text.data_type == "s"
    assert date.value.date() == datetime.date(2026, 3, 1) and date.number_format == "DD/MM/YYYY"


def test_the_csv_convention_comma_bom_decimal_point_iso_dates():
    from decimal import Decimal

    body = exports.csv_bytes(["mes", "raciones", "costo", "fecha", "nota", "vacío"],
                             [["2026-03", 812345, Decimal("2.95"), datetime.date(2026, 3, 1), "=1", None]])
    assert body == ("\ufeffmes,raciones,costo,fecha,nota,vacío\r\n2026-03,812345,2.95,2026-03-01,'=1,\r\n"
                    ).encode("utf-8")


def test_an_xlsx_cell_with_a_control_character_does_not_stop_the_export():
    cells = xlsx_cells(exports.xlsx_bytes("x", ["a"], [["Rosa\x07 Quispe"]]))
    assert cells[1].value == "Rosa Quispe"


def test_the_roll_xlsx_and_csv_never_hold_a_live_formula(world, login):
    hostile_roll(world.kitchen)
    client = login(world.leader)
    xlsx = client.get(reverse("rolls:export", kwargs={"pk": world.kitchen.pk, "fmt": "xlsx"}))
    cells = xlsx_cells(xlsx.content)
    assert_never_a_formula(cells, HOSTILE)  # as the name and as the note
    assert sum(c.value == "'" + HOSTILE[0] for c in cells) == 2
    body = client.get(reverse("rolls:export", kwargs={"pk": world.kitchen.pk, "fmt": "csv"})).content
    values = csv_cells(body)
    for name in HOSTILE:
        assert values.count("'" + name) == 2, name
    assert not any(v.startswith(exports.FORMULA_STARTS) for v in values)


def test_evidence_exports_never_hold_a_live_formula(world, login):
    add_activity(world, days=10)
    Organisation.objects.filter(pk=world.kitchen.pk).update(name=HOSTILE[0])
    Organisation.objects.filter(pk=world.olla.pk).update(name="\r=1")
    Organisation.objects.filter(pk=world.kitchen_other.pk).update(name="@SUM(A1)")
    client = login(world.national)
    names = [HOSTILE[0], "\r=1", "@SUM(A1)"]
    cells = xlsx_cells(client.get(reverse("evidence:export", args=["cocinas", "xlsx"])).content)
    assert_never_a_formula(cells, names)
    values = csv_cells(client.get(reverse("evidence:export", args=["cocinas", "csv"])).content)
    for name in names:
        assert "'" + name in values
    # Numbers are still numbers: the rations column adds up in a spreadsheet.
    rations = [c for c in cells if c.column == 6 and c.row > 1]
    assert rations and all(c.data_type == "n" for c in rations)


def test_the_open_data_csv_never_holds_a_live_formula(world, client):
    Organisation.objects.filter(pk=world.lima.pk).update(name="-2+3")
    publish(world.lima)
    values = csv_cells(client.get(reverse("evidence:public_data", args=[world.lima.pk, "csv"])).content)
    assert "'-2+3" in values and "-2+3" not in values
