"""Reading the spreadsheets people really use, and writing the roll back out.

Headers are matched by their words ("Apellido paterno", "Ap. Paterno", "N° DNI", "Fec. Nac.",
"Categoría / Condición"…); a column whose header names no field, or two, is asked about in the
preview, never dropped. The header row is found among the first rows (titles and logos above it
are common), merged cells are repeated down their range, formulas are read from their saved value,
a TOTAL row at the bottom is left out, CSVs may come in UTF-8 or Latin-1 with commas or semicolons.

A file is read within bounds (rows, columns, its size unzipped, and a time limit: the
AYNI_IMPORT_* settings), streaming, so that a crafted file is refused before it is loaded.
Anything unreadable raises `SheetError` with a Spanish message; nothing here touches the database.
"""

import bisect
import contextlib
import csv
import datetime
import io
import re
import signal
import threading
import time
import zipfile
from dataclasses import dataclass, field
from xml.etree.ElementTree import iterparse

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from rapidfuzz import fuzz, process

from ayni.lib.identity import IdColumn, id_column
from ayni.lib.text import fold

MAX_BYTES = 5 * 1024 * 1024
MAX_UNZIPPED = 80 * 1024 * 1024  # a 5 MB xlsx that inflates past this is not a roll
HEADER_SCAN = 15
MAX_MERGES = 20_000  # a roll merges a title, a category per group: hundreds
EXCEL_MAX_COLUMNS = 16_384  # a row with more cells than Excel has columns was not written by Excel
IGNORE = "ignore"  # her answer for a column that is not to be imported

ALIASES = {
    "paternal_surname": ["apellido paterno", "ap paterno", "ape paterno", "apellido pat", "a paterno", "paterno",
                         "primer apellido", "apellido 1"],
    "maternal_surname": ["apellido materno", "ap materno", "ape materno", "apellido mat", "a materno", "materno",
                         "segundo apellido", "apellido 2"],
    "surnames": ["apellidos"],
    "given_names": ["nombres", "nombre", "nombre s", "primer nombre", "nombres completos"],
    "full_name": ["apellidos y nombres", "apellidos nombres", "nombres y apellidos", "nombre completo",
                  "beneficiario", "usuario", "usuaria"],
    "dni": ["dni", "numero dni", "documento", "documento identidad", "doc identidad", "num doc", "dni ce", "doc",
            # other countries' documents (Bolivia's carnet or CI, Ecuador's cédula, Brazil's CPF)
            "ci", "numero ci", "nro ci", "carnet", "carnet identidad", "cedula", "cedula identidad", "cpf"],
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
    "paternal_surname": _lazy("Apellido paterno"), "maternal_surname": _lazy("Apellido materno"),
    "surnames": _lazy("Apellidos"), "given_names": _lazy("Nombres"), "full_name": _lazy("Apellidos y nombres"),
    "dni": _lazy("DNI"), "birth_date": _lazy("Fecha de nacimiento"), "sex": _lazy("Sexo"),
    "category": _lazy("Categoría"), "ration": _lazy("Tipo de ración"),
    "social_case_reason": _lazy("Motivo caso social"), "since": _lazy("Fecha de ingreso"),
    "notes": _lazy("Observaciones"),
}
# What a header is split on before its parts are matched: "Categoría / Condición", "Ración (tipo)".
_SEPARATORS = re.compile(r"[/\\,;|()\[\]{}\-–—:+&]")
_LONGEST_ALIAS = 4  # words
# The first cell of a bottom row that sums the roll up rather than naming a person.
_TOTAL_WORDS = {"total", "totales", "suma"}
_TOTAL_TAIL = {"general", "total", "usuarios", "usuarias", "beneficiarios", "personas", "inscritos"}


class SheetError(Exception):
    """The file as a whole cannot be read; the message is for the person who uploaded it."""


class TooSlow(SheetError):
    """The reading went past its time limit."""


