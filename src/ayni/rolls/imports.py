"""Importing a roll from a spreadsheet, in two steps.

`upload_import` stores the file raw before reading a byte of it (nothing typed is lost, and a
file that cannot be read stays there to be looked at), and queues its reading. The task worker
reads it once, within the reading's bounds and time limit (`read_import`), and keeps the preview:
for every row, what will happen and every error (row, column, why), and a question for every
column whose header it did not recognise. Every view of the preview reads that; her answers
about columns queue a new reading (`answer_columns`). `apply_import` applies the stored valid rows
in one transaction, once every column is answered. A person already on this kitchen's roll is
skipped, so importing the same file twice creates nothing the second time.
"""

import dataclasses
import datetime
import hashlib
import logging
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task
from rapidfuzz import fuzz, process

from ayni.accounts.scope import Can, Scope
from ayni.audit.services import record
from ayni.lib.identity import parse_identity, relabel
from ayni.lib.text import fold
from ayni.orgs.models import Organisation
from ayni.people.models import Person
from ayni.people.selectors import find_by_dnis
from ayni.people.services import PERSON_FIELDS, hold_dni_for_review
from ayni.rolls import counts, spreadsheet
from ayni.rolls.models import Category, ConsentMethod, ImportBatch, Ration, RollEntry
from ayni.rolls.services import request_duplicate_scan, validate_entry

log = logging.getLogger(__name__)

NEW, EXISTING, ALREADY, ERROR = "new", "existing", "already", "error"
EXCEL_EPOCH = datetime.date(1899, 12, 30)
STALLED_AFTER = datetime.timedelta(minutes=5)  # past the reading's own time limit

CATEGORY_WORDS = {
    "nino-menor-6": ["menor de 6", "menor de 6 anos", "nino menor", "nina menor", "nino", "nina", "menor", "infante",
                     "ninos 0 a 6", "0 a 5", "nino menor de 6", "nina menor de 6", "ninos menores de 6",
                     "nino menor de 6 anos", "menores de 6 anos"],
    "nino-escolar": ["escolar", "nino escolar", "edad escolar", "6 a 17", "6 a 14", "adolescente"],
    "gestante-lactante": ["gestante", "lactante", "madre gestante", "madre lactante", "gestante lactante",
                          "embarazada", "madre que da de lactar"],
    "adulto-mayor": ["adulto mayor", "adulta mayor", "am", "anciano", "anciana", "tercera edad", "adulto mayor 60"],
    "discapacidad": ["discapacidad", "discapacitado", "discapacitada", "pcd", "persona con discapacidad"],
    "pantbc": ["tbc", "pantbc", "tuberculosis", "paciente tbc"],
    "riesgo": ["riesgo", "en riesgo", "riesgo moral", "riesgo social", "victima de violencia"],
    "otro": ["otro", "otra", "otros", "adulto", "adulta"],
}
RATION_WORDS = {
    Ration.PAYING: ["pagante", "paga", "pago", "pagada"],
    Ration.SUBSIDISED: ["subsidiada", "subsidiado", "subsidio", "subvencionada", "subsidiada pca"],
    Ration.FREE: ["gratuita", "gratis", "caso social", "social", "exonerada", "exonerado"],
}
SEX_WORDS = {"f": "F", "femenino": "F", "mujer": "F", "m": "M", "masculino": "M", "hombre": "M", "varon": "M"}


@dataclass
class RowOutcome:
    number: int
    status: str = NEW
    errors: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    name: str = ""
    person: Person | None = None
    person_fields: dict = field(default_factory=dict)
    # Someone out of the importer's sight holds this row's DNI: the row stays "new" and its DNI
    # goes to review (people.services.hold_dni_for_review). Never shown.
    held_by: Person | None = field(default=None, repr=False)
    entry_fields: dict = field(default_factory=dict)

    def error(self, column: str, message: str) -> None:
        self.status = ERROR
        self.errors.append((column, message))


