"""Excel round trip: loose Spanish headers, dates and DNIs as people type them, two-step import
(preview then confirm), re-import creating nothing, and every bad file with a clear message."""

import datetime
import io

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from ayni.audit.models import AuditEntry
from ayni.people.models import Person
from ayni.rolls import imports, spreadsheet
from ayni.rolls.imports import apply_import, preview_import, upload_import
from ayni.rolls.models import ExportLog, ImportBatch, RollEntry
from ayni.rolls.services import register_entry
from tests.conftest import as_scope
from tests.rolls_helpers import put_on_roll

pytestmark = pytest.mark.django_db

THIS_YEAR = timezone.localdate().year
HEADERS = ["N°", "Ap. Paterno", "Apellido Materno", "Nombres", "N° DNI", "Fecha de nacimiento", "Categoría",
           "Ración", "Motivo"]
GOOD = [
    [1, "QUISPE", "MAMANI", "ROSA LUZ", "04567891", "12/03/1950", "Adulto mayor", "Subsidiada", ""],
    [2, "Huamán", "Ccori", "Kevin", "71234560", datetime.datetime(THIS_YEAR - 3, 5, 1),  # noqa: DTZ001 - as Excel stores it
     "Niño menor de 6", "Gratuita", "Orfandad"],
    [3, "Pari", "", "Juana", "", 18264, "Gestante", "Pagante", ""],  # 18264: an Excel serial (1950-01-01)
]


