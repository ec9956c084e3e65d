"""Headers are matched by their words, a column is never dropped in silence, and a TOTAL row is
a total: a real municipal roll (titles above the header, a category merged down each group,
`Categoría / Condición`, `Apellidos y Nombres`, a TOTAL row) imports every person with her
category; a column whose header names no field, or two, is asked about in the preview, and the
confirm waits for the answer."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from ayni.rolls import spreadsheet
from ayni.rolls.imports import apply_import, preview_import, upload_import
from ayni.rolls.models import ImportBatch, RollEntry
from tests.conftest import as_scope
from tests.rolls_helpers import xlsx_bytes as xlsx

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def born(years: int, days: int = 40) -> datetime.date:
    return TODAY - datetime.timedelta(days=int(years * 365.25) + days)


# As the municipality writes each category, the category it is, and an age that fits it.
GROUPS = [
    ("NIÑO MENOR DE 6 AÑOS", "nino-menor-6", 3, 48),
    ("ESCOLAR", "nino-escolar", 10, 60),
    ("MADRE GESTANTE", "gestante-lactante", 24, 30),
    ("MADRE QUE DA DE LACTAR", "gestante-lactante", 27, 15),
    ("ADULTO MAYOR", "adulto-mayor", 71, 56),
    ("PERSONA CON DISCAPACIDAD", "discapacidad", 38, 20),
    ("TBC", "pantbc", 33, 16),
    ("OTRO", "otro", 45, 30),
]
SURNAMES = ["QUISPE", "MAMANI", "HUAMÁN", "CONDORI", "FLORES", "ROJAS", "ÑAHUI", "CCORI", "APAZA", "TICONA",
            "YUPANQUI", "PUMA", "LAYME", "CHOQUE", "PARI", "HUANCA", "SÁNCHEZ"]
GIVEN = ["ROSA", "MARÍA ELENA", "JUANA", "LUZ", "TEODORA", "NÉLIDA", "SONIA", "FLOR", "GLADYS", "KEVIN", "JOSÉ"]


def municipal_roll(people: int = 301) -> tuple[bytes, dict[str, str]]:
    """The padrón as a district municipality sends it to a kitchen, and each person's category
    (by DNI). Titles and the kitchen's details above the header; the category written once per
    group and merged down it; sex left blank now and then; DNIs as text, and as numbers that lost
    their leading zero; birth dates typed or as dates; a TOTAL row at the bottom."""
    book = Workbook()
    sheet = book.active
    sheet.title = "PADRON 2026"
    titles = ["MUNICIPALIDAD DISTRITAL DE VILLA EL SALVADOR",
              "GERENCIA DE DESARROLLO SOCIAL - PROGRAMA DE COMPLEMENTACIÓN ALIMENTARIA (PCA)",
              "PADRÓN DE USUARIOS DEL COMEDOR POPULAR «SANTA ROSA» - AÑO 2026",
              "Dirección: Sector 3, Grupo 15, Mz. K, Lt. 4      Presidenta: Sra. Teodora Huarcaya"]
    for row, title in enumerate(titles, start=1):
        sheet.cell(row=row, column=1, value=title)
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=9)
    header_row = len(titles) + 2  # a blank row under the titles
    for column, header in enumerate(["N°", "APELLIDOS Y NOMBRES", "DNI", "FECHA NAC.", "EDAD", "SEXO",
                                     "CATEGORÍA / CONDICIÓN", "TIPO DE RACIÓN", "FIRMA O HUELLA"], start=1):
        sheet.cell(row=header_row, column=column, value=header)
    expected = {}
    row = header_row
    per_group = -(-people // len(GROUPS))
    n = 0
    for written, code, age, days in GROUPS:
        first = row + 1
        for _i in range(min(per_group, people - n)):
            n += 1
            row += 1
            dni = f"{40_000_000 + n * 13:08d}" if n % 10 else f"0{6_000_000 + n:07d}"
            woman = code == "gestante-lactante" or n % 3
            birth = born(age, days + n % 7)
            name = f"{SURNAMES[n % 17]} {SURNAMES[(n * 5) % 17]}, {GIVEN[n % 9 if woman else 9 + n % 2]}"
            sheet.cell(row=row, column=1, value=n)
            sheet.cell(row=row, column=2, value=name)
            sheet.cell(row=row, column=3, value=int(dni) if dni.startswith("0") else dni)
            sheet.cell(row=row, column=4, value=birth.strftime("%d/%m/%Y") if n % 2 else
                       datetime.datetime.combine(birth, datetime.time()))
            sheet.cell(row=row, column=5, value=age)
            sheet.cell(row=row, column=6, value=None if n % 11 == 0 else ("F" if woman else "M"))
            sheet.cell(row=row, column=8, value="PAGANTE" if n % 4 == 0 else "SUBSIDIADA")
            expected[dni] = code
        if row >= first:
            sheet.cell(row=first, column=7, value=written)
            sheet.merge_cells(start_row=first, start_column=7, end_row=row, end_column=7)
    row += 1
    sheet.cell(row=row, column=1, value="TOTAL")
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
    sheet.cell(row=row, column=5, value=f"=COUNTA(B{header_row + 1}:B{row - 1})")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), expected


def upload(world, content, filename="padron.xlsx"):
    batch = upload_import(scope=as_scope(world.leader), kitchen=world.kitchen, filename=filename, content=content)
    return ImportBatch.objects.get(pk=batch.pk)


def test_a_municipal_roll_imports_every_person_with_her_category(world):
    content, expected = municipal_roll()
    assert len(expected) == 301
    batch = upload(world, content)
    preview = preview_import(batch)
    assert [(r.number, r.errors) for r in preview.rows if r.errors] == []
    assert preview.count("new") == 301 and not preview.questions
    assert preview.letters["category"] == "G «CATEGORÍA / CONDICIÓN»"
    assert preview.letters["full_name"] == "B «APELLIDOS Y NOMBRES»"
    assert any("«TOTAL») es un total, no una persona" in note for note in preview.notes)
    assert apply_import(scope=as_scope(world.leader), batch=batch) == 301
    kept = dict(RollEntry.objects.filter(kitchen=world.kitchen).values_list("person__dni", "category_id"))
    assert kept == expected  # all 301 kept their category
    assert len({code for code in kept.values()}) == 7


@pytest.mark.parametrize("header,field", [
    ("Categoría / Condición", "category"), ("CATEGORIA/CONDICION", "category"), ("Categría / Condicion", "category"),
    ("Apellidos y Nombres", "full_name"), ("APELLIDOS Y NOMBRES DEL BENEFICIARIO", "full_name"),
    ("Fecha Nac. (dd/mm/aaaa)", "birth_date"), ("N° DNI / C.E.", "dni"), ("Documento de identidad (DNI)", "dni"),
    ("Tipo de Ración (pagante - subsidiada)", "ration"), ("Observaciones | notas", "notes"),
    ("Fecha de ingreso al programa", "since"),
])
def test_headers_are_matched_by_their_words(header, field):
    assert spreadsheet.match_header(header) == field


@pytest.mark.parametrize("header,fields", [
    ("Nombre del comedor", ["given_names", "skip"]),  # two things: asked, never guessed
    ("Apellido paterno / Nombres", ["paternal_surname", "given_names"]),
    ("Teléfono", []), ("Clasificación", []),
])
def test_a_header_that_names_no_field_or_two_is_not_matched(header, fields):
    assert spreadsheet.match_header(header) is None
    assert spreadsheet.header_fields(header)[0] == fields


def test_a_column_not_recognised_is_asked_about_and_the_confirm_waits(world):
    rows = [["Quispe", "Rosa", "Adulto mayor", "987654321", born(70)], ["Pari", "Juana", "Otro", "", born(40)]]
    batch = upload(world, xlsx(["Apellido paterno", "Nombres", "Clasificación", "Teléfono", "Fecha de nacimiento"],
                               rows))
    preview = preview_import(batch)
    assert [(q.letter, q.candidates, q.samples) for q in preview.questions] == [
        ("C «Clasificación»", [], ["Adulto mayor", "Otro"]), ("D «Teléfono»", [], ["987654321"])]
    with pytest.raises(ValidationError) as exc:
        apply_import(scope=as_scope(world.leader), batch=batch)
    assert exc.value.messages == ["Antes de importar, indique qué es cada columna sin reconocer: C «Clasificación», "
                                  "D «Teléfono»."]
    assert not RollEntry.objects.exists()


def test_her_answers_are_used_and_every_category_is_kept(login, world):
    rows = [["Quispe", "Rosa", "Adulto mayor", "987654321", born(70)], ["Pari", "Juana", "Gestante", "", born(25)]]
    batch = upload(world, xlsx(["Apellido paterno", "Nombres", "Clasificación", "Teléfono", "Fecha de nacimiento"],
                               rows))
    client = login(world.leader)
    url = reverse("rolls:import_preview", kwargs={"pk": batch.pk})
    page = client.get(url).content.decode()
    assert "Columnas sin reconocer" in page and 'name="columna-2"' in page and 'name="columna-3"' in page
    assert "Confirmar e importar" not in page
    # A field another column already is: refused, and what she chose stays chosen.
    page = client.post(url, {"accion": "columnas", "columna-2": "given_names", "columna-3": "ignore"})
    text = page.content.decode()
    assert "La columna C «Clasificación» no puede ser «Nombres»: ya lo es la columna B «Nombres»." in text
    assert '<option value="ignore" selected>' in text
    assert client.post(url, {"accion": "columnas", "columna-2": "category", "columna-3": "ignore"}).status_code == 302
    batch.refresh_from_db()
    assert batch.column_choices == {"2": "category", "3": "ignore"} and batch.reading == 2
    page = client.get(url).content.decode()
    assert "Columnas sin reconocer" not in page and "C «Clasificación» → Categoría" in page
    assert "D «Teléfono»" in page and "Confirmar e importar" in page
    assert client.post(url, {"accion": "confirmar"}).status_code == 302
    assert sorted(RollEntry.objects.values_list("category_id", flat=True)) == ["adulto-mayor", "gestante-lactante"]


def test_an_unanswered_question_is_refused(login, world):
    batch = upload(world, xlsx(["Apellido paterno", "Nombres", "Clasificación"], [["Quispe", "Rosa", "Otro"]]))
    response = login(world.leader).post(reverse("rolls:import_preview", kwargs={"pk": batch.pk}),
                                        {"accion": "columnas", "columna-2": ""})
    assert "Falta indicar qué es la columna C «Clasificación»." in response.content.decode()
    assert ImportBatch.objects.get(pk=batch.pk).reading == 1


def test_two_columns_for_one_field_and_a_column_without_header_are_asked_about(world):
    rows = [["Quispe", "Rosa", "04567891", "71234560", "Otro", "algo"]]
    preview = preview_import(upload(world, xlsx(["Apellido paterno", "Nombres", "DNI", "DNI", "Categoría", None],
                                                rows)))
    assert preview.letters["dni"] == "C «DNI»"
    assert [(q.letter, q.candidates) for q in preview.questions] == [("D «DNI»", ["dni"]), ("F", [])]


def test_a_header_naming_two_fields_is_asked_with_them_first(world):
    preview = preview_import(upload(world, xlsx(["Apellido paterno", "Nombres", "Nombre del comedor", "Categoría"],
                                                [["Quispe", "Rosa", "Santa Rosa", "Otro"]])))
    question, = preview.questions
    assert (question.letter, question.candidates) == ("C «Nombre del comedor»", ["given_names"])


def test_an_unknown_category_under_a_two_word_header_stays_an_error(world):
    preview = preview_import(upload(world, xlsx(["Apellido paterno", "Nombres", "Categoría / Condición"],
                                                [["Quispe", "Rosa", "Astronauta"], ["Pari", "Juana", "Otro"]])))
    assert [r.status for r in preview.rows] == ["error", "new"]
    assert preview.rows[0].errors[0][0] == "C «Categoría / Condición»" and "Astronauta" in preview.rows[0].errors[0][1]


@pytest.mark.parametrize("total", ["TOTAL", "Total general", "SUMA", "TOTAL:", "Total 2", "TOTALES"])
def test_a_total_row_at_the_bottom_is_left_out_with_a_note(world, total):
    rows = [["Quispe", "Rosa", "Otro"], ["Pari", "Juana", "Otro"], [total, None, 2]]
    preview = preview_import(upload(world, xlsx(["Apellido paterno", "Nombres", "Categoría"], rows)))
    assert [r.status for r in preview.rows] == ["new", "new"]
    assert preview.notes == [f"La fila 4 («{total}») es un total, no una persona; no se importa."]


def test_a_person_whose_surname_starts_like_a_total_is_a_person(world):
    rows = [["Quispe", "Rosa", "Otro"], ["Suma", "Juana", "Otro"]]
    preview = preview_import(upload(world, xlsx(["Apellido paterno", "Nombres", "Categoría"], rows)))
    assert [r.name for r in preview.rows] == ["Quispe, Rosa", "Suma, Juana"] and not preview.notes


def test_an_unknown_column_with_nothing_under_it_is_not_asked_about(world):
    preview = preview_import(upload(world, xlsx(["Apellido paterno", "Nombres", "Categoría", "Teléfono"],
                                                [["Quispe", "Rosa", "Otro", None]])))
    assert not preview.questions and preview.ignored == ["D «Teléfono»"]