@dataclass
class Preview:
    rows: list[RowOutcome]
    notes: list[str]
    ignored: list[str]
    letters: dict[str, str]
    questions: list[spreadsheet.Question] = field(default_factory=list)
    columns: dict[int, str] = field(default_factory=dict)  # column index -> field, as read

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def valid(self) -> list[RowOutcome]:
        return [r for r in self.rows if r.status in (NEW, EXISTING)]

    @property
    def read_as(self) -> list[tuple[str, str]]:
        """Each imported column and the field it was read as, in the file's order (the identity
        column as Peru names it: `read_as_in` names it by the kitchen's country)."""
        return self.read_as_in(None)

    def read_as_in(self, country: str | None) -> list[tuple[str, str]]:
        return [(self.letters[f], relabel(spreadsheet.LABELS[f], country)) for _i, f in sorted(self.columns.items())]

    def stored(self) -> dict:
        """What the reading keeps on the batch (JSON), for every later view and the confirm."""
        def row(r: RowOutcome) -> dict:
            person = dict(r.person_fields)
            if person.get("birth_date"):
                person["birth_date"] = person["birth_date"].isoformat()
            entry = dict(r.entry_fields)
            if entry:
                entry["category"] = entry["category"].code
                entry["since"] = entry["since"].isoformat()
            # What is empty is left out: a 10,000-row preview is kept whole.
            out = {"number": r.number, "status": r.status, "errors": r.errors, "notes": r.notes, "name": r.name,
                   "person_id": r.person.pk if r.person else None,
                   "person_fields": {k: v for k, v in person.items() if v not in (None, "")},
                   "entry_fields": {k: v for k, v in entry.items() if v not in (None, "")}}
            return {k: v for k, v in out.items() if v not in (None, "", [], {})}

        return {"notes": self.notes, "ignored": self.ignored, "letters": self.letters,
                "columns": {str(i): f for i, f in self.columns.items()},
                "questions": [dataclasses.asdict(q) for q in self.questions], "rows": [row(r) for r in self.rows]}

    @classmethod
    def from_stored(cls, data: dict, *, to_apply: bool = True) -> "Preview":
        """The kept preview; for the page alone (`to_apply=False`), the rows' fields stay as kept
        (text), without their people, categories and dates."""
        categories = {c.code: c for c in Category.objects.all()} if to_apply else {}
        people = {}
        ids = [r["person_id"] for r in data["rows"] if r.get("person_id")] if to_apply else []
        for i in range(0, len(ids), 900):
            people.update(Person.objects.in_bulk(ids[i:i + 900]))
        rows = []
        for r in data["rows"]:
            person, entry = r.get("person_fields", {}), r.get("entry_fields", {})
            if not to_apply:
                rows.append(RowOutcome(number=r["number"], status=r["status"], errors=r.get("errors", []),
                                       notes=r.get("notes", []), name=r.get("name", ""), person_fields=person))
                continue
            if person:
                person = {"given_names": "", "paternal_surname": "", "maternal_surname": "", "dni": None,
                          "dni_check": "", "birth_date": None} | person
            if person.get("birth_date"):
                person["birth_date"] = datetime.date.fromisoformat(person["birth_date"])
            if entry:
                entry = {"social_case_reason": "", "notes": ""} | entry
                entry["category"] = categories[entry["category"]]
                entry["since"] = datetime.date.fromisoformat(entry["since"])
            rows.append(RowOutcome(number=r["number"], status=r["status"],
                                   errors=[tuple(e) for e in r.get("errors", [])], notes=r.get("notes", []),
                                   name=r.get("name", ""), person=people.get(r.get("person_id")),
                                   person_fields=person, entry_fields=entry))
        return cls(rows=rows, notes=data["notes"], ignored=data["ignored"], letters=data["letters"],
                   questions=[spreadsheet.Question(**q) for q in data["questions"]],
                   columns={int(i): f for i, f in data["columns"].items()})


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(text)).split())


def _index(words: dict) -> dict[str, str]:
    return {_key(w): key for key, ws in words.items() for w in ws}


def _lookup(text: str, index: dict[str, str]) -> str | None:
    key = _key(text)
    if key in index:
        return index[key]
    best = process.extractOne(key, list(index), scorer=fuzz.ratio, score_cutoff=85)
    return index[best[0]] if best else None


def _text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return " ".join(str(cell).split())