def max_rows() -> int:
    return settings.AYNI_IMPORT_MAX_ROWS


def max_columns() -> int:
    return settings.AYNI_IMPORT_MAX_COLUMNS


def _number(n: int) -> str:
    return f"{n:,}".replace(",", " ")


_clock = time.monotonic  # the one clock of a reading's time limit (tests move it)


class Deadline:
    """A reading stops itself once its seconds are spent: the loops that read a file call
    `check()`, and `alarm()` also interrupts what never calls it (openpyxl reading a workbook's
    parts) where a signal can, in the worker's main thread."""

    def __init__(self, seconds: float | None = None):
        self.seconds = settings.AYNI_IMPORT_READ_SECONDS if seconds is None else seconds
        self.until = _clock() + self.seconds

    def error(self) -> TooSlow:
        return TooSlow(_("Leer el archivo tomó más de %(s)s segundos y se detuvo. Divídalo en varios archivos más "
                         "pequeños, o ábralo en Excel o LibreOffice y guárdelo de nuevo como .xlsx o CSV.")
                       % {"s": _number(int(self.seconds))})

    def check(self) -> None:
        if _clock() > self.until:
            raise self.error()

    @contextlib.contextmanager
    def alarm(self):
        usable = (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
                  and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, None))
        if not usable:
            yield
            return

        def ring(_signum, _frame):
            raise self.error()

        previous = signal.signal(signal.SIGALRM, ring)
        signal.setitimer(signal.ITIMER_REAL, max(self.until - _clock(), 0.001))
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


@dataclass
class Formula:
    text: str
    value: object  # the value Excel saved with it, or None


@dataclass
class Question:
    """A column the preview asks about: its header names no field, or more than one."""
    index: int
    letter: str  # "F «Condición»"
    header: str
    candidates: list[str]  # the fields its words name, if any
    samples: list[str]  # a few of its values, to help her tell


@dataclass
class Table:
    columns: dict[int, str]  # column index -> field
    letters: dict[str, str]  # field -> "D «N° DNI»": the column as she sees it, for the error report
    headers: dict[str, str]  # field -> the header as written
    rows: list[tuple[int, list]]  # (row number in the file, cells)
    notes: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # columns known not to be imported ("A «N°»")
    questions: list[Question] = field(default_factory=list)


def header_key(text) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", fold(str(text or ""))).split()
    return " ".join(w for w in words if w not in STOP) or " ".join(words)


_ALIAS_INDEX = {header_key(alias): name for name, aliases in ALIASES.items() for alias in aliases}
_ALIAS_INDEX["n"] = "skip"


def _whole(key: str) -> str | None:
    if key in _ALIAS_INDEX:
        return _ALIAS_INDEX[key]
    best = process.extractOne(key, list(_ALIAS_INDEX), scorer=fuzz.ratio, score_cutoff=86)
    return _ALIAS_INDEX[best[0]] if best else None


def header_fields(text) -> tuple[list[str], int]:
    """The fields a header names, and how surely: 2 when the whole header is a known name for one
    ("Fec. Nac."), 1 when known names were found among its words, split on separators
    ("Categoría / Condición", "Apellidos y Nombres del beneficiario"). Longer names are taken
    first, so "apellidos y nombres" is one field, not "apellidos" and "nombres"."""
    text = str(text or "").strip()
    key = header_key(text)
    if not key or len(text) > 100:  # a paragraph is not a header
        return [], 0
    field_name = _whole(key)
    if field_name:
        return [field_name], 2
    found = []
    for segment in _SEPARATORS.split(text):
        key = header_key(segment)
        if not key:
            continue
        field_name = _whole(key)
        if field_name:
            found.append(field_name)
            continue
        words = key.split()
        used = [False] * len(words)
        for size in range(min(len(words), _LONGEST_ALIAS), 0, -1):
            for start in range(len(words) - size + 1):
                if any(used[start:start + size]):
                    continue
                field_name = _ALIAS_INDEX.get(" ".join(words[start:start + size]))
                if field_name:
                    found.append(field_name)
                    used[start:start + size] = [True] * size
    return list(dict.fromkeys(found)), 1


