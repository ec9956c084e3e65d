"""Roll import: preview and confirm of a 10,000-row spreadsheet, and the re-import.

A scratch database (SQLite by default, `--engine postgres` for PostgreSQL) gets a federation with
two kitchens and a few hundred registered people. A kitchen leader's XLSX is generated the way
they come: Spanish headers, names in capitals, DNIs as text with their leading zeros, birth dates
typed or as Excel dates, categories and rations as people write them; 2% of the rows carry a
mistake (a 7-digit DNI, a birth date in 2090, an unknown category) and 3% are people already
registered elsewhere (linked, not duplicated). We time, as `rolls.imports` runs them behind the
pages: the preview (read and check every row, as the task worker does, and keep the result; then
what each view of the page loads), the confirm (apply the valid rows in one transaction), and
the same file uploaded again (preview and confirm: nothing new). For
comparison, the same confirm row by row (`register_entry` per row, as it was before the bulk
path) on a second kitchen with a file of other people.

    python bench/rollimport.py --quick    # 1,000 rows
    python bench/rollimport.py            # 10,000 rows (the import cap)

Targets (issue 3): preview < 10 s and confirm < 10 s for 10,000 rows; the row-by-row confirm
measured 53 s. The last line is `RESULT {json}`.
"""

import argparse
import datetime
import io
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from support.server import Install, log  # noqa: E402

REFERENCE_ROW_BY_ROW = 53.0  # seconds for 10,000 rows, measured before the bulk confirm (issue 3)
SURNAMES = ["Quispe", "Mamani", "Huamán", "Flores", "Condori", "Rojas", "Sánchez", "Chávez", "Ramos", "Ccori",
            "Huarcaya", "Apaza", "Gutiérrez", "Ñahui", "Yupanqui", "Cárdenas", "Paredes", "Palomino", "Ticona",
            "Choque", "Layme", "Puma", "Huanca", "Castillo", "Vargas", "Mendoza", "Torres", "Zúñiga"]
WOMEN = ["María", "Rosa", "Juana", "Carmen", "Luz", "Elena", "Teodora", "Milagros", "Yesenia", "Flor", "Gladys",
         "María Elena", "Rosa Luz", "Nélida", "Sonia"]
MEN = ["José", "Juan", "Luis", "Carlos", "Víctor", "Wilber", "Kevin", "Brayan", "Jhon", "Teodoro"]
# (written as, youngest, oldest)
CATEGORIES = [("Menor de 6", 0, 5), ("Niño menor de 6", 0, 5), ("Escolar", 6, 17), ("Gestante", 16, 40),
              ("Adulto mayor", 60, 90), ("ADULTA MAYOR", 60, 90), ("Discapacidad", 5, 80), ("PANTBC", 15, 70),
              ("En riesgo", 3, 80), ("Otro", 18, 59)]
HEADERS = ["N°", "Ap. Paterno", "Ap. Materno", "Nombres", "N° DNI", "Fec. Nac.", "Sexo", "Categoría", "Ración",
           "Motivo", "Observaciones"]


def make_rows(rng: random.Random, n: int, today: datetime.date, dni_base: int, known: list[tuple]) -> list[list]:
    rows = []
    for i in range(1, n + 1):
        if known and rng.random() < 0.03:
            given, paternal, maternal, dni, birth = rng.choice(known)
            category = "Otro" if 18 <= (today - birth).days // 366 <= 59 else "Adulto mayor"
            rows.append([i, paternal, maternal, given, dni, birth.strftime("%d/%m/%Y"), "F", category, "Pagante", "",
                         ""])
            continue
        label, young, old = rng.choice(CATEGORIES)
        sex = "F" if label == "Gestante" or rng.random() < 0.55 else "M"
        age = rng.randint(young, old)
        birth = today - datetime.timedelta(days=int(age * 365.25) + rng.randint(2, 360))
        given = rng.choice(WOMEN if sex == "F" else MEN)
        paternal, maternal = rng.choice(SURNAMES), rng.choice(SURNAMES)
        dni = f"{dni_base + i:08d}" if rng.random() < 0.9 else ""
        ration = rng.choice(["Subsidiada", "Subsidiada", "Pagante", "Caso social"])
        reason = rng.choice(["Orfandad", "Adulta mayor en abandono", "Discapacidad severa"]) \
            if ration == "Caso social" else ""
        birth_cell = birth.strftime("%d/%m/%Y") if rng.random() < 0.6 else datetime.datetime.combine(
            birth, datetime.time())
        row = [i, paternal.upper() if rng.random() < 0.4 else paternal, maternal, given, dni, birth_cell, sex, label,
               ration, reason, "Recoge en táper" if rng.random() < 0.05 else ""]
        bad = rng.random()
        if bad < 0.007:
            row[4] = dni[:7] if dni else "1234567"  # a 7-digit DNI
        elif bad < 0.014:
            row[5] = "01/01/2090"
        elif bad < 0.02:
            row[7] = "Astronauta"
        rows.append(row)
    return rows


def xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    # A normal workbook, as Excel and LibreOffice save them: the sheet starts with its dimension
    # (openpyxl's write-only mode leaves it out, which makes every reader scan the sheet twice).
    book = Workbook()
    sheet = book.active
    sheet.title = "Padrón"
    sheet.append(["PADRÓN DE USUARIOS DEL COMEDOR"])
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def world(today: datetime.date):
    """A confederation, a provincial federation, two kitchens, a leader and 300 registered people."""
    from ayni.accounts.models import Role, RoleGrant, User
    from ayni.accounts.scope import Scope
    from ayni.geo.models import District
    from ayni.orgs.models import OrgKind
    from ayni.orgs.services import create_organisation
    from ayni.people.models import Membership, Person

    d = District.objects.get
    system = Scope.system("banco de pruebas")
    confed = create_organisation(scope=system, kind=OrgKind.objects.get(code="confederacion"), parent=None,
                                 name="Confederación", district=d(code="150101"))
    lima = create_organisation(scope=system, kind=OrgKind.objects.get(code="federacion-provincial"), parent=confed,
                               name="Federación de Lima Sur", district=d(code="150142"))
    kitchens = [create_organisation(scope=system, kind=OrgKind.objects.get(code="comedor-popular"), parent=lima,
                                    name=name, district=d(code="150142"))
                for name in ("Comedor Santa Rosa", "Comedor Virgen de Fátima")]
    leader = User.objects.create_user(username="dirigenta", password="x" * 12)
    for kitchen in kitchens:
        RoleGrant.objects.create(user=leader, organisation=kitchen, role=Role.LEADER)
    rng = random.Random(9)
    known = []
    for i in range(300):
        birth = today - datetime.timedelta(days=rng.randint(20 * 365, 58 * 365))
        p = Person.objects.create(given_names=rng.choice(WOMEN), paternal_surname=rng.choice(SURNAMES),
                                  maternal_surname=rng.choice(SURNAMES), birth_date=birth, dni=f"{40_000_000 + i:08d}")
        # Socias of the leader's other kitchen: a DNI links only someone she may see (issue 12).
        Membership.objects.create(person=p, organisation=kitchens[1], since=today)
        known.append((p.given_names, p.paternal_surname, p.maternal_surname, p.dni, birth))
    return kitchens, leader, known