def parse_date(cell, *, two_digit_past: bool = True) -> datetime.date:
    """A date as Excel stores it, as an Excel serial number, or typed dd/mm/aaaa."""
    if isinstance(cell, datetime.datetime):
        return cell.date()
    if isinstance(cell, datetime.date):
        return cell
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        if 1 <= cell < 2958466:
            return EXCEL_EPOCH + datetime.timedelta(days=int(cell))
        raise ValueError
    text = _text(cell)
    if re.fullmatch(r"\d{4,5}", text):
        return EXCEL_EPOCH + datetime.timedelta(days=int(text))
    match = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})", text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        if year < 100:
            this = timezone.localdate().year % 100
            year += 1900 if (two_digit_past and year > this) else 2000
        return datetime.date(year, month, day)
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return datetime.date(year, month, day)
    raise ValueError


def _split_full_name(text: str, surnames_first: bool) -> tuple[str, str, str]:
    if "," in text:
        surnames, given = (part.strip() for part in text.split(",", 1))
        parts = surnames.split()
        return given, parts[0] if parts else "", " ".join(parts[1:])
    parts = text.split()
    if len(parts) < 2:
        return "", text, ""
    if surnames_first:
        if len(parts) == 2:
            return parts[1], parts[0], ""
        return " ".join(parts[2:]), parts[0], parts[1]
    if len(parts) == 2:
        return parts[0], parts[1], ""
    return " ".join(parts[:-2]), parts[-2], parts[-1]


def _cells(table: spreadsheet.Table, cells: list) -> dict:
    return {name: (cells[i] if i < len(cells) else None) for i, name in table.columns.items()}


