"""Reading the spreadsheets people really use, and writing the roll back out.

Headers are matched loosely ("Apellido paterno", "Ap. Paterno", "N° DNI", "Fec. Nac."…), the
header row is found among the first rows (titles and logos above it are common), merged cells
are repeated down their range, formulas are read from their saved value, CSVs may come in UTF-8
or Latin-1 with commas or semicolons. Anything unreadable raises `SheetError` with a Spanish
message; nothing here touches the database.
"""

import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from ayni.lib.text import fold

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
MAX_UNZIPPED = 80 * 1024 * 1024  # a 5 MB xlsx that inflates past this is not a roll
HEADER_SCAN = 15

ALIASES = {
    "paternal_surname": ["apellido paterno", "ap paterno", "ape paterno", "apellido pat", "a paterno", "paterno",
                         "primer apellido", "apellido 1"],
    "maternal_surname": ["apellido materno", "ap materno", "ape materno", "apellido mat", "a materno", "materno",
                         "segundo apellido", "apellido 2"],
    "surnames": ["apellidos"],
    "given_names": ["nombres", "nombre", "nombre s", "primer nombre", "nombres completos"],
    "full_name": ["apellidos y nombres", "apellidos nombres", "nombres y apellidos", "nombre completo",
                  "beneficiario", "usuario", "usuaria"],
    "dni": ["dni", "numero dni", "documento", "documento identidad", "doc identidad", "num doc", "dni ce", "doc"],
    "birth_date": ["fecha nacimiento", "f nacimiento", "fec nac", "fecha nac", "f nac", "nacimiento", "fnac",
                   "fec nacimiento"],
    "sex": ["sexo", "genero"],
    "category": ["categoria", "tipo usuario", "tipo beneficiario", "condicion", "grupo", "categoria pca"],
    "ration": ["racion", "tipo racion", "modalidad", "tipo de racion"],
    "social_case_reason": ["motivo", "motivo caso social", "caso social motivo", "motivo gratuidad"],
    "since": ["fecha ingreso", "desde", "ingreso", "fecha inscripcion", "inscripcion"],
    "notes": ["observaciones", "obs", "observacion", "notas", "nota"],
    "skip": ["n", "item", "orden", "edad", "comedor", "consentimiento", "firma", "firma o huella", "huella",
             "hasta", "motivo salida"],
}
STOP = {"de", "del", "la", "el", "n", "no", "nro", "num", "numero", "nº", "o"}
LABELS = {
    "paternal_surname": "Apellido paterno", "maternal_surname": "Apellido materno", "surnames": "Apellidos",
    "given_names": "Nombres", "full_name": "Apellidos y nombres", "dni": "DNI", "birth_date": "Fecha de nacimiento",
    "sex": "Sexo", "category": "Categoría", "ration": "Tipo de ración", "social_case_reason": "Motivo caso social",
    "since": "Fecha de ingreso", "notes": "Observaciones",
}


class SheetError(Exception):
    """The file as a whole cannot be read; the message is for the person who uploaded it."""


@dataclass
class Formula:
    text: str
    value: object  # the value Excel saved with it, or None


@dataclass
class Table:
    columns: dict[int, str]  # column index -> field
    letters: dict[str, str]  # field -> "D «N° DNI»": the column as she sees it, for the error report
    headers: dict[str, str]  # field -> the header as written
    rows: list[tuple[int, list]]  # (row number in the file, cells)
    notes: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def header_key(text) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", fold(str(text or ""))).split()
    return " ".join(w for w in words if w not in STOP) or " ".join(words)


_ALIAS_INDEX = {header_key(alias): name for name, aliases in ALIASES.items() for alias in aliases}
_ALIAS_INDEX["n"] = "skip"


def match_header(text) -> str | None:
    key = header_key(text)
    if not key:
        return None
    if key in _ALIAS_INDEX:
        return _ALIAS_INDEX[key]
    best = process.extractOne(key, list(_ALIAS_INDEX), scorer=fuzz.ratio, score_cutoff=86)
    return _ALIAS_INDEX[best[0]] if best else None