def xlsx(rows, headers=HEADERS, title_rows=0, setup=None) -> bytes:
    book = Workbook()
    sheet = book.active
    for _i in range(title_rows):
        sheet.append(["PADRÓN DE USUARIOS - COMEDOR SANTA ROSA"])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    if setup:
        setup(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(world, content, filename="padron.xlsx", **kw):
    return upload_import(scope=as_scope(world.leader), kitchen=world.kitchen, filename=filename, content=content, **kw)


def errors_of(preview):
    return [(r.number, column, message) for r in preview.rows for column, message in r.errors]


@pytest.mark.parametrize("header,field", [
    ("Apellido paterno", "paternal_surname"), ("Ap. Paterno", "paternal_surname"),
    ("APELLIDO PATERNO", "paternal_surname"), ("Apelido Paterno", "paternal_surname"),
    ("Ap. Materno", "maternal_surname"), ("DNI", "dni"), ("N° DNI", "dni"),
    ("Nº de DNI", "dni"), ("Nro. DNI", "dni"), ("Fecha de nacimiento", "birth_date"), ("Fec. Nac.", "birth_date"),
    ("F. Nacimiento", "birth_date"), ("Nombres", "given_names"), ("APELLIDOS Y NOMBRES", "full_name"),
    ("Categoría", "category"), ("Tipo de ración", "ration"), ("Observaciones", "notes"),
])
def test_headers_are_matched_loosely(header, field):
    assert spreadsheet.match_header(header) == field


def test_dates_as_people_and_excel_write_them():
    d = datetime.date(1950, 3, 12)
    assert imports.parse_date("12/03/1950") == d
    assert imports.parse_date("12-03-1950") == d
    assert imports.parse_date("1950-03-12") == d
    assert imports.parse_date(datetime.datetime(1950, 3, 12)) == d  # noqa: DTZ001 - as Excel stores it
    assert imports.parse_date(18334) == d  # Excel serial
    assert imports.parse_date("18334") == d
    assert imports.parse_date("12/03/50") == d
    with pytest.raises(ValueError):
        imports.parse_date("31/02/1950")


def test_a_good_file_previews_then_applies_in_one_step(world):
    batch = upload(world, xlsx(GOOD, title_rows=2))
    assert bytes(batch.content)[:2] == b"PK" and batch.status == ImportBatch.Status.UPLOADED
    preview = preview_import(batch)
    assert [r.status for r in preview.rows] == ["new", "new", "new"], errors_of(preview)
    assert not RollEntry.objects.exists()  # the preview changes nothing
    assert apply_import(scope=as_scope(world.leader), batch=batch) == 3
    rosa = RollEntry.objects.get(person__dni="04567891")  # the leading zero kept
    assert rosa.person.given_names == "Rosa Luz" and rosa.person.birth_date == datetime.date(1950, 3, 12)
    assert rosa.category_id == "adulto-mayor" and rosa.import_batch == batch
    kevin = RollEntry.objects.get(person__dni="71234560")
    assert kevin.ration == "free" and kevin.social_case_reason == "Orfandad"
    juana = RollEntry.objects.get(person__given_names="Juana")
    assert juana.person.birth_date == datetime.date(1950, 1, 1) and juana.ration == "paying"
    assert AuditEntry.objects.filter(action="roll.import").get().after["added"] == 3


def test_reimporting_the_same_file_creates_nothing(world):
    content = xlsx(GOOD)
    apply_import(scope=as_scope(world.leader), batch=upload(world, content))
    again = upload(world, content)
    preview = preview_import(again)
    assert [r.status for r in preview.rows] == ["already"] * 3
    assert any("ya se importó" in n for n in preview.notes)
    assert apply_import(scope=as_scope(world.leader), batch=again) == 0
    assert RollEntry.objects.count() == 3


def test_a_person_registered_elsewhere_is_linked_not_duplicated(world):
    rows = [[1, "Quispe", "Mamani", "María Elena", "45678912", "14/03/1975", "Otro", "", ""]]
    preview = preview_import(upload(world, xlsx(rows)))
    assert preview.rows[0].status == "existing" and preview.rows[0].person == world.member


def _row_by_row(actor, batch):
    """The confirm as it was before the bulk path: `register_entry` for every valid row."""
    preview = preview_import(batch)
    today = timezone.localdate()
    consent = {"consent_method": batch.consent_method, "consent_on": today if batch.consent_method else None}
    for row in preview.valid:
        register_entry(scope=as_scope(actor), kitchen=batch.kitchen, person=row.person, import_batch=batch, audit=False,
                       scope_checked=True, **row.entry_fields, **consent, **({} if row.person else row.person_fields))
    return len(preview.valid)


def _roll_state(kitchen):
    people = [(p.given_names, p.paternal_surname, p.maternal_surname, p.sex, p.birth_date, p.dni, p.dni_check,
               p.phone, p.district_id, p.search_name) for p in Person.objects.order_by("search_name", "dni")]
    # Entries and ids differ between two runs; what was written must not.
    entries = sorted(
        (e.person.search_name, e.person.dni or "", e.category_id, e.ration, e.social_case_reason, e.since, e.until,
         e.consent_on, e.consent_method, e.consent_witness, e.consent_recorded_by_id, e.created_by_id, e.notes,
         e.household_id, e.import_batch.filename if e.import_batch else "")
        for e in RollEntry.objects.filter(kitchen=kitchen).select_related("person", "import_batch"))
    return people, entries


class _Undo(Exception):
    pass


def test_the_bulk_confirm_gives_what_the_row_by_row_path_gave(world):
    put_on_roll(world.kitchen, dni="10293847", given_names="Teodosia")  # already on this roll
    rows = GOOD + [
        [4, "Quispe", "Mamani", "María Elena", "45678912", "14/03/1975", "Otro", "", ""],  # a socia: linked
        [5, "Condori", "Apaza", "Teodosia", "10293847", "01/06/1950", "Adulto mayor", "", ""],  # already here
        [6, "Rojas", "Soto", "Ana", "1234567", "01/01/1980", "Otro", "", ""],  # an error: left out
        [7, "Ñahui", "", "Lucía", "", "02/02/2015", "Escolar", "Caso social", "Orfandad"],
    ]
    content = xlsx(rows)
    try:
        with transaction.atomic():
            batch = upload(world, content, consent_method="signed")
            assert apply_import(scope=as_scope(world.leader), batch=batch) == 5
            bulk = _roll_state(world.kitchen)
            raise _Undo
    except _Undo:
        pass
    batch = upload(world, content, consent_method="signed")
    assert _row_by_row(world.leader, batch) == 5
    assert _roll_state(world.kitchen) == bulk
    assert len(bulk[1]) == 6 and {e[10] for e in bulk[1] if e[14] == "padron.xlsx"} == {world.leader.pk}
    assert {e[5] for e in bulk[1]} == {timezone.localdate()}


def test_a_confirm_that_breaks_a_rule_on_the_registered_person_imports_nothing(world):
    # The file says 1950, so the preview accepts "Adulto mayor"; the DNI belongs to a socia born
    # in 1975, and the confirm checks the category against her.
    rows = GOOD[:1] + [[4, "Quispe", "Mamani", "María Elena", "45678912", "14/03/1950", "Adulto mayor", "", ""]]
    batch = upload(world, xlsx(rows))
    assert [r.status for r in preview_import(batch).rows] == ["new", "existing"]
    with pytest.raises(ValidationError) as exc:
        apply_import(scope=as_scope(world.leader), batch=batch)
    assert exc.value.messages[0].startswith("Fila 3:") and "No se importó nada" in exc.value.messages[0]
    assert not RollEntry.objects.exists() and not Person.objects.filter(dni="04567891").exists()


def test_a_dni_registered_after_the_preview_stops_the_confirm(world):
    batch = upload(world, xlsx(GOOD))
    assert preview_import(batch).count("new") == 3
    original = imports._resolve
    imports_resolve_calls = []

    def resolve_then_someone_registers(rows, kitchen, today, *scope):
        original(rows, kitchen, today, *scope)
        imports_resolve_calls.append(1)
        Person.objects.create(given_names="Otra", paternal_surname="Persona", dni="71234560")

    imports._resolve = resolve_then_someone_registers
    try:
        with pytest.raises(ValidationError) as exc:
            apply_import(scope=as_scope(world.leader), batch=batch)
    finally:
        imports._resolve = original
    assert imports_resolve_calls and "Fila 3:" in exc.value.messages[0]
    assert not RollEntry.objects.exists() and not Person.objects.filter(dni="04567891").exists()


BAD = [
    [4, "Rojas", "Soto", "Ana", "1234567", "01/01/1980", "Otro", "", ""],  # 7-digit DNI
    [5, "Rojas", "Soto", "Beto", "", "01/01/2090", "Otro", "", ""],  # born in 2090
    [6, "Rojas", "Soto", "Carla", "", "01/01/1980", "Astronauta", "", ""],  # unknown category
    [7, "Rojas", "Soto", "Dina", "", "01/01/1980", "Adulto mayor", "", ""],  # 45 years old, not 60+
    [8, "", "Soto", "Eva", "", "", "Otro", "", ""],  # no surname
    [9, "Rojas", "Soto", "Flor", "", "", "Otro", "Gratuita", ""],  # free without its reason
    [10, "Rojas", "Soto", "Gina", "04567891", "", "Otro", "", ""],  # the same DNI as row 2
]


def test_every_bad_row_gets_its_row_column_and_reason_and_the_rest_is_imported(world):
    batch = upload(world, xlsx(GOOD[:1] + BAD))
    preview = preview_import(batch)
    errs = errors_of(preview)
    assert (3, "E «N° DNI»", "El DNI debe tener 8 dígitos; se escribieron 7. («1234567»)") in errs
    assert any(n == 4 and c.startswith("F ") and "es futura" in m for n, c, m in errs)
    assert any(n == 5 and c.startswith("G ") and "Astronauta" in m and "desconocida" in m for n, c, m in errs)
    assert any(n == 6 and c.startswith("G ") and "no corresponde a esa edad" in m for n, c, m in errs)
    assert any(n == 7 and c.startswith("B ") and "apellido paterno" in m for n, c, m in errs)
    assert any(n == 8 and "caso social" in m for n, c, m in errs)
    assert any(n == 9 and "ya aparece en la fila 2" in m for n, c, m in errs)
    assert preview.count("error") == 7 and preview.count("new") == 1
    assert apply_import(scope=as_scope(world.leader), batch=batch) == 1
    assert RollEntry.objects.count() == 1


def test_formulas_merged_cells_and_numeric_dnis(world):
    def setup(sheet):
        sheet["E2"] = 4567891  # Excel dropped the leading zero
        sheet["D3"] = "=UPPER(\"kevin\")"  # a formula with no saved value
        sheet.merge_cells("G2:G3")  # one category for two rows
    rows = [GOOD[0][:], GOOD[1][:]]
    rows[1][6] = None
    preview = preview_import(upload(world, xlsx(rows, setup=setup)))
    assert preview.rows[0].person_fields["dni"] == "04567891"
    assert any("ceros" in n for n in preview.rows[0].notes)
    assert any("fórmula" in m for _n, _c, m in errors_of(preview))
    assert any("combinadas" in n for n in preview.notes)


def test_a_latin1_semicolon_csv(world):
    text = "Apellido paterno;Apellido materno;Nombres;DNI;Fecha de nacimiento;Categoría\n" \
           "Núñez;Peña;María;04567891;12/03/1950;Adulto mayor\n"
    preview = preview_import(upload(world, text.encode("latin-1"), filename="padron.csv"))
    row = preview.rows[0]
    assert row.status == "new" and row.person_fields["paternal_surname"] == "Núñez"
    assert row.person_fields["dni"] == "04567891"
    assert any("Latin-1" in n for n in preview.notes)


def test_excel_unicode_text_and_lone_carriage_returns(world):
    text = "Apellido paterno\tNombres\tDNI\tCategoría\r\nÑahui\tLucía\t04567891\tOtro\r\n"
    row = preview_import(upload(world, text.encode("utf-16"), filename="padron.txt")).rows[0]
    assert row.status == "new" and row.person_fields["paternal_surname"] == "Ñahui"
    text = "Apellido paterno;Nombres;Categoría\rQuispe;Rosa;Otro\rPari;Juana;Otro\r"  # an old Mac file
    assert [r.status for r in preview_import(upload(world, text.encode(), filename="mac.csv")).rows] == ["new"] * 2


def test_an_unreadable_csv_cell_gets_a_spanish_message(world):
    text = "Apellido paterno;Nombres;Categoría\nQuispe;" + "x" * 200_000 + ";Otro\n"
    with pytest.raises(spreadsheet.SheetError) as exc:
        preview_import(upload(world, text.encode(), filename="enorme.csv"))
    assert "cerca de la fila 2" in str(exc.value)


def test_a_comma_csv_with_full_names(world):
    text = "APELLIDOS Y NOMBRES,DNI,CATEGORIA\r\n\"QUISPE MAMANI, ROSA\",04567891,otro\r\n"
    row = preview_import(upload(world, text.encode(), filename="lista.csv")).rows[0]
    assert (row.person_fields["paternal_surname"], row.person_fields["maternal_surname"],
            row.person_fields["given_names"]) == ("Quispe", "Mamani", "Rosa")


def test_a_csv_formula_is_refused(world):
    text = "Apellido paterno,Nombres,Categoría\nQuispe,=HYPERLINK(\"x\"),Otro\n"
    preview = preview_import(upload(world, text.encode(), filename="a.csv"))
    assert "fórmula" in errors_of(preview)[0][2]


@pytest.mark.parametrize("content,filename,message", [
    (b"", "vacio.xlsx", "El archivo está vacío"),
    (b"PK\x03\x04 not really a zip", "roto.xlsx", "dañado"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "viejo.xls", "Excel antiguo"),
    (b"\x00\x01\x02\x03binary", "foto.csv", "no es una hoja de cálculo"),
    (b"Apellido paterno;Nombres\n", "solo-titulos.csv", "ninguna fila"),
    (b"hola;mundo\n1;2\n", "otra-cosa.csv", "fila de títulos"),
])
def test_bad_files_get_a_clear_message(world, content, filename, message):
    batch = upload(world, content, filename=filename)
    with pytest.raises(spreadsheet.SheetError) as exc:
        preview_import(batch)
    assert message in str(exc.value)
    with pytest.raises(ValidationError):
        apply_import(scope=as_scope(world.leader), batch=batch)
    assert not RollEntry.objects.exists()


def test_an_empty_workbook(world):
    book = Workbook()
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(spreadsheet.SheetError) as exc:
        preview_import(upload(world, out.getvalue()))
    assert "vacío" in str(exc.value) or "títulos" in str(exc.value)


def test_too_many_rows_are_refused_with_the_cap(world):
    rows = [[i, "Quispe", "Mamani", "Rosa", "", "", "Otro", "", ""] for i in range(settings.AYNI_IMPORT_MAX_ROWS + 50)]
    text = ";".join(HEADERS) + "\n" + "\n".join(";".join(str(c) for c in r) for r in rows)
    with pytest.raises(spreadsheet.SheetError) as exc:
        preview_import(upload(world, text.encode(), filename="grande.csv"))
    assert "10 000" in str(exc.value)


def test_200000_rows_are_refused_before_being_loaded(world):
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADERS)
    for i in range(200_000):
        sheet.append([i, "Q", "M", "R"])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(spreadsheet.SheetError) as exc:
        preview_import(upload(world, out.getvalue()))
    assert "más de 10 000 filas" in str(exc.value)