def read_rows(table: spreadsheet.Table, kitchen: Organisation, today: datetime.date,
              deadline: spreadsheet.Deadline | None = None) -> list[RowOutcome]:
    categories = {c.code: c for c in Category.objects.all()}
    category_index = _index(CATEGORY_WORDS) | {_key(c.name): c.code for c in categories.values()} | {
        _key(c.short_name): c.code for c in categories.values()} | {_key(c.code): c.code for c in categories.values()}
    ration_index = _index(RATION_WORDS)
    col = table.letters
    country = kitchen.country  # the kitchen's country's numbers: a Bolivian roll holds CIs
    out = []
    for number, cells in table.rows:
        if deadline and number % 500 == 0:
            deadline.check()
        row = RowOutcome(number=number)
        raw = _cells(table, cells)
        for name, value in raw.items():
            if isinstance(value, spreadsheet.Formula):
                if value.value is None:
                    row.error(col[name], _("La celda tiene una fórmula (%(f)s) sin valor calculado; copie y pegue "
                                           "solo los valores.") % {"f": value.text[:30]})
                    raw[name] = None
                else:
                    raw[name] = value.value
        given, paternal, maternal = (_text(raw.get(k)) for k in ("given_names", "paternal_surname",
                                                                 "maternal_surname"))
        if "full_name" in raw and not (given and paternal):
            surnames_first = not fold(table.headers["full_name"]).startswith("nombre")
            given, paternal, maternal = _split_full_name(_text(raw["full_name"]), surnames_first)
        if "surnames" in raw and not paternal:
            parts = _text(raw["surnames"]).split()
            paternal, maternal = (parts[0], " ".join(parts[1:])) if parts else ("", "")
        row.name = " ".join(p for p in (paternal, maternal) if p) + (f", {given}" if given else "")
        if not given:
            row.error(col.get("given_names", col.get("full_name", "")), _("Faltan los nombres."))
        if not paternal:
            row.error(col.get("paternal_surname", col.get("full_name", col.get("surnames", ""))),
                      _("Falta el apellido paterno."))
        for value, name, limit in ((given, "given_names", 80), (paternal, "paternal_surname", 60),
                                   (maternal, "maternal_surname", 60)):
            if len(value) > limit:
                row.error(col.get(name, ""), _("Texto demasiado largo (más de %(n)s letras).") % {"n": limit})
        person = {"given_names": given.title() if given.isupper() else given,
                  "paternal_surname": paternal.title() if paternal.isupper() else paternal,
                  "maternal_surname": maternal.title() if maternal.isupper() else maternal,
                  "dni": None, "dni_check": "", "birth_date": None, "sex": Person.Sex.OTHER}

        dni_cell = raw.get("dni")
        if dni_cell not in (None, ""):
            if isinstance(dni_cell, int | float) and not isinstance(dni_cell, bool):
                digits = str(int(dni_cell))
                if len(digits) < 8 and country == "PE":  # a Bolivian CI has 5 to 8 digits as it is
                    # Excel turned "04567891" into the number 4567891: the zero is put back.
                    row.notes.append(_("El DNI llegó como número; se completó con ceros a la izquierda."))
                    digits = digits.zfill(8)
                dni_text = digits
            else:
                dni_text = _text(dni_cell).replace(".", "").replace(" ", "")
            try:
                dni = parse_identity(dni_text, country)
            except ValidationError as exc:
                row.error(col["dni"], exc.messages[0] + f" («{dni_text[:14]}»)")
            else:
                person["dni"], person["dni_check"] = dni.number, dni.check

        birth_cell = raw.get("birth_date")
        if birth_cell not in (None, ""):
            try:
                birth = parse_date(birth_cell)
            except (ValueError, OverflowError):
                row.error(col["birth_date"], _("No se entiende la fecha «%(v)s»; escríbala como dd/mm/aaaa.")
                          % {"v": _text(birth_cell)[:20]})
            else:
                if birth > today:
                    row.error(col["birth_date"], _("La fecha de nacimiento %(d)s es futura.")
                              % {"d": birth.strftime("%d/%m/%Y")})
                elif birth < datetime.date(1900, 1, 1):
                    row.error(col["birth_date"], _("La fecha de nacimiento %(d)s es anterior a 1900.")
                              % {"d": birth.strftime("%d/%m/%Y")})
                else:
                    person["birth_date"] = birth

        sex_text = fold(_text(raw.get("sex")))
        if sex_text:
            if sex_text in SEX_WORDS:
                person["sex"] = SEX_WORDS[sex_text]
            else:
                row.error(col["sex"], _("Sexo «%(v)s» no reconocido: escriba F o M.") % {"v": _text(raw["sex"])[:20]})

        entry = {"ration": Ration.SUBSIDISED, "social_case_reason": _text(raw.get("social_case_reason"))[:200],
                 "notes": _text(raw.get("notes"))[:1000], "since": today, "category": categories["otro"]}
        category_text = _text(raw.get("category"))
        if "category" in table.columns.values():
            code = _lookup(category_text, category_index) if category_text else None
            if not category_text:
                row.error(col["category"], _("Falta la categoría."))
            elif code is None:
                row.error(col["category"], _("Categoría «%(v)s» desconocida. Use una de: %(list)s.")
                          % {"v": category_text[:40], "list": ", ".join(c.short_name for c in categories.values())})
            else:
                entry["category"] = categories[code]
        ration_text = _text(raw.get("ration"))
        if ration_text:
            ration = _lookup(ration_text, ration_index)
            if ration is None:
                row.error(col["ration"], _("Tipo de ración «%(v)s» no reconocido: pagante, subsidiada o caso "
                                           "social.") % {"v": ration_text[:30]})
            else:
                entry["ration"] = ration
        since_cell = raw.get("since")
        if since_cell not in (None, ""):
            try:
                entry["since"] = parse_date(since_cell)
            except (ValueError, OverflowError):
                row.error(col["since"], _("No se entiende la fecha «%(v)s»; escríbala como dd/mm/aaaa.")
                          % {"v": _text(since_cell)[:20]})
        if row.status != ERROR:
            probe = Person(**{k: v for k, v in person.items() if k not in ("dni", "dni_check")})
            try:
                validate_entry(RollEntry(kitchen=kitchen, **entry), probe, on=today)
            except ValidationError as exc:
                for key, messages in exc.message_dict.items():
                    column = col.get({"consent_on": "", "kitchen": ""}.get(key, key), "")
                    for message in messages:
                        row.error(column, message)
        row.person_fields, row.entry_fields = person, entry
        out.append(row)
    return out


