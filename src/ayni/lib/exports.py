"""Every table Ayni lets someone download — the roll (*padrón*) as XLSX or CSV, the evidence
tables, the open data CSV — is written here, so that two rules hold in all of them.

**No cell is a live formula.** A name, a kitchen's name or a note is typed by someone; if it
starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed (or the
full-width ``＝ ＋ － ＠`` that LibreOffice also reads as a formula), a spreadsheet would run it
when the file is opened: ``=HYPERLINK(...)`` sends the reader to a site of the author's choosing,
and worse ones run commands. Such a string is written with a single quote in front (OWASP's
rule), so it shows as the text it is. Only strings: a number, even a negative one, stays a
number the spreadsheet can add up.

**One CSV convention** (also in the README):

- comma-separated, every line ending in CRLF, quotes only where a cell needs them (RFC 4180);
- UTF-8 with a byte-order mark, so that Excel reads the accents and the ñ right;
- numbers with a decimal point and no thousands separator (``2.95``, ``812345``) — Peru's own
  decimal symbol, and what every program reads;
- dates as ``YYYY-MM-DD`` and months as ``YYYY-MM`` (ISO 8601: Excel and LibreOffice turn them
  into dates, and no one confuses the day with the month);
- an empty cell for a missing or suppressed value.

The XLSX files follow the same rules with real types: numbers are numbers, dates are dates
(shown ``DD/MM/YYYY``), and a header row in bold that stays in view when scrolling.
"""

import csv
import datetime
import io
import re
from collections.abc import Iterable, Sequence

# What a spreadsheet reads as the start of a formula (or of a cell it then evaluates).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")

# Characters an XLSX file cannot hold at all (openpyxl refuses the whole file for one of them):
# a control character pasted into a note must not stop a federation's export.
_NOT_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value):
    """The value with a quote in front if it is a string a spreadsheet would run as a formula;
    any other value as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_cell(value) -> str:
    """One value as the CSV convention writes it."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    return str(value)  # int, float and Decimal all print with a point and no grouping


def csv_bytes(headers: Sequence, rows: Iterable[Sequence]) -> bytes:
    """A table as CSV bytes in the one convention (see the module's docstring)."""
    out = io.StringIO()
    writer = csv.writer(out)  # the default dialect: comma, CRLF, minimal quoting
    writer.writerow([csv_cell(h) for h in headers])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(sheet_name: str, headers: Sequence, rows: Iterable[Sequence], *, title: str | None = None,
               text_columns: Iterable[int] = ()) -> bytes:
    """A table as an XLSX workbook of one sheet: an optional title line, the header in bold
    (kept in view), then the rows. `text_columns` (by position) are formatted as text, so that
    a DNI keeps its leading zeros when someone edits it. Streams the rows (write-only mode), so
    a district's roll of thousands of people does not sit in memory twice."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=sheet_name[:31])
    text_columns = set(text_columns)
    header_row = 2 if title else 1
    sheet.freeze_panes = f"A{header_row + 1}"

    def cell(value, column: int):
        value = neutralise(_NOT_IN_XLSX.sub("", value) if isinstance(value, str) else value)
        c = WriteOnlyCell(sheet, value=value)
        if column in text_columns:
            c.number_format = "@"
        elif isinstance(value, datetime.date):
            c.number_format = "DD/MM/YYYY"
        return c

    if title:
        sheet.append([cell(title, -1)])
    bold = Font(bold=True)
    header = []
    for text in headers:
        c = cell(text, -1)
        c.font = bold
        header.append(c)
    sheet.append(header)
    for row in rows:
        sheet.append([cell(v, i) for i, v in enumerate(row)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