def test_a_file_over_the_size_cap_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        upload(world, b"x" * (spreadsheet.MAX_BYTES + 1), filename="enorme.csv")
    assert "MB" in exc.value.messages[0]


def test_the_pages_upload_preview_and_confirm(login, world):
    client = login(world.leader)
    upload_file = io.BytesIO(xlsx(GOOD + BAD[:1]))
    upload_file.name = "padron.xlsx"
    response = client.post(reverse("rolls:import", kwargs={"pk": world.kitchen.pk}), {"file": upload_file,
                                                                                      "consent_method": "signed"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "El DNI debe tener 8 dígitos" in page and "Confirmar e importar" in page
    response = client.post(response["Location"])
    assert response.status_code == 302 and RollEntry.objects.count() == 3
    assert RollEntry.objects.filter(consent_method="signed", consent_on=timezone.localdate()).count() == 3


def test_a_corrupt_upload_shows_a_message_never_a_500(login, world):
    client = login(world.leader)
    bad = io.BytesIO(b"PK\x03\x04garbage")
    bad.name = "padron.xlsx"
    response = client.post(reverse("rolls:import", kwargs={"pk": world.kitchen.pk}), {"file": bad})
    page = client.get(response["Location"])
    assert page.status_code == 200 and "dañado" in page.content.decode()
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.REJECTED and bytes(batch.content) == b"PK\x03\x04garbage"


def test_export_round_trips_and_is_logged(login, world):
    put_on_roll(world.kitchen, dni="04567891")
    put_on_roll(world.olla, given_names="Aurelia")
    client = login(world.coordinator)
    response = client.get(reverse("rolls:export", kwargs={"pk": world.ves.pk, "fmt": "xlsx"}))
    assert response.status_code == 200 and response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:5] == ("N°", "Apellido paterno", "Apellido materno", "Nombres", "DNI")
    assert "04567891" in [r[4] for r in rows[2:]] and len(rows) == 4
    log = ExportLog.objects.get()
    assert log.user == world.coordinator and log.organisation == world.ves and log.rows == 2 and log.fmt == "xlsx"
    assert AuditEntry.objects.filter(action="roll.export", org_path=world.ves.path).exists()
    # The exported file imports back into a kitchen as "already on the roll".
    preview = preview_import(upload_import(scope=as_scope(world.leader), kitchen=world.kitchen, filename="x.xlsx",
                                           content=response.content))
    statuses = {r.name: r.status for r in preview.rows}
    assert statuses["Condori Apaza, Teodosia"] == "already" and statuses["Condori Apaza, Aurelia"] == "new"


def test_csv_export_is_comma_utf8_with_bom(login, world):
    """The one CSV convention of every export (ayni.lib.exports): comma, BOM, ISO dates."""
    put_on_roll(world.kitchen, dni="04567891", notes="=1+1")
    response = login(world.leader).get(reverse("rolls:export", kwargs={"pk": world.kitchen.pk, "fmt": "csv"}))
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffN°,Apellido paterno") and "04567891" in text and ",1950-06-01," in text
    assert "'=1+1" in text  # never a live formula
    assert ExportLog.objects.get().fmt == "csv"


def test_a_viewer_cannot_export_and_nothing_is_logged(login, world):
    put_on_roll(world.kitchen)
    url = reverse("rolls:export", kwargs={"pk": world.ves.pk, "fmt": "csv"})
    assert login(world.viewer).get(url).status_code == 403
    assert not ExportLog.objects.exists()