def match_header(text) -> str | None:
    """The one field a header names, or None when it names none or several."""
    fields, _sure = header_fields(text)
    return fields[0] if len(fields) == 1 else None


def column_letter(index: int) -> str:
    out, n = "", index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _filled(cell) -> bool:
    return cell is not None and str(cell).strip() != ""


def _find_header(rows: list[tuple[int, list]]) -> tuple[int, dict[int, tuple[list[str], int]]]:
    """The row among the first ones whose cells name the most fields, and what each names. Fields,
    not cells: a title merged across the sheet repeats its one word in every cell."""
    best = (-1, {}, 0)
    for position, (_row, cells) in enumerate(rows[:HEADER_SCAN]):
        named = {i: header_fields(cell) for i, cell in enumerate(cells) if _filled(cell)}
        useful = len({f for fields, _sure in named.values() for f in fields} - {"skip"})
        if useful > best[2]:
            best = (position, named, useful)
    position, named, useful = best
    names = {f for fields, _sure in named.values() for f in fields}
    if useful < 2 or not ({"given_names", "full_name"} & names):
        raise SheetError(_("No se encontró la fila de títulos. La primera fila de la lista debe tener los títulos de "
                           "las columnas, por ejemplo: Apellido paterno, Apellido materno, Nombres, DNI, Fecha de "
                           "nacimiento, Categoría."))
    return position, named


def _says_total(text) -> bool:
    words = re.sub(r"[^a-z0-9]+", " ", fold(text)).split() if isinstance(text, str) else []
    return bool(words) and words[0] in _TOTAL_WORDS and all(w in _TOTAL_TAIL or w.isdigit() for w in words[1:])


def _is_total(cells: list) -> str:
    """The text of a row's first filled cell when it says the row is a total ("TOTAL", "Total
    general", "SUMA") and nothing else in the row is text (counts, sums, formulas), else "".
    A person whose surname is Suma has her names beside it."""
    filled = [c for c in cells if _filled(c)]
    if not filled or not _says_total(filled[0]):
        return ""
    for cell in filled[1:]:
        if isinstance(cell, str) and not _says_total(cell) and not re.fullmatch(r"[\d\s.,:%]+", cell):
            return ""
    return filled[0].strip()[:30]