def _resolve(rows: list[RowOutcome], kitchen: Organisation, today: datetime.date, scope: Scope) -> None:
    """Match rows to people already registered whom the importer may see (`scope`), in a few
    queries for the whole file."""
    matches = find_by_dnis(scope, (r.person_fields["dni"] for r in rows if r.person_fields.get("dni")))
    by_dni = {dni: m.person for dni, m in matches.items() if m.person is not None}
    on_roll = set(RollEntry.objects.current(today).filter(kitchen=kitchen).values_list("person_id", flat=True))
    # People on this roll without a DNI, by name and birth date: what makes a re-import idempotent.
    by_name = {(p.search_name, p.birth_date): p for p in Person.objects.filter(pk__in=on_roll)}
    seen_dni: dict[str, int] = {}
    seen_name: dict[tuple, int] = {}
    for row in rows:
        if row.status == ERROR:
            continue
        fields = row.person_fields
        dni = fields.get("dni")
        key = (fold(f"{fields['given_names']} {fields['paternal_surname']} {fields['maternal_surname']}"),
               fields.get("birth_date"))
        if dni and dni in seen_dni:
            row.error("", _("El DNI %(dni)s ya aparece en la fila %(n)s.") % {"dni": dni, "n": seen_dni[dni]})
            continue
        if not dni and key in seen_name:
            row.error("", _("Esta persona ya aparece en la fila %(n)s.") % {"n": seen_name[key]})
            continue
        if dni:
            seen_dni[dni] = row.number
        else:
            seen_name[key] = row.number
        person = by_dni.get(dni) if dni else by_name.get(key)
        if person is None and dni in matches:
            same = by_name.get(key)
            if same is not None and not same.dni:  # imported before with this DNI held, review closed since
                person = same
            else:
                row.held_by = matches[dni].held_by
        if person is not None:
            row.person = person
            row.status = ALREADY if person.pk in on_roll else EXISTING


def preview_import(batch: ImportBatch, today: datetime.date | None = None, *,
                   deadline: spreadsheet.Deadline | None = None, scope: Scope | None = None) -> Preview:
    """Read the stored file (with her answers about columns) and say what would happen to every
    row, as `scope` (by default the uploader's, `uploader_scope`) may see it. Raises SheetError,
    also when the reading passes its time limit. `read_import` runs this in the task worker and
    keeps the result."""
    today = today or timezone.localdate()
    deadline = deadline or spreadsheet.Deadline()
    table = spreadsheet.read_table(batch.filename, bytes(batch.content), choices=batch.column_choices,
                                   deadline=deadline)
    rows = read_rows(table, batch.kitchen, today, deadline)
    deadline.check()
    _resolve(rows, batch.kitchen, today, scope or uploader_scope(batch))
    notes = list(table.notes)
    earlier = (ImportBatch.objects.filter(kitchen=batch.kitchen, sha256=batch.sha256,
                                          status=ImportBatch.Status.APPLIED).exclude(pk=batch.pk).first())
    if earlier:
        notes.append(_("Este mismo archivo ya se importó el %(d)s; las personas que ya están en el padrón no se "
                       "vuelven a agregar.") % {"d": timezone.localtime(earlier.applied_at).strftime("%d/%m/%Y")})
    return Preview(rows=rows, notes=notes, ignored=table.ignored, letters=table.letters, questions=table.questions,
                   columns=table.columns)


def uploader_scope(batch: ImportBatch) -> Scope:
    """Whom the reading may match the file's rows to. The task worker reads after her request is
    gone, yet for her: the preview names only people she may see. A file the system uploaded (or
    whose uploader's account is gone) is read as the system, which sees everyone."""
    return Scope.acting_for(batch.uploaded_by, otherwise="lectura de un padrón que no subió ninguna cuenta")


def queue_reading(batch: ImportBatch) -> None:
    """Hand the stored file to the task worker, to be read once. Inside the caller's transaction,
    so the reading is queued if and only if the batch is saved."""
    batch.reading += 1
    batch.status, batch.reading_since, batch.preview, batch.message = (ImportBatch.Status.UPLOADED, timezone.now(),
                                                                      None, "")
    batch.save(update_fields=["reading", "status", "reading_since", "preview", "message"])
    read_import_task.enqueue(batch.pk, batch.reading)


