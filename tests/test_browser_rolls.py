"""In real Chromium: a kitchen leader imports her roll from Excel with three bad rows, sees each
error, confirms the good rows, and exports the roll.

Playwright runs in a thread of its own here: `tests.browser`'s session-scoped fixture, imported
by another browser test module, keeps a sync Playwright (and its event loop) alive in the main
thread for the whole session, and a second one cannot start beside it there.
"""

import io
import threading

import pytest
from django.db import connections
from openpyxl import Workbook, load_workbook

from ayni.rolls.models import ExportLog, RollEntry
from tests.browser import ARGS, CHROMIUM, log_in, require_chromium
from tests.conftest import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def roll_file() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["PADRÓN DE USUARIOS — COMEDOR POPULAR SANTA ROSA"])
    sheet.append(["N°", "Ap. Paterno", "Ap. Materno", "Nombres", "N° DNI", "Fec. Nac.", "Categoría", "Ración"])
    sheet.append([1, "QUISPE", "MAMANI", "ROSA LUZ", "04567891", "12/03/1950", "Adulto mayor", "Subsidiada"])
    sheet.append([2, "Huarcaya", "Ccori", "Teodora", "", "05/07/1988", "Gestante", "Pagante"])
    sheet.append([3, "Pari", "Soto", "Luz", "1234567", "01/01/1980", "Otro", ""])  # bad: 7-digit DNI
    sheet.append([4, "Rojas", "Soto", "Beto", "", "01/01/2090", "Otro", ""])  # bad: born in 2090
    sheet.append([5, "Vargas", "Laura", "Ana", "", "01/01/1970", "Astronauta", ""])  # bad: unknown category
    sheet.append([6, "Condori", "Apaza", "Teodosia", "41234567", "01/06/1950", "Discapacidad", "Caso social"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def in_browser(live_server, steps) -> None:
    errors: list[BaseException] = []

    def run():
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                context = browser.new_context(base_url=live_server.url, viewport={"width": 360, "height": 740},
                                              locale="es-PE")
                page = context.new_page()
                page.set_default_timeout(15_000)
                try:
                    steps(page)
                finally:
                    browser.close()
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(300)
    if errors:
        raise errors[0]
    assert not thread.is_alive(), "the browser steps did not finish"


def test_a_leader_imports_her_roll_sees_the_errors_confirms_and_exports(live_server, tmp_path):
    require_chromium()
    world = build_world()
    path = tmp_path / "padron.xlsx"
    path.write_bytes(roll_file())
    in_browser(live_server, lambda page: steps(page, world, path))


def steps(page, world, path):
    log_in(page, "rosa", PASSWORD)
    page.goto(f"/organizaciones/{world.kitchen.pk}/")
    page.get_by_role("link", name="Padrón de usuarios").click()
    page.get_by_role("link", name="Importar desde Excel").click()
    page.get_by_label("Archivo Excel (.xlsx) o CSV").set_input_files(str(path))
    page.get_by_label("Consentimiento de las personas de la lista").select_option("signed")
    page.get_by_role("button", name="Subir y revisar").click()

    page.get_by_role("heading", name="Revisar importación").wait_for()
    errors = page.locator("table.import-errors tbody tr")
    assert errors.count() == 4  # the free ration of row 8 lacks its reason, too
    text = errors.all_inner_texts()
    assert any(t.startswith("5") and "El DNI debe tener 8 dígitos" in t for t in text)
    assert any(t.startswith("6") and "es futura" in t for t in text)
    assert any(t.startswith("7") and "Astronauta" in t for t in text)
    assert any(t.startswith("8") and "caso social" in t for t in text)
    assert RollEntry.objects.count() == 0  # nothing happens before confirming

    page.get_by_role("button", name="Confirmar e importar").click()
    page.get_by_text("Se agregaron 2 personas al padrón.").wait_for()
    assert page.get_by_role("link", name="Quispe Mamani, Rosa Luz").is_visible()
    assert set(RollEntry.objects.values_list("person__dni", flat=True)) == {"04567891", None}

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Descargar Excel").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(download.path().read_bytes())).active
    names = [row[3] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert sorted(names) == ["Rosa Luz", "Teodora"]
    assert ExportLog.objects.get().user.username == "rosa"