def _table(rows: list[tuple[int, list]], letter, notes: list[str], choices: dict | None = None) -> Table:
    """The roll in the rows: the header row, each column's field, and the people's rows.
    `choices` are her answers from the preview, column index -> field or IGNORE."""
    if not rows:
        raise SheetError(_("El archivo está vacío."))
    choices = {int(i): f for i, f in (choices or {}).items()}
    position, named = _find_header(rows)
    data = [(n, cells) for n, cells in rows[position + 1:] if any(_filled(c) for c in cells)]
    while data and (total := _is_total(data[-1][1])):
        notes.append(_("La fila %(n)s («%(text)s») es un total, no una persona; no se importa.")
                     % {"n": data[-1][0], "text": total})
        data.pop()
    if not data:
        raise SheetError(_("El archivo tiene los títulos pero ninguna fila con personas."))
    if len(data) > max_rows():
        raise SheetError(_("El archivo tiene %(n)s filas; se pueden importar hasta %(max)s a la vez. Divídalo en "
                           "varios archivos.") % {"n": _number(len(data)), "max": _number(max_rows())})
    header_cells = rows[position][1]
    width = max(len(cells) for _n, cells in data)
    header = {i: str(header_cells[i]).strip() if i < len(header_cells) and _filled(header_cells[i]) else ""
              for i in range(max(width, len(header_cells)))}
    columns, asked, ignored = {}, {}, []
    choices = {i: f for i, f in choices.items() if i in header}  # answers about columns this file has
    claims: dict[str, list[tuple[int, int]]] = {}
    for i, (fields, sure) in named.items():
        if i in choices:
            continue
        if fields == ["skip"]:
            ignored.append(i)
        elif len(fields) == 1:
            claims.setdefault(fields[0], []).append((-sure, i))
        else:
            asked[i] = [f for f in fields if f != "skip"]
    for field_name, claimers in claims.items():
        # The column that names the field best keeps it; the others are asked about.
        (_sure, keeper), *others = sorted(claimers)
        columns[keeper] = field_name
        for _sure, i in others:
            asked[i] = [field_name]
    for i, choice in choices.items():
        if choice == IGNORE:
            ignored.append(i)
        elif choice in LABELS:
            for other in [j for j, f in columns.items() if f == choice]:
                del columns[other]
                asked[other] = [choice]
            columns[i] = choice
    # A column with no header but something written below it is asked about too.
    for i in range(width):
        if not header[i] and i not in columns and i not in choices and any(
                i < len(cells) and _filled(cells[i]) for _n, cells in data):
            asked[i] = []
    letters = {name: f"{letter(i)} «{header[i][:30]}»" for i, name in columns.items()}
    questions = []
    for i in sorted(asked):
        samples = []
        for _n, cells in data:
            if i < len(cells) and _filled(cells[i]):
                samples.append(str(cells[i].value if isinstance(cells[i], Formula) else cells[i]).strip()[:30])
                if len(samples) == 3:
                    break
        if not samples:  # nothing written under it: nothing to lose, nothing to ask
            ignored.append(i)
            continue
        questions.append(Question(index=i, letter=f"{letter(i)} «{header[i][:30]}»" if header[i] else letter(i),
                                  header=header[i][:60], candidates=asked[i], samples=samples))
    return Table(columns=columns, letters=letters, headers={name: header[i] for i, name in columns.items()},
                 rows=data, notes=notes, ignored=[f"{letter(i)} «{header[i][:30]}»" if header[i] else letter(i)
                                                  for i in sorted(ignored)], questions=questions)


