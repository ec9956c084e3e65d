"""An uploaded roll is read once, by the task worker, within bounds: a crafted file (one row of
millions of cells that compresses to kilobytes, a zip bomb, too many columns) is refused with a
Spanish message without being loaded, a reading that takes too long stops itself, and every view
of the preview reads the result kept on the batch, never the file."""

import datetime
import io
import os
import tracemalloc
import zipfile

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from ayni.ops.integrity import import_violations
from ayni.rolls import imports, spreadsheet
from ayni.rolls.imports import apply_import, preview_import, read_import, upload_import
from ayni.rolls.models import ImportBatch, RollEntry
from tests.conftest import as_scope
from tests.rolls_helpers import xlsx_bytes
from tests.test_roll_import_property import _xlsx_value
from tests.test_roll_import_property import cells as property_cells

pytestmark = pytest.mark.django_db

HEADERS = ["N°", "Apellido paterno", "Apellido materno", "Nombres", "DNI", "Categoría"]
PEOPLE = [[1, "Quispe", "Mamani", "Rosa", "04567891", "Otro"], [2, "Pari", "Ccori", "Juana", "", "Otro"]]
MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def xlsx(rows, headers=HEADERS) -> bytes:
    return xlsx_bytes(headers, rows)


def crafted_xlsx(row_cells: bytes, times: int, after_data: bytes = b"") -> bytes:
    """A valid workbook, written part by part: a header row, then one row made of `row_cells`
    repeated `times` times. Deflate squeezes the repetition about a thousand to one, so tens of
    megabytes of sheet make a file of kilobytes (the field trial's was 144 KB)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
            'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"'
            '/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>'))
        archive.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        archive.writestr("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
            '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            '<sheet name="Padrón" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        archive.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'))
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="' + MAIN + b'"><sheetData>')
            sheet.write(b'<row r="1">')
            for header in HEADERS[1:5]:
                sheet.write(b'<c t="inlineStr"><is><t>' + header.encode() + b"</t></is></c>")
            sheet.write(b'</row><row r="2">')
            chunk = row_cells * 10_000
            for _i in range(times // 10_000):
                sheet.write(chunk)
            sheet.write(b"</row></sheetData>" + after_data + b"</worksheet>")
    return out.getvalue()


def upload(world, content, filename="padron.xlsx"):
    batch = upload_import(scope=as_scope(world.leader), kitchen=world.kitchen, filename=filename, content=content)
    return ImportBatch.objects.get(pk=batch.pk)  # as the reading left it (tests read at once)


def test_a_row_of_millions_of_cells_is_refused_without_being_held_in_memory(world):
    content = crafted_xlsx(b"<c><v>1</v></c>", 4_900_000)  # 78 MB of sheet, under the unzipped bound
    assert len(content) < 200 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(spreadsheet.SheetError) as exc:
            spreadsheet.read_table("padron.xlsx", content)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(exc.value) == ("La fila 2 tiene datos en la columna BI; se leen hasta 60 columnas (de la A a la BH). "
                              "Borre las columnas que sobran, o divida el archivo.")
    assert peak < 30 * 1024 * 1024  # the row is refused at its 61st cell, never held whole
    batch = upload(world, content)  # the same through the task: rejected with that message
    assert batch.status == ImportBatch.Status.REJECTED and "columna BI" in batch.message


def test_a_row_of_blank_cells_past_anything_excel_writes_is_refused(world):
    # Formatted but empty cells past the cap are skipped, up to Excel's 16,384 columns.
    content = crafted_xlsx(b'<c s="0"/>', 2_000_000)
    with pytest.raises(spreadsheet.SheetError) as exc:
        spreadsheet.read_table("padron.xlsx", content)
    assert "más de 16 384 celdas" in str(exc.value)


def test_a_sheet_of_endless_merged_ranges_is_refused(world):
    merges = b'<mergeCells>' + b'<mergeCell ref="A2:XFD1048576"/>' * (spreadsheet.MAX_MERGES + 1) + b"</mergeCells>"
    with pytest.raises(spreadsheet.SheetError) as exc:
        spreadsheet.read_table("padron.xlsx", crafted_xlsx(b"<c><v>1</v></c>", 0, merges))
    assert "más de 20 000 grupos de celdas combinadas" in str(exc.value)


def test_blank_formatted_cells_past_the_column_cap_are_skipped(world):
    def formatted_to_column_cv(sheet):
        for row in range(1, 4):
            sheet.cell(row=row, column=100).number_format = "@"  # styled, empty

    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in PEOPLE:
        sheet.append(row)
    formatted_to_column_cv(sheet)
    out = io.BytesIO()
    book.save(out)
    preview = preview_import(upload(world, out.getvalue()))
    assert [r.status for r in preview.rows] == ["new", "new"]


@pytest.mark.parametrize("filename", ["ancho.xlsx", "ancho.csv"])
def test_data_past_the_column_cap_is_refused_naming_the_column(world, filename):
    headers = HEADERS + [f"Dato {i}" for i in range(60)]
    rows = [row + ["x"] * 60 for row in PEOPLE]
    if filename.endswith(".csv"):
        content = "\n".join(";".join(str(c) for c in row) for row in [headers, *rows]).encode()
    else:
        content = xlsx(rows, headers)
    batch = upload(world, content, filename)
    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.message.startswith("La fila 1 tiene datos en la columna BI; se leen hasta 60 columnas")
    with override_settings(AYNI_IMPORT_MAX_COLUMNS=70):  # the cap is a setting
        assert len(preview_import(batch).rows) == 2


def test_a_zip_bomb_is_refused_by_its_declared_size_before_inflating(world):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive, \
            archive.open("xl/worksheets/sheet1.xml", "w") as part:
        zeros = b"\0" * (1024 * 1024)
        for _i in range(spreadsheet.MAX_UNZIPPED // len(zeros) + 1):
            part.write(zeros)
    batch = upload(world, out.getvalue())
    assert len(out.getvalue()) < 200 * 1024
    assert batch.status == ImportBatch.Status.REJECTED and "demasiado grande una vez descomprimido" in batch.message


def test_the_row_cap_is_a_setting(world):
    with override_settings(AYNI_IMPORT_MAX_ROWS=1):
        batch = upload(world, xlsx(PEOPLE))
    assert batch.status == ImportBatch.Status.REJECTED and "hasta 1 a la vez" in batch.message


class SlowClock:
    """The reading's clock, moved on by ten seconds each time it is read."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        self.now += 10
        return self.now


