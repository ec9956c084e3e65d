"""Identity numbers are labelled by their country wherever people are listed, printed or exported:
"DNI" for Peru's, "CI" for Bolivia's, «Documento» with each number's own name when a list mixes
countries; another country's number is shown as its holder writes it, never with the `BO-`
prefix it is stored with. Peru's lists are as they were."""

import csv
import io

import pytest
from django.urls import reverse

from ayni.accounts.models import Role
from ayni.governance.acta import attendance_sheet
from ayni.lib.identity import id_column, short_name, with_document
from tests.conftest import make_user
from tests.rolls_helpers import put_on_roll
from tests.test_country_identity_paths import bolivia  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


def test_a_column_is_headed_by_its_peoples_document_or_documento_when_they_mix():
    bolivian = id_column(["BO-4870123", None, "BO-1234567-1A"], "BO")
    assert bolivian.label == "CI" and bolivian.cell("BO-4870123") == "4870123" and bolivian.cell(None) == ""
    assert id_column([], "EC").label == "cédula" and id_column([None]).label == "DNI"
    mixed = id_column(["45678912", "BO-4870123"], "BO")
    assert mixed.label == "Documento" and mixed.mixed
    assert mixed.cell("BO-4870123") == "CI 4870123" and mixed.cell("45678912") == "DNI 45678912"
    assert with_document("EC-1710034065") == "cédula 1710034065" and short_name("BR") == "CPF"


@pytest.fixture
def bo_roll(bolivia):  # noqa: F811 - the fixture imported above
    put_on_roll(bolivia.bo_kitchen, given_names="Sabina", paternal_surname="Quispe", dni="6123456 LP")
    bolivia.bo_leader = make_user("justa", Role.LEADER, bolivia.bo_kitchen)
    return bolivia


def test_a_bolivian_kitchens_roll_page_and_printout_say_ci_without_the_prefix(bo_roll, login):
    client = login(bo_roll.bo_leader)
    page = client.get(reverse("rolls:roll", args=[bo_roll.bo_kitchen.pk])).content.decode()
    assert "<th>CI</th>" in page and ">6123456<" in page and "BO-6123456" not in page
    assert "<th>DNI</th>" not in page
    printed = client.get(reverse("rolls:print", args=[bo_roll.bo_kitchen.pk])).content.decode()
    assert "<th>CI</th>" in printed and "<td>6123456</td>" in printed and "BO-" not in printed
    assert "CI: ______________" in printed  # the presidenta signs with her own document


def test_a_bolivian_rolls_csv_export_heads_its_column_ci_and_reads_back(bo_roll, login):
    client = login(bo_roll.bo_leader)
    response = client.get(reverse("rolls:export", args=[bo_roll.bo_kitchen.pk, "csv"]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = next(r for r in rows if "Nombres" in r)
    assert header[4] == "CI" and any(r[4:5] == ["6123456"] for r in rows)
    from ayni.rolls.spreadsheet import match_header

    assert match_header("CI") == "dni" and match_header("Documento") == "dni"


def test_a_roll_that_mixes_countries_says_documento_and_names_each_number(bo_roll, login):
    from ayni.people.models import Person

    peruvian = Person.objects.create(given_names="Rosa", paternal_surname="Huamán", dni="10293847")
    put_on_roll(bo_roll.bo_kitchen, person=peruvian)
    client = login(bo_roll.bo_leader)
    page = client.get(reverse("rolls:roll", args=[bo_roll.bo_kitchen.pk])).content.decode()
    assert "<th>Documento</th>" in page and "CI 6123456" in page and f"DNI {peruvian.dni}" in page


def test_the_members_list_and_a_persons_page_say_ci(bo_roll, login):
    client = login(bo_roll.bo_leader)
    members = client.get(reverse("orgs:members", args=[bo_roll.bo_kitchen.pk])).content.decode()
    assert "<th>CI</th>" in members and "<td>4870123</td>" in members and "BO-4870123" not in members
    assert "Nombre o documento" in members
    detail = client.get(reverse("people:detail", args=[bo_roll.bo_socia.pk])).content.decode()
    assert "<th>CI</th><td>4870123</td>" in detail


def test_the_roll_import_of_a_bolivian_kitchen_lists_the_document_generically(bo_roll, login):
    page = login(bo_roll.bo_leader).get(reverse("rolls:import", args=[bo_roll.bo_kitchen.pk])).content.decode()
    assert "Documento de identidad (CI, cédula o DNI)" in page and "Nombres), DNI," not in page


def test_the_acta_attendance_sheet_heads_its_column_by_the_document():
    roll = [{"number": 1, "name": "Justina Mamani", "dni": "BO-4870123", "present": True},
            {"number": 2, "name": "Sabina Quispe", "dni": "BO-6123456", "present": False}]
    sheet = attendance_sheet(roll)
    assert "CI" in sheet["header"].split() and "DNI" not in sheet["header"]
    assert "4870123" in sheet["blocks"][0] and "BO-" not in sheet["blocks"][0]
    mixed = attendance_sheet(roll + [{"number": 3, "name": "Rosa Huamán", "dni": "45678912", "present": True}])
    assert "Documento" in mixed["header"]
    assert "CI 4870123" in mixed["blocks"][0] and "DNI 45678912" in mixed["blocks"][0]
    peru = attendance_sheet([{"number": 1, "name": "Rosa Huamán", "dni": "45678912", "present": True}])
    assert "DNI" in peru["header"].split() and "45678912" in peru["blocks"][0]
    # Nobody on a Bolivian organisation's roll has her number yet: the column is still the CI's.
    nobody = attendance_sheet([{"number": 1, "name": "Justina Mamani", "dni": None, "present": True}], "BO")
    assert "CI" in nobody["header"].split() and "DNI" not in nobody["header"]


def test_a_bolivian_import_names_the_cedula_in_its_messages_and_in_how_it_read_the_columns(bo_roll, login):
    from tests.test_rolls_import import xlsx

    client = login(bo_roll.bo_leader)
    url = reverse("rolls:import", args=[bo_roll.bo_kitchen.pk])
    headless = io.BytesIO(xlsx([["QUISPE", "6123456"]], headers=["xx", "yy"]))
    headless.name = "padron.xlsx"
    page = client.get(client.post(url, {"file": headless})["Location"]).content.decode()
    assert "No se encontró la fila de títulos" in page and "Nombres, cédula de identidad, Fecha" in page
    good = io.BytesIO(xlsx([["Mamani", "Condori", "Justina", "4870999", "12/03/1950"]],
                           headers=["Apellido paterno", "Apellido materno", "Nombres", "CI", "Fecha de nacimiento"]))
    good.name = "padron.xlsx"
    page = client.get(client.post(url, {"file": good})["Location"]).content.decode()
    assert "Cómo se leyó cada columna:" in page and "→ Cédula de identidad" in page and "→ DNI" not in page