def read_import(*, batch_id: int, reading: int, today: datetime.date | None = None) -> str:
    """The task worker's reading of an upload: claimed with a conditional update (a second run of
    the same task, or one made stale by a later answer, does nothing), read within the time limit,
    and kept on the batch, previewed or rejected with its Spanish message. Returns the status."""
    claimed = ImportBatch.objects.filter(pk=batch_id, reading=reading, status=ImportBatch.Status.UPLOADED).update(
        status=ImportBatch.Status.READING, reading_since=timezone.now())
    if not claimed:
        return "skipped"
    batch = ImportBatch.objects.select_related("kitchen__kind").get(pk=batch_id)
    mine = ImportBatch.objects.filter(pk=batch_id, reading=reading, status=ImportBatch.Status.READING)
    try:
        with transaction.atomic():
            preview = preview_import(batch, today)
    except spreadsheet.SheetError as exc:
        # Her country's document in the message's example of headers ("DNI" written for Peru).
        mine.update(status=ImportBatch.Status.REJECTED, message=relabel(str(exc), batch.kitchen.country), preview=None)
        return ImportBatch.Status.REJECTED
    except Exception:  # a defect of ours: she gets a message, the batch is never left "reading"
        log.exception("rolls: reading import %s failed", batch_id)
        mine.update(status=ImportBatch.Status.REJECTED, preview=None,
                    message=_("No se pudo leer el archivo por un error del sistema. El archivo quedó guardado; "
                              "avise a quien administra Ayni."))
        return ImportBatch.Status.REJECTED
    mine.update(status=ImportBatch.Status.PREVIEWED, preview=preview.stored(), message="",
                rows_total=len(preview.rows), rows_valid=len(preview.valid))
    return ImportBatch.Status.PREVIEWED


@task()
def read_import_task(batch_id: int, reading: int) -> str:
    """Read an uploaded roll once, within its time limit, and keep the preview on the batch. The
    task lives beside the reading it runs, so the tasks module and this one do not import each
    other in a circle."""
    return read_import(batch_id=batch_id, reading=reading)


def column_options(question: spreadsheet.Question, country: str | None = None) -> list[tuple[str, str]]:
    """What she may answer about a column: the fields its header named first, then the others,
    then not importing it; the identity column named by her country's document."""
    fields = question.candidates + [f for f in spreadsheet.LABELS if f not in question.candidates]
    return ([(f, str(relabel(spreadsheet.LABELS[f], country))) for f in fields]
            + [(spreadsheet.IGNORE, _("No importar esta columna"))])


def reading_stalled(batch: ImportBatch) -> bool:
    """Waiting or reading for longer than any reading may take: no worker took it, or the one
    that did was stopped. Her page then offers to read it again."""
    limit = datetime.timedelta(seconds=settings.AYNI_IMPORT_READ_SECONDS) + STALLED_AFTER
    return (batch.status in (ImportBatch.Status.UPLOADED, ImportBatch.Status.READING)
            and (batch.reading_since is None or timezone.now() - batch.reading_since > limit))


@transaction.atomic
def answer_columns(*, scope: Scope, batch: ImportBatch, choices: dict[int, str] | None = None) -> ImportBatch:
    """Her answers about the columns the reading asked about (a field, or "ignore" for each),
    then the file is read again with them. Without answers, it is only read again (a reading
    that stalled)."""
    batch = ImportBatch.objects.select_for_update().select_related("kitchen__kind").defer("content").get(pk=batch.pk)
    scope.require(Can.EDIT, batch.kitchen)
    if batch.status == ImportBatch.Status.APPLIED:
        raise ValidationError(_("Esta importación ya se aplicó."))
    merged = dict(batch.column_choices)
    if choices:
        if batch.status != ImportBatch.Status.PREVIEWED or not batch.preview:
            raise ValidationError(_("El archivo todavía se está leyendo; espere a que termine."))
        asked = {q["index"]: q for q in batch.preview["questions"]}
        letters = {int(i): batch.preview["letters"][f] for i, f in batch.preview["columns"].items()}
        taken = {f: int(i) for i, f in batch.preview["columns"].items()}
        errors = []
        for index, choice in choices.items():
            question = asked.get(index)
            if question is None:
                continue
            if not choice:
                errors.append(_("Falta indicar qué es la columna %(col)s.") % {"col": question["letter"]})
            elif choice != spreadsheet.IGNORE and choice not in spreadsheet.LABELS:
                errors.append(_("La columna %(col)s: «%(v)s» no es un dato del padrón.")
                              % {"col": question["letter"], "v": choice[:30]})
            elif choice != spreadsheet.IGNORE and choice in taken and taken[choice] not in choices:
                errors.append(_("La columna %(col)s no puede ser «%(field)s»: ya lo es la columna %(other)s.")
                              % {"col": question["letter"], "field": spreadsheet.LABELS[choice],
                                 "other": letters[taken[choice]]})
        chosen = [c for c in choices.values() if c and c != spreadsheet.IGNORE]
        for repeated in sorted({c for c in chosen if chosen.count(c) > 1}):
            errors.append(_("Dos columnas no pueden ser ambas «%(field)s».") % {"field": spreadsheet.LABELS[repeated]})
        if errors:
            raise ValidationError(errors)
        merged.update({str(i): c for i, c in choices.items() if i in asked})
    batch.column_choices = merged
    batch.save(update_fields=["column_choices"])
    queue_reading(batch)
    record(scope=scope, action="roll.import_columns", obj=batch, org_path=batch.kitchen.path,
           after={"columns": merged, "reading": batch.reading})
    return batch