def column_letter(index: int) -> str:
    out, n = "", index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _find_header(rows: list[tuple[int, list]], letter) -> tuple[int, dict[int, str], list[str]]:
    best = (-1, {}, [], 0)
    for position, (_number, cells) in enumerate(rows[:HEADER_SCAN]):
        columns, ignored = {}, []
        for i, cell in enumerate(cells):
            if cell is None or str(cell).strip() == "":
                continue
            name = match_header(cell)
            if name and name not in columns.values():
                columns[i] = name
            else:
                ignored.append(str(cell).strip()[:40])
        useful = sum(1 for v in columns.values() if v != "skip")
        if useful > best[3]:
            best = (position, columns, ignored, useful)
    position, columns, ignored, useful = best
    names = set(columns.values())
    if useful < 2 or not ({"given_names", "full_name"} & names):
        raise SheetError(_("No se encontró la fila de títulos. La primera fila de la lista debe tener los títulos de "
                           "las columnas, por ejemplo: Apellido paterno, Apellido materno, Nombres, DNI, Fecha de "
                           "nacimiento, Categoría."))
    return position, {i: n for i, n in columns.items() if n != "skip"}, ignored


def _table(rows: list[tuple[int, list]], letter, notes: list[str]) -> Table:
    if not rows:
        raise SheetError(_("El archivo está vacío."))
    position, columns, ignored = _find_header(rows, letter)
    data = [(n, cells) for n, cells in rows[position + 1:] if any(c not in (None, "") and str(c).strip()
                                                                    for c in cells)]
    if not data:
        raise SheetError(_("El archivo tiene los títulos pero ninguna fila con personas."))
    if len(data) > MAX_ROWS:
        raise SheetError(_("El archivo tiene %(n)s filas; se pueden importar hasta %(max)s a la vez. Divídalo en "
                           "varios archivos.") % {"n": f"{len(data):,}".replace(",", " "), "max": f"{MAX_ROWS:,}"
                                                  .replace(",", " ")})
    header_cells = rows[position][1]
    headers = {name: str(header_cells[i]).strip() for i, name in columns.items()}
    letters = {name: f"{letter(i)} «{headers[name][:30]}»" for i, name in columns.items()}
    return Table(columns=columns, letters=letters, headers=headers, rows=data, notes=notes, ignored=ignored)