def measure(rows: int, row_by_row: bool) -> dict:
    from django.db import transaction
    from django.utils import timezone

    from ayni.accounts.scope import Scope
    from ayni.rolls.imports import Preview, apply_import, preview_import, read_import, upload_import
    from ayni.rolls.models import ImportBatch, RollEntry
    from ayni.rolls.services import register_entry

    today = timezone.localdate()
    kitchens, leader, known = world(today)
    scope = Scope.for_user(leader)
    rng = random.Random(2026)
    content = xlsx(make_rows(rng, rows, today, 10_000_000, known))
    log(f"{rows:,} rows, {len(content) / 1024:.0f} KB")

    t0 = time.perf_counter()
    batch = upload_import(scope=scope, kitchen=kitchens[0], filename="padron.xlsx", content=content,
                          consent_method="signed")
    upload_s = time.perf_counter() - t0
    # The preview as the task worker makes it: the file read once, every row checked, and the
    # result kept on the batch; then what each view of the preview page does with it.
    t0 = time.perf_counter()
    read_import(batch_id=batch.pk, reading=batch.reading)
    preview_s = time.perf_counter() - t0
    batch = ImportBatch.objects.get(pk=batch.pk)
    assert batch.status == ImportBatch.Status.PREVIEWED, batch.message
    t0 = time.perf_counter()
    preview = Preview.from_stored(ImportBatch.objects.get(pk=batch.pk).preview, to_apply=False)
    view_s = time.perf_counter() - t0
    stored_kb = len(json.dumps(batch.preview)) / 1024
    counts = {s: preview.count(s) for s in ("new", "existing", "already", "error")}
    t0 = time.perf_counter()
    created = apply_import(scope=scope, batch=batch)
    confirm_s = time.perf_counter() - t0

    again = upload_import(scope=scope, kitchen=kitchens[0], filename="padron.xlsx", content=content,
                          consent_method="signed")
    t0 = time.perf_counter()
    read_import(batch_id=again.pk, reading=again.reading)
    again_preview = Preview.from_stored(ImportBatch.objects.get(pk=again.pk).preview)
    again_created = apply_import(scope=scope, batch=again)
    reimport_s = time.perf_counter() - t0
    assert again_created == 0 and again_preview.count("already") == created, "re-import created people"
    assert RollEntry.objects.filter(kitchen=kitchens[0]).count() == created

    slow_s = None
    if row_by_row:
        other = upload_import(scope=scope, kitchen=kitchens[1], filename="otro.xlsx", consent_method="signed",
                              content=xlsx(make_rows(random.Random(7), rows, today, 20_000_000, known)))
        t0 = time.perf_counter()
        with transaction.atomic():
            slow = preview_import(other)
            consent = {"consent_method": "signed", "consent_on": today}
            for row in slow.valid:
                register_entry(scope=scope, kitchen=kitchens[1], person=row.person, import_batch=other, audit=False,
                               scope_checked=True, **row.entry_fields, **consent,
                               **({} if row.person else row.person_fields))
        slow_s = time.perf_counter() - t0
    return {"upload": upload_s, "preview": preview_s, "confirm": confirm_s, "reimport": reimport_s,
            "created": created, "counts": counts, "row_by_row": slow_s, "view": view_s, "stored_kb": stored_kb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 rows")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--no-row-by-row", action="store_true", help="skip the row-by-row comparison")
    args = parser.parse_args()
    rows = 1_000 if args.quick else args.rows

    with tempfile.TemporaryDirectory(prefix="ayni-rollimport-") as tmp:
        install = Install(engine=args.engine, name="ayni_bench_rollimport", workdir=Path(tmp))
        install.create()
        try:
            log(f"migrate ({args.engine})")
            install.ayni("migrate", "--no-input", "-v", "0")
            os.environ.update(install.env)
            os.environ["DJANGO_SETTINGS_MODULE"] = "ayni.settings"
            import django

            django.setup()
            figures = measure(rows, not args.no_row_by_row)
            from django.db import connections

            connections.close_all()
        finally:
            install.drop()

    per_10k = 10_000 / rows
    print(f"{rows:,} rows ({args.engine}): {figures['counts']}")
    print(f"upload {figures['upload']:.2f} s; preview {figures['preview']:.2f} s (read once by the worker, kept: "
          f"{figures['stored_kb']:.0f} KB; each view then loads it in {figures['view'] * 1000:.0f} ms); "
          f"confirm {figures['confirm']:.2f} s ({figures['created']:,} added); "
          f"re-import (preview + confirm, nothing added) {figures['reimport']:.2f} s")
    print(f"targets for 10,000 rows: preview < 10 s, confirm < 10 s; "
          f"here {figures['preview'] * per_10k:.1f} s and {figures['confirm'] * per_10k:.1f} s per 10,000 rows")
    if figures["row_by_row"] is not None:
        print(f"row by row (register_entry per row, preview included): {figures['row_by_row']:.2f} s; "
              f"bulk confirm is {figures['row_by_row'] / figures['confirm']:.1f}× faster "
              f"(reference before the change: {REFERENCE_ROW_BY_ROW:.0f} s for 10,000 rows)")
    print("RESULT " + json.dumps({
        "rows": rows, "engine": args.engine, "preview_seconds": round(figures["preview"], 2),
        "preview_view_ms": round(figures["view"] * 1000), "preview_stored_kb": round(figures["stored_kb"]),
        "confirm_seconds": round(figures["confirm"], 2), "reimport_seconds": round(figures["reimport"], 2),
        "added": figures["created"], "errors": figures["counts"]["error"],
        "row_by_row_seconds": None if figures["row_by_row"] is None else round(figures["row_by_row"], 2),
    }))


if __name__ == "__main__":
    main()