@transaction.atomic
def upload_import(*, scope: Scope, kitchen: Organisation, filename: str, content: bytes,
                  consent_method: str = "") -> ImportBatch:
    """Keep the file exactly as it came, before reading it."""
    scope.require(Can.EDIT, kitchen)
    if not kitchen.kind.is_kitchen:
        raise ValidationError(_("Solo los comedores y ollas comunes llevan padrón de usuarios."))
    if len(content) > spreadsheet.MAX_BYTES:
        raise ValidationError(_("El archivo pesa %(mb).1f MB; el máximo es %(max)s MB. Divídalo en varios archivos.")
                              % {"mb": len(content) / 1024 / 1024, "max": spreadsheet.MAX_BYTES // 1024 // 1024})
    if consent_method not in ("", ConsentMethod.SIGNED):
        raise ValidationError(_("Para una lista importada, el consentimiento es la hoja firmada o queda pendiente."))
    batch = ImportBatch.objects.create(
        kitchen=kitchen, uploaded_by=scope.actor, filename=filename[:200],
        content=content, size=len(content), sha256=hashlib.sha256(content).hexdigest(),
        consent_method=consent_method)
    record(scope=scope, action="roll.import_upload", obj=batch, org_path=kitchen.path,
           after={"filename": batch.filename, "size": batch.size, "sha256": batch.sha256})
    queue_reading(batch)
    return batch


@transaction.atomic
def apply_import(*, scope: Scope, batch: ImportBatch) -> int:
    """Apply every valid row in one transaction; the rows with errors are left out (and stay
    visible in the preview). Returns how many people were added to the roll."""
    batch = ImportBatch.objects.select_for_update().select_related("kitchen__kind").defer("content").get(pk=batch.pk)
    kitchen = batch.kitchen
    scope.require(Can.EDIT, kitchen)
    if batch.status == ImportBatch.Status.APPLIED:
        raise ValidationError(_("Esta importación ya se aplicó."))
    if batch.status == ImportBatch.Status.REJECTED:
        raise ValidationError(batch.message)
    if batch.status != ImportBatch.Status.PREVIEWED or not batch.preview:
        raise ValidationError(_("El archivo todavía se está leyendo; confirme cuando aparezca la revisión."))
    today = timezone.localdate()
    preview = Preview.from_stored(batch.preview)
    if preview.questions:
        raise ValidationError(_("Antes de importar, indique qué es cada columna sin reconocer: %(cols)s.")
                              % {"cols": ", ".join(q.letter for q in preview.questions)})
    # Matched again to who is registered now, inside this transaction: someone may have been
    # registered, or put on this roll, since the reading.
    for row in preview.rows:
        if row.status != ERROR:
            row.status, row.person = NEW, None
    _resolve(preview.rows, kitchen, today, scope)
    consent = {"consent_method": batch.consent_method, "consent_on": today if batch.consent_method else None}
    created = _apply_rows(scope=scope, kitchen=kitchen, batch=batch, rows=preview.valid, consent=consent, today=today)
    batch.status = ImportBatch.Status.APPLIED
    batch.applied_at = timezone.now()
    batch.rows_total, batch.rows_valid, batch.rows_created = len(preview.rows), len(preview.valid), created
    batch.save(update_fields=["status", "applied_at", "rows_total", "rows_valid", "rows_created"])
    record(scope=scope, action="roll.import", obj=batch, org_path=kitchen.path,
           after={"filename": batch.filename, "rows": len(preview.rows), "added": created,
                  "skipped": preview.count(ALREADY), "errors": preview.count(ERROR)})
    if created:
        request_duplicate_scan(kitchen)
    return created


def _chunks(items: list, size: int = 900):
    # Under SQLite's older limit of 999 parameters per query.
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _refused(row: RowOutcome, messages) -> ValidationError:
    return ValidationError(_("Fila %(n)s: %(why)s. No se importó nada; revise y confirme de nuevo.")
                           % {"n": row.number, "why": " ".join(messages)})


def _apply_rows(*, scope: Scope, kitchen: Organisation, batch: ImportBatch, rows: list[RowOutcome], consent: dict,
                today: datetime.date) -> int:
    """Write the valid rows in bulk: the same people and entries `register_entry` would make one
    row at a time (a test compares both), checked with the same rules, in a handful of queries.

    The preview has already matched every row to a registered person or to none, inside this
    same transaction; what could still have changed since (someone registering the same DNI, or
    putting the same person on this roll, a moment ago) is checked again in one query each, and
    any row that fails stops the whole import, as the row-by-row path did."""
    known = [r.person.pk for r in rows if r.person is not None]
    held = counts.hold_people(known, kitchens=[kitchen.pk])
    already = set()
    for chunk in _chunks(known):
        already.update(RollEntry.objects.filter(kitchen=kitchen, person_id__in=chunk, until__isnull=True)
                       .values_list("person_id", flat=True))
    new_dnis = {r.person_fields["dni"]: r for r in rows
                if r.person is None and r.held_by is None and r.person_fields.get("dni")}
    for chunk in _chunks(sorted(new_dnis)):
        taken = Person.objects.filter(dni__in=chunk).order_by("dni").values_list("dni", flat=True).first()
        if taken:
            raise _refused(new_dnis[taken], [_("Ya hay una persona registrada con este DNI.")])
    entries, people, dni_held = [], [], []  # dni_held: DNIs typed here that someone out of sight holds
    for row in rows:
        fields = row.entry_fields
        entry = RollEntry(
            kitchen=kitchen, category=fields["category"], since=fields.get("since") or today,
            ration=fields.get("ration", Ration.SUBSIDISED),
            social_case_reason=(fields.get("social_case_reason") or "").strip(),
            consent_on=consent["consent_on"], consent_method=consent["consent_method"] or "",
            notes=(fields.get("notes") or "").strip(), import_batch=batch,
            consent_recorded_by=scope.actor if consent["consent_method"] else None, created_by=scope.actor,
        )
        person = row.person
        try:
            if person is None:
                person = Person(**{k: v for k, v in row.person_fields.items() if k in PERSON_FIELDS})
                validate_entry(entry, person, on=today)
                if row.held_by is not None:
                    dni_held.append((person, f"{person.dni}-{person.dni_check}" if person.dni_check else person.dni,
                                 row.held_by))
                    person.dni, person.dni_check = None, ""
                person.dni = person.dni or None
                person.search_name = fold(f"{person.given_names} {person.paternal_surname} "
                                          f"{person.maternal_surname}")
                person.full_clean(exclude=["languages", "dni"], validate_unique=False)
                people.append(person)
            else:
                validate_entry(entry, person, on=today)
                if person.pk in already:
                    raise ValidationError(_("%(person)s ya está en el padrón de %(org)s.")
                                          % {"person": person, "org": kitchen})
        except ValidationError as exc:
            raise _refused(row, exc.messages) from exc
        entries.append((entry, person))
    try:
        with transaction.atomic():
            Person.objects.bulk_create(people, batch_size=500)
            for entry, person in entries:
                entry.person = person
            RollEntry.objects.bulk_create([e for e, _p in entries], batch_size=500)
    except IntegrityError as exc:  # someone saved the same DNI or entry at this very moment
        raise ValidationError(_("Alguien registró a una de estas personas mientras se confirmaba. No se importó "
                                "nada; revise y confirme de nuevo.")) from exc
    counts.recount(held, new_entries=[e for e, person in entries if person.pk not in held.people])
    for person, dni, holder in dni_held:
        hold_dni_for_review(scope=scope, person=person, organisation=kitchen, dni=dni, holder=holder)
    return len(entries)