def read_table(filename: str, content: bytes) -> Table:
    if not content:
        raise SheetError(_("El archivo está vacío."))
    if len(content) > MAX_BYTES:
        raise SheetError(_("El archivo pesa %(mb).1f MB; el máximo es %(max)s MB.")
                         % {"mb": len(content) / 1024 / 1024, "max": MAX_BYTES // 1024 // 1024})
    name = filename.lower()
    if content[:4] == b"PK\x03\x04" or name.endswith((".xlsx", ".xlsm")):
        return _read_xlsx(content)
    if content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or name.endswith(".xls"):
        raise SheetError(_("Es un archivo de Excel antiguo (.xls). Ábralo en Excel o LibreOffice y guárdelo como "
                           "«Libro de Excel (.xlsx)» o como CSV."))
    return _read_csv(content)


# --- CSV --------------------------------------------------------------------------------------

def _read_csv(content: bytes) -> Table:
    notes = []
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):
        # Excel's "Texto Unicode (.txt)": UTF-16 with its byte-order mark, separated by tabs.
        text = content.decode("utf-16", errors="replace")
    elif b"\x00" in content[:4096]:
        raise SheetError(_("El archivo no es una hoja de cálculo ni un CSV de texto."))
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode("cp1252", errors="replace")
            notes.append(_("El CSV no estaba en UTF-8; se leyó como Latin-1 (Windows)."))
    text = text.replace("\x00", "")
    first = text[:5000].splitlines()[:HEADER_SCAN] or [""]
    delimiter = max((";", ",", "\t", "|"), key=lambda d: sum(line.count(d) for line in first))
    rows = []
    try:
        # newline="": a lone carriage return (old Mac files, a cell typed with Alt+Enter) ends a
        # line or stays inside its quoted cell, as the csv module expects.
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            if number > MAX_ROWS + HEADER_SCAN + 1 and len(rows) > MAX_ROWS + HEADER_SCAN:
                raise SheetError(_("El archivo tiene más de %(max)s filas; se pueden importar hasta %(max)s a la "
                                   "vez. Divídalo en varios archivos.") % {"max": f"{MAX_ROWS:,}".replace(",", " ")})
            rows.append((number, [(Formula(c, None) if c.startswith("=") else c) for c in cells]))
    except csv.Error as exc:  # its message is in English: she gets where and what to look at
        raise SheetError(_("No se pudo leer el CSV cerca de la fila %(n)s: revise que las comillas de cada celda "
                           "estén cerradas, o guárdelo de nuevo desde Excel o LibreOffice.")
                         % {"n": len(rows) + 1}) from exc
    return _table(rows, lambda i: column_letter(i), notes)


# --- XLSX -------------------------------------------------------------------------------------

_MERGE = re.compile(rb'<mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters.decode():
        n = n * 26 + ord(ch) - 64
    return n - 1


def _read_xlsx(content: bytes) -> Table:
    """One streaming pass (openpyxl's read-only mode), stopped as soon as the row cap is passed,
    so a 200,000-row file is refused without being loaded. Merged ranges and formulas are found
    in the sheet's XML."""
    from openpyxl import load_workbook

    broken = _("No se pudo abrir el archivo como Excel (.xlsx): está dañado o no es una hoja de cálculo. Ábralo en "
               "Excel o LibreOffice y guárdelo de nuevo como .xlsx, o como CSV.")
    too_many = _("El archivo tiene más de %(max)s filas; se pueden importar hasta %(max)s a la vez. Divídalo en "
                 "varios archivos.") % {"max": f"{MAX_ROWS:,}".replace(",", " ")}
    limit = MAX_ROWS + HEADER_SCAN + 1
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED:
                raise SheetError(_("El archivo es demasiado grande una vez descomprimido; divídalo en varios."))
        values = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        if not values.worksheets:
            raise SheetError(_("El archivo está vacío."))
        sheet = values.worksheets[0]
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            xml = archive.read(sheet._worksheet_path) if hasattr(sheet, "_worksheet_path") else b""
        grid = []
        for row in sheet.iter_rows(values_only=True):
            grid.append(list(row))
            if len(grid) > limit:
                raise SheetError(too_many)
        formulas = None
        if b"<f>" in xml or b"<f " in xml:
            formulas = load_workbook(io.BytesIO(content), read_only=True)
    except SheetError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a broken file: all mean the same to her
        raise SheetError(broken) from exc
    notes = []
    if len(values.worksheets) > 1:
        notes.append(_("El archivo tiene varias hojas; se leyó solo la primera, «%(name)s».") % {"name": sheet.title})
    values.close()
    merged = []
    for c1, r1, c2, r2 in _MERGE.findall(xml):
        min_col, max_col, min_row, max_row = _col_index(c1), _col_index(c2), int(r1) - 1, int(r2) - 1
        if min_row >= len(grid):
            continue
        top = grid[min_row][min_col] if min_col < len(grid[min_row]) else None
        for r in range(min_row, min(max_row + 1, len(grid))):
            for c in range(min_col, max_col + 1):
                if c < len(grid[r]):
                    grid[r][c] = top
        if max_row > min_row:
            merged.append(f"{c1.decode()}{r1.decode()}:{c2.decode()}{r2.decode()}")
    if merged:
        notes.append(_("Había celdas combinadas (%(cells)s); se repitió su valor en cada fila.")
                     % {"cells": ", ".join(merged[:5])})
    if formulas is not None:
        for r, row in enumerate(formulas.worksheets[0].iter_rows(values_only=True)):
            if r >= len(grid):
                break
            for c, cell in enumerate(row):
                if isinstance(cell, str) and cell.startswith("=") and c < len(grid[r]):
                    grid[r][c] = Formula(cell, grid[r][c])
        formulas.close()
    rows = [(i + 1, cells) for i, cells in enumerate(grid)]
    return _table(rows, column_letter, notes)


# --- Writing ----------------------------------------------------------------------------------

EXPORT_HEADERS = ["N°", "Apellido paterno", "Apellido materno", "Nombres", "DNI", "Fecha de nacimiento", "Edad",
                  "Sexo", "Categoría", "Tipo de ración", "Motivo caso social", "Fecha de ingreso", "Comedor",
                  "Consentimiento", "Observaciones"]


def export_rows(entries, today: datetime.date):
    for n, e in enumerate(entries, start=1):
        p = e.person
        consent = f"{e.get_consent_method_display()} {e.consent_on:%d/%m/%Y}" if e.has_consent else ""
        yield [n, p.paternal_surname, p.maternal_surname, p.given_names, p.dni or "", p.birth_date, p.age(today),
               p.get_sex_display(), e.category.short_name, e.get_ration_display(), e.social_case_reason, e.since,
               e.kitchen.name, consent, e.notes]