def test_a_reading_past_its_time_limit_stops_itself_with_a_spanish_message(world, monkeypatch):
    monkeypatch.setattr(spreadsheet, "_clock", SlowClock())
    rows = [[i, "Quispe", "Mamani", "Rosa", "", "Otro"] for i in range(2_000)]
    with override_settings(AYNI_IMPORT_READ_SECONDS=30):
        batch = upload(world, xlsx(rows))
    assert batch.status == ImportBatch.Status.REJECTED and batch.preview is None
    assert batch.message.startswith("Leer el archivo tomó más de 30 segundos y se detuvo.")
    assert import_violations() == []
    with pytest.raises(Exception, match="tomó más de 30 segundos"):
        apply_import(scope=as_scope(world.leader), batch=batch)
    assert not RollEntry.objects.exists()


def test_the_file_is_read_once_and_every_view_and_the_confirm_use_the_kept_preview(login, world, monkeypatch):
    reads = []
    original = spreadsheet.read_table

    def counted(*args, **kwargs):
        reads.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(spreadsheet, "read_table", counted)
    client = login(world.leader)
    upload_file = io.BytesIO(xlsx(PEOPLE))
    upload_file.name = "padron.xlsx"
    response = client.post(reverse("rolls:import", kwargs={"pk": world.kitchen.pk}), {"file": upload_file})
    for _i in range(3):
        page = client.get(response["Location"])
        assert page.status_code == 200 and "Confirmar e importar" in page.content.decode()
    assert client.post(response["Location"], {"accion": "confirmar"}).status_code == 302
    assert len(reads) == 1 and RollEntry.objects.count() == 2
    assert "Se aplicó el" in client.get(response["Location"]).content.decode()
    assert len(reads) == 1


def test_the_upload_queues_its_reading_for_the_database_worker(login, world):
    client = login(world.leader)
    upload_file = io.BytesIO(xlsx(PEOPLE))
    upload_file.name = "padron.xlsx"
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        response = client.post(reverse("rolls:import", kwargs={"pk": world.kitchen.pk}), {"file": upload_file})
        batch = ImportBatch.objects.get()
        assert batch.status == ImportBatch.Status.UPLOADED and batch.reading == 1
        task = DBTaskResult.objects.ready().get()
        assert task.task_path == "ayni.rolls.imports.read_import_task" and task.args_kwargs["args"] == [batch.pk, 1]
        page = client.get(response["Location"])
        assert "Procesando" in page.content.decode() and page["Refresh"] == "3"
        assert "Confirmar e importar" not in page.content.decode()
        confirm = client.post(response["Location"], {"accion": "confirmar"})  # too early: refused, nothing lost
        assert confirm.status_code == 200 and "todavía se está leyendo" in confirm.content.decode()
        # What `ayni db_worker` does with the row it claims.
        task.claim("prueba")
        Worker(queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
               max_tasks=None, worker_id="prueba", excluded_queue_names=[]).run_task(task)
        task.refresh_from_db()
        assert task.status == "SUCCESSFUL" and task.return_value == "previewed"
        page = client.get(response["Location"])
        assert "Refresh" not in page and "Confirmar e importar" in page.content.decode()
    assert ImportBatch.objects.get().rows_valid == 2