def read_table(filename: str, content: bytes, *, choices: dict | None = None,
               deadline: Deadline | None = None) -> Table:
    if not content:
        raise SheetError(_("El archivo está vacío."))
    if len(content) > MAX_BYTES:
        raise SheetError(_("El archivo pesa %(mb).1f MB; el máximo es %(max)s MB.")
                         % {"mb": len(content) / 1024 / 1024, "max": MAX_BYTES // 1024 // 1024})
    deadline = deadline or Deadline()
    name = filename.lower()
    if content[:4] == b"PK\x03\x04" or name.endswith((".xlsx", ".xlsm")):
        return _read_xlsx(content, deadline, choices)
    if content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or name.endswith(".xls"):
        raise SheetError(_("Es un archivo de Excel antiguo (.xls). Ábralo en Excel o LibreOffice y guárdelo como "
                           "«Libro de Excel (.xlsx)» o como CSV."))
    return _read_csv(content, deadline, choices)


def _too_many_rows() -> SheetError:
    return SheetError(_("El archivo tiene más de %(max)s filas; se pueden importar hasta %(max)s a la vez. Divídalo "
                        "en varios archivos.") % {"max": _number(max_rows())})


def _too_wide(row: int, column: int) -> SheetError:
    return SheetError(_("La fila %(n)s tiene datos en la columna %(col)s; se leen hasta %(max)s columnas (de la A a "
                        "la %(last)s). Borre las columnas que sobran, o divida el archivo.")
                      % {"n": row, "col": column_letter(column), "max": max_columns(),
                         "last": column_letter(max_columns() - 1)})


# --- CSV --------------------------------------------------------------------------------------

def _read_csv(content: bytes, deadline: Deadline, choices: dict | None) -> Table:
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
    rows, limit, width = [], max_rows() + HEADER_SCAN + 1, max_columns()
    try:
        # newline="": a lone carriage return (old Mac files, a cell typed with Alt+Enter) ends a
        # line or stays inside its quoted cell, as the csv module expects.
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            if number % 1000 == 0:
                deadline.check()
            if len(cells) > width:
                beyond = next((i for i, c in enumerate(cells[width:], start=width) if c.strip()), None)
                if beyond is not None:
                    raise _too_wide(number, beyond)
                del cells[width:]
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= limit:
                raise _too_many_rows()
            rows.append((number, [(Formula(c, None) if c.startswith("=") else c) for c in cells]))
    except csv.Error as exc:  # its message is in English: she gets where and what to look at
        raise SheetError(_("No se pudo leer el CSV cerca de la fila %(n)s: revise que las comillas de cada celda "
                           "estén cerradas, o guárdelo de nuevo desde Excel o LibreOffice.")
                         % {"n": len(rows) + 1}) from exc
    return _table(rows, column_letter, notes, choices)


# --- XLSX -------------------------------------------------------------------------------------

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE, _INLINE, _FORMULA, _TEXT, _RUN, _MERGE_CELL, _SHEET_DATA, _SHARED = (
    _MAIN + tag for tag in ("row", "c", "v", "is", "f", "t", "r", "mergeCell", "sheetData", "si"))


def _text_of(node) -> str:
    """A shared or inline string as its text: the plain part and its formatted runs (what
    openpyxl's `Text.content` gives), without building openpyxl's objects for it."""
    plain = node.find(_TEXT)
    parts = [plain.text or ""] if plain is not None else []
    parts.extend(run.findtext(_TEXT) or "" for run in node.findall(_RUN))
    return "".join(parts)


def _shared_strings(reader, deadline: Deadline) -> list[str]:
    from openpyxl.xml.constants import SHARED_STRINGS

    part = reader.package.find(SHARED_STRINGS)
    if part is None:
        return []
    strings = []
    with reader.archive.open(part.PartName[1:]) as source:
        for n, (_event, node) in enumerate(iterparse(source)):  # noqa: S314 - see _stream_sheet
            if node.tag == _SHARED:
                strings.append(_text_of(node).replace("x005F_", ""))  # as openpyxl unescapes them
                node.clear()
            if not n & 4095:
                deadline.check()
    return strings


class _Cells:
    """A cell's value as openpyxl gives it in `data_only` mode (numbers, dates by their style,
    shared and inline strings, booleans), read straight from the element: the same rules as
    openpyxl's `WorkSheetParser.parse_cell`, without its per-cell objects."""

    def __init__(self, strings: list[str], book):
        from openpyxl.utils.datetime import from_excel, from_ISO8601

        self.strings, self.epoch = strings, book.epoch
        self.dates, self.durations = book._date_formats, book._timedelta_formats
        self.from_excel, self.from_iso = from_excel, from_ISO8601

    def value(self, element):
        kind = element.get("t", "n")
        if kind == "inlineStr":
            child = element.find(_INLINE)
            return _text_of(child) if child is not None else None
        raw = element.findtext(_VALUE) or None
        if raw is None:
            return None
        if kind == "n":
            number = float(raw) if ("." in raw or "e" in raw or "E" in raw) else int(raw)
            style = int(element.get("s") or 0)
            if style in self.dates:
                try:
                    return self.from_excel(number, self.epoch, timedelta=style in self.durations)
                except (OverflowError, ValueError):
                    return "#VALUE!"  # what openpyxl gives for a date out of range
            return number
        if kind == "s":
            return self.strings[int(raw)]
        if kind == "b":
            return bool(int(raw))
        if kind == "d":
            return self.from_iso(raw)
        return raw  # "str" (a formula's text result) and "e" (an error such as #N/A)


def _column(coordinate: str) -> int:
    n = 0
    for ch in coordinate:
        if "A" <= ch <= "Z":
            n = n * 26 + ord(ch) - 64
        elif n:
            return n
        else:
            raise ValueError(coordinate)
    raise ValueError(coordinate)


def _stream_sheet(source, cells_of: _Cells, deadline: Deadline) -> tuple[list[tuple[int, list]], list[tuple]]:
    """The sheet's filled rows and its merged ranges, in one pass over its XML that keeps one cell
    in memory at a time: a cell past the column cap with something in it refuses the file at
    once, so a row of millions of cells is never held whole (openpyxl parses a whole row before
    it hands any of it over, even with `max_col`)."""
    from openpyxl.utils.cell import range_boundaries

    width, limit = max_columns(), max_rows() + HEADER_SCAN + 1
    rows, merges = [], []
    sheet_data = row_element = None
    number = seen = column = events = 0
    cells: dict[int, object] = {}
    # The parser openpyxl itself uses: expat refuses entity expansion bombs, and ElementTree
    # never fetches an external entity.
    for event, element in iterparse(source, events=("start", "end")):  # noqa: S314
        events += 1
        if not events & 4095:
            deadline.check()
        tag = element.tag
        if event == "start":
            if tag == _ROW:
                row_element, cells, seen, column = element, {}, 0, 0
                r = element.get("r")
                number = int(float(r)) if r else number + 1
            elif tag == _SHEET_DATA:
                sheet_data = element
            continue
        if tag == _CELL:
            seen += 1
            if seen > EXCEL_MAX_COLUMNS:
                raise SheetError(_("La fila %(n)s tiene más de %(max)s celdas: el archivo no es una hoja de Excel "
                                   "válida.") % {"n": number, "max": _number(EXCEL_MAX_COLUMNS)})
            coordinate = element.get("r")
            column = _column(coordinate) if coordinate else column + 1
            if column > width:
                if _filled(element.findtext(_VALUE)) or element.find(_INLINE) is not None:
                    raise _too_wide(number, column - 1)
            else:
                value = cells_of.value(element)
                formula = element.find(_FORMULA)
                if formula is not None:
                    value = Formula("=" + (formula.text or ""), value)
                if value is not None:
                    cells[column - 1] = value
            element.clear()
            if row_element is not None:
                row_element.remove(element)  # its only child by now: what ended before was removed
        elif tag == _ROW:
            if cells:
                if len(rows) >= limit:
                    raise _too_many_rows()
                line = [None] * (max(cells) + 1)
                for i, value in cells.items():
                    line[i] = value
                rows.append((number, line))
            element.clear()
            if sheet_data is not None:
                sheet_data.remove(element)
            row_element, cells = None, {}
        elif tag == _MERGE_CELL:
            ref = element.get("ref") or ""
            if ":" in ref:
                merges.append((ref, *range_boundaries(ref)))
                if len(merges) > MAX_MERGES:
                    raise SheetError(_("El archivo tiene más de %(max)s grupos de celdas combinadas. Quite la "
                                       "combinación de celdas (Inicio › Combinar y centrar) y súbalo de nuevo.")
                                     % {"max": _number(MAX_MERGES)})
            element.clear()
    return rows, merges


def _merge(rows: list[tuple[int, list]], merges: list[tuple], deadline: Deadline) -> list[str]:
    """Repeat each merged range's value over its cells (within the column cap); the ranges that
    span rows, for a note."""
    by_number = {n: cells for n, cells in rows}
    numbers = sorted(by_number)
    spanning = []
    for ref, min_col, min_row, max_col, max_row in merges:
        deadline.check()
        top_row = by_number.get(min_row)
        top = top_row[min_col - 1] if top_row and min_col - 1 < len(top_row) else None
        last = min(max_col, max_columns())
        for n in numbers[bisect.bisect_left(numbers, min_row):bisect.bisect_right(numbers, max_row)]:
            cells = by_number[n]
            if top is not None and len(cells) < last:
                cells.extend([None] * (last - len(cells)))
            for c in range(min_col - 1, min(last, len(cells))):
                cells[c] = top
        if max_row > min_row:
            spanning.append(ref)
    return spanning


def xlsx_cells(content: bytes, deadline: Deadline) -> tuple[list[tuple[int, list]], list[tuple], list[str]]:
    """The first sheet's filled rows, its merged ranges, and the names of all sheets.

    openpyxl reads the workbook's parts (its sheets' names, date styles), not through
    `load_workbook`: that sizes every sheet first, and a sheet that does not state its size is
    then parsed whole, row of millions of cells included. The cells are read by `_stream_sheet`."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    broken = _("No se pudo abrir el archivo como Excel (.xlsx): está dañado o no es una hoja de cálculo. Ábralo en "
               "Excel o LibreOffice y guárdelo de nuevo como .xlsx, o como CSV.")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            # What each part says it inflates to is what zipfile will ever give (it stops there
            # and checks the CRC), so the sum bounds the work before a byte is inflated.
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED:
                raise SheetError(_("El archivo es demasiado grande una vez descomprimido; divídalo en varios."))
        with deadline.alarm():
            reader = ExcelReader(io.BytesIO(content), read_only=True, data_only=True)
            try:
                reader.read_manifest()
                strings = _shared_strings(reader, deadline)
                reader.read_workbook()
                apply_stylesheet(reader.archive, reader.wb)
                sheets = [(sheet.name, rel.target) for sheet, rel in reader.parser.find_sheets()
                          if rel.target in reader.valid_files and "chartsheet" not in rel.Type]
                if not sheets:
                    raise SheetError(_("El archivo está vacío."))
                with reader.archive.open(sheets[0][1]) as source:
                    rows, merges = _stream_sheet(source, _Cells(strings, reader.wb), deadline)
            finally:
                reader.archive.close()
    except SheetError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a broken file: all mean the same to her
        raise SheetError(broken) from exc
    return rows, merges, [name for name, _path in sheets]


def _read_xlsx(content: bytes, deadline: Deadline, choices: dict | None) -> Table:
    rows, merges, sheets = xlsx_cells(content, deadline)
    notes = []
    if len(sheets) > 1:
        notes.append(_("El archivo tiene varias hojas; se leyó solo la primera, «%(name)s».") % {"name": sheets[0]})
    spanning = _merge(rows, merges, deadline)
    if spanning:
        notes.append(_("Había celdas combinadas (%(cells)s); se repitió su valor en cada fila.")
                     % {"cells": ", ".join(spanning[:5])})
    return _table(rows, column_letter, notes, choices)


# --- Writing ----------------------------------------------------------------------------------

EXPORT_HEADERS = ["N°", "Apellido paterno", "Apellido materno", "Nombres", "DNI", "Fecha de nacimiento", "Edad",
                  "Sexo", "Categoría", "Tipo de ración", "Motivo caso social", "Fecha de ingreso", "Comedor",
                  "Consentimiento", "Observaciones"]
ID_COLUMN = EXPORT_HEADERS.index("DNI")


def export_headers(column: IdColumn) -> list[str]:
    """The export's headers, its identity column named by the people's document ("DNI", "CI"…,
    «Documento» when the roll mixes countries): the import reads each of them back."""
    headers = list(EXPORT_HEADERS)
    headers[ID_COLUMN] = column.label
    return headers


def export_rows(entries, today: datetime.date, column: IdColumn | None = None):
    column = column or id_column([])
    for n, e in enumerate(entries, start=1):
        p = e.person
        consent = f"{e.get_consent_method_display()} {e.consent_on:%d/%m/%Y}" if e.has_consent else ""
        yield [n, p.paternal_surname, p.maternal_surname, p.given_names, column.cell(p.dni), p.birth_date, p.age(today),
               p.get_sex_display(), e.category.short_name, e.get_ration_display(), e.social_case_reason, e.since,
               e.kitchen.name, consent, e.notes]