def test_a_second_run_of_the_same_reading_or_a_superseded_one_does_nothing(world):
    batch = upload(world, xlsx(PEOPLE))
    assert batch.status == ImportBatch.Status.PREVIEWED
    assert read_import(batch_id=batch.pk, reading=batch.reading) == "skipped"
    assert read_import(batch_id=batch.pk, reading=batch.reading - 1) == "skipped"


def test_a_reading_cut_short_by_a_stopped_worker_is_named_and_can_be_read_again(login, world):
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        batch = upload(world, xlsx(PEOPLE))
    # The worker claimed it, then was killed: the batch says "reading" ever since.
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.READING, reading_since=long_ago)
    assert import_violations() == [f"importación {batch.pk}: su lectura no terminó (el proceso de tareas se detuvo "
                                   "mientras leía); se puede leer de nuevo desde su página"]
    client = login(world.leader)
    url = reverse("rolls:import_preview", kwargs={"pk": batch.pk})
    page = client.get(url)
    assert "no avanzó" in page.content.decode() and "Refresh" not in page
    assert client.post(url, {"accion": "leer"}).status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEWED and batch.reading == 2 and import_violations() == []


def test_a_preview_said_done_but_not_kept_is_named(world):
    batch = upload(world, xlsx(PEOPLE))
    ImportBatch.objects.filter(pk=batch.pk).update(preview=None)
    assert import_violations() == [f"importación {batch.pk}: revisada, pero sin la revisión guardada"]


def test_the_kept_preview_gives_back_what_the_reading_found(world):
    batch = upload(world, xlsx(PEOPLE + [[3, "Rojas", "", "Ana", "1234567", "Astronauta"]]))
    kept = imports.Preview.from_stored(ImportBatch.objects.get(pk=batch.pk).preview)
    fresh = preview_import(batch)
    assert [(r.number, r.status, r.errors, r.notes, r.name, r.person_fields, r.entry_fields) for r in kept.rows] == \
        [(r.number, r.status, r.errors, r.notes, r.name, r.person_fields, r.entry_fields) for r in fresh.rows]
    assert (kept.notes, kept.ignored, kept.letters, kept.columns) == (fresh.notes, fresh.ignored, fresh.letters,
                                                                      fresh.columns)


@settings(max_examples=int(os.environ.get("AYNI_PROPERTY_EXAMPLES", 30)), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(grid=st.lists(st.lists(st.one_of(st.none(), property_cells), max_size=8), min_size=1, max_size=8),
       rich=st.booleans(), date1904=st.booleans())
def test_the_streaming_reader_gives_what_openpyxl_gives(grid, rich, date1904):
    """Whatever the cells hold (numbers, dates, booleans, text, formulas, rich text, the 1904 date
    system), each value is what openpyxl's own reader gives for it."""
    book = Workbook()
    book.epoch = datetime.datetime(1904, 1, 1) if date1904 else book.epoch  # noqa: DTZ001 - as Excel stores it
    sheet = book.active
    for row in grid:
        sheet.append([_xlsx_value(v) for v in row])
    if rich:
        sheet["A1"] = CellRichText(["Quis", TextBlock(InlineFont(b=True), "pe")])
    out = io.BytesIO()
    book.save(out)
    content = out.getvalue()
    rows, _merges, _sheets = spreadsheet.xlsx_cells(content, spreadsheet.Deadline())
    values = {(n, c): (v.value if isinstance(v, spreadsheet.Formula) else v) for n, cells in rows
              for c, v in enumerate(cells)}  # a formula's saved value, as openpyxl's data_only mode
    ours = {at: v for at, v in values.items() if v is not None}
    theirs = {(cell.row, cell.column - 1): cell.value for line in load_workbook(io.BytesIO(content), data_only=True)
              .active.iter_rows() for cell in line if cell.value is not None}
    assert ours == theirs
