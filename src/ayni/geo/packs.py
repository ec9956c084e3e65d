"""Country packs: a country's territory, identity number, phones, currency and social
programmes as files in the repository (`geo/packs/<iso>/`), loaded by `ayni load-country-pack`.

A pack is read and checked whole before anything is written, and written in one transaction:
it loads entirely or not at all. Every problem found is reported, in Spanish, with the row it
is on, so that whoever prepares the file from an official source fixes them in one pass.
The format is described in docs/scaling.md.

Peru's places are the UBIGEO tables (`geo/loader.py`), which everything else already points at;
its pack declares its levels, number, phones, currency and programmes, and no areas.
"""

import csv
import datetime
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ayni.lib.identity import SCHEMES
from ayni.lib.phone import Numbering, register_numbering

PACKS_DIR = Path(__file__).resolve().parent / "packs"
AREA_COLUMNS = ("level", "code", "name", "parent", "valid_from", "valid_until", "latitude", "longitude", "source")
# A child's boundary may stick out of its parent's by this share of its area: simplified
# polygons of neighbours do not coincide exactly.
OUTSIDE_TOLERANCE = 0.02


class PackError(ValidationError):
    """A pack that cannot be loaded; `messages` lists every problem found."""


@dataclass
class AreaRow:
    line: int
    level: int
    code: str
    name: str
    parent: str
    valid_from: datetime.date | None
    valid_until: datetime.date | None
    latitude: float | None
    longitude: float | None
    source: str
    boundary: dict | None = None
    parent_row: "AreaRow | None" = field(default=None, repr=False)

    def covers(self, day: datetime.date | None) -> bool:
        start_ok = self.valid_from is None or (day is not None and self.valid_from <= day)
        end_ok = self.valid_until is None or (day is not None and day < self.valid_until)
        return start_ok and end_ok

    def span(self) -> str:
        start = self.valid_from.isoformat() if self.valid_from else _("siempre")
        end = self.valid_until.isoformat() if self.valid_until else _("hoy")
        return _("%(start)s a %(end)s") % {"start": start, "end": end}


@dataclass
class Pack:
    code: str
    meta: dict
    areas: list[AreaRow]
    fingerprint: str


def pack_dir(code: str) -> Path:
    return PACKS_DIR / code.lower()


def available() -> list[str]:
    return sorted(p.name.upper() for p in PACKS_DIR.iterdir() if (p / "country.json").exists())


def _date(raw: str, line: int, column: str, errors: list[str]) -> datetime.date | None:
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        errors.append(
            _("Fila %(line)s: la fecha «%(raw)s» de %(column)s no es AAAA-MM-DD.")
            % {"line": line, "raw": raw, "column": column}
        )
        return None


def _float(raw: str) -> float | None:
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


def numbering_of(meta: dict) -> Numbering:
    phone = meta["phone"]
    return Numbering(meta["code"], str(phone["calling_code"]), tuple(phone["national_lengths"]), meta["name"])


def read_pack(directory: Path) -> Pack:
    """Read and check a pack; raise PackError listing every problem. Writes nothing."""
    errors: list[str] = []
    try:
        raw_meta = (directory / "country.json").read_bytes()
        meta = json.loads(raw_meta)
    except (OSError, ValueError) as exc:
        raise PackError(
            [_("No se pudo leer %(file)s: %(why)s") % {"file": directory / "country.json", "why": exc}]
        ) from exc
    digest = hashlib.sha256(raw_meta)
    for key in ("code", "name", "levels", "identity", "phone", "currency", "programmes", "sources"):
        if key not in meta:
            errors.append(_("A country.json le falta «%(key)s».") % {"key": key})
    if errors:
        raise PackError(errors)
    code = meta["code"].upper()
    if meta["identity"].get("scheme") not in SCHEMES:
        errors.append(
            _("No hay validador para el documento «%(s)s»: agréguelo en lib/identity.py.")
            % {"s": meta["identity"].get("scheme")}
        )
    sources = {s["id"] for s in meta["sources"]}
    for s in meta["sources"]:
        if not s.get("license"):
            errors.append(_("La fuente «%(id)s» no dice su licencia.") % {"id": s["id"]})
    levels = {lv["level"] for lv in meta["levels"]}
    areas: list[AreaRow] = []
    if meta.get("areas"):
        raw_csv = _read(directory, meta["areas"])
        digest.update(raw_csv)
        reader = csv.DictReader(raw_csv.decode("utf-8").splitlines())
        missing = [c for c in AREA_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise PackError(
                [_("A %(file)s le faltan columnas: %(cols)s.") % {"file": meta["areas"], "cols": ", ".join(missing)}]
            )
        for line, row in enumerate(reader, start=2):
            try:
                level = int(row["level"])
            except ValueError:
                errors.append(
                    _("Fila %(line)s: el nivel «%(raw)s» no es un número.") % {"line": line, "raw": row["level"]}
                )
                continue
            if level not in levels:
                errors.append(
                    _("Fila %(line)s: el nivel %(level)s no está entre los niveles del país.")
                    % {"line": line, "level": level}
                )
            if row["source"] not in sources:
                errors.append(
                    _("Fila %(line)s: la fuente «%(s)s» no está en la lista de fuentes del país.")
                    % {"line": line, "s": row["source"]}
                )
            areas.append(
                AreaRow(
                    line=line,
                    level=level,
                    code=row["code"].strip(),
                    name=row["name"].strip(),
                    parent=row["parent"].strip(),
                    valid_from=_date(row["valid_from"], line, "valid_from", errors),
                    valid_until=_date(row["valid_until"], line, "valid_until", errors),
                    latitude=_float(row["latitude"]),
                    longitude=_float(row["longitude"]),
                    source=row["source"],
                )
            )
    if meta.get("boundaries"):
        raw_geo = _read(directory, meta["boundaries"])
        digest.update(raw_geo)
        try:
            collection = json.loads(raw_geo)
        except ValueError as exc:
            raise PackError(
                [_("No se pudo leer %(file)s: %(why)s") % {"file": meta["boundaries"], "why": exc}]
            ) from exc
        _attach_boundaries(collection, areas, errors)
    _check_areas(areas, errors)
    if errors:
        raise PackError(errors)
    return Pack(code=code, meta=meta, areas=areas, fingerprint=digest.hexdigest())


def _read(directory: Path, name: str) -> bytes:
    """A file the pack's country.json names; a missing one is a PackError, not a traceback."""
    try:
        return (directory / name).read_bytes()
    except OSError as exc:
        raise PackError([_("No se pudo leer %(file)s: %(why)s") % {"file": directory / name, "why": exc}]) from exc


def _attach_boundaries(collection: dict, areas: list[AreaRow], errors: list[str]) -> None:
    by_key = {(a.code, a.valid_from.isoformat() if a.valid_from else ""): a for a in areas}
    for feature in collection.get("features", []):
        props = feature.get("properties") or {}
        key = (str(props.get("code", "")), props.get("valid_from") or "")
        area = by_key.get(key)
        if area is None:
            errors.append(_("Hay un límite para «%(code)s», que no está en la lista de lugares.") % {"code": key[0]})
            continue
        geometry = feature.get("geometry") or {}
        if _rings_close(area, geometry, errors):
            area.boundary = geometry


def _rings_close(area: AreaRow, geometry: dict, errors: list[str]) -> bool:
    """Every ring of a Polygon or MultiPolygon closes (first point = last, at least 4 points)."""
    kind = geometry.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        errors.append(
            _("El límite de «%(name)s» (%(code)s) no es un polígono.") % {"name": area.name, "code": area.code}
        )
        return False
    polygons = geometry["coordinates"] if kind == "MultiPolygon" else [geometry["coordinates"]]
    ok = True
    for polygon in polygons:
        for ring in polygon:
            if len(ring) < 4 or list(ring[0]) != list(ring[-1]):
                start, end = (ring[0], ring[-1]) if ring else ("—", "—")
                errors.append(
                    _("El límite de «%(name)s» (%(code)s) no se cierra: empieza en %(start)s y termina en %(end)s.")
                    % {"name": area.name, "code": area.code, "start": start, "end": end}
                )
                ok = False
    return ok


def _check_areas(areas: list[AreaRow], errors: list[str]) -> None:
    by_code: dict[str, list[AreaRow]] = {}
    for area in areas:
        by_code.setdefault(area.code, []).append(area)
        if area.valid_from and area.valid_until and area.valid_until <= area.valid_from:
            errors.append(
                _("Fila %(line)s: «%(name)s» deja de estar vigente antes de empezar.")
                % {"line": area.line, "name": area.name}
            )
    for code, versions in by_code.items():
        for i, a in enumerate(versions):
            for b in versions[i + 1 :]:
                if a.valid_from == b.valid_from:
                    errors.append(
                        _("El código %(code)s está repetido (filas %(a)s y %(b)s).")
                        % {"code": code, "a": a.line, "b": b.line}
                    )
                elif _overlap(a, b):
                    errors.append(
                        _(
                            "Las vigencias del código %(code)s se superponen: fila %(a)s (%(sa)s) y fila "
                            "%(b)s (%(sb)s). Una división deja la anterior vigente hasta el día en que "
                            "empieza la nueva."
                        )
                        % {"code": code, "a": a.line, "sa": a.span(), "b": b.line, "sb": b.span()}
                    )
    for area in areas:
        if area.level == 1:
            if area.parent:
                errors.append(
                    _("Fila %(line)s: «%(name)s» es del primer nivel y no puede tener superior.")
                    % {"line": area.line, "name": area.name}
                )
            continue
        candidates = [p for p in by_code.get(area.parent, []) if p.level == area.level - 1]
        if not candidates:
            errors.append(
                _(
                    "Fila %(line)s: «%(name)s» (%(code)s) nombra como superior «%(parent)s», que no existe en "
                    "el nivel %(level)s."
                )
                % {
                    "line": area.line,
                    "name": area.name,
                    "code": area.code,
                    "parent": area.parent or "—",
                    "level": area.level - 1,
                }
            )
            continue
        parent = next((p for p in candidates if p.covers(area.valid_from) and _within_time(area, p)), None)
        if parent is None:
            errors.append(
                _("Fila %(line)s: «%(name)s» (%(span)s) está vigente fuera de la vigencia de su superior %(parent)s.")
                % {"line": area.line, "name": area.name, "span": area.span(), "parent": area.parent}
            )
            continue
        area.parent_row = parent
        if area.boundary and parent.boundary and not _inside(area.boundary, parent.boundary):
            errors.append(
                _("El límite de «%(name)s» (%(code)s) sale del de su superior «%(parent)s» (%(pcode)s).")
                % {"name": area.name, "code": area.code, "parent": parent.name, "pcode": parent.code}
            )


def _overlap(a: AreaRow, b: AreaRow) -> bool:
    far = datetime.date.max
    a_start, b_start = a.valid_from or datetime.date.min, b.valid_from or datetime.date.min
    return a_start < (b.valid_until or far) and b_start < (a.valid_until or far)


def _within_time(child: AreaRow, parent: AreaRow) -> bool:
    starts_ok = parent.valid_from is None or (child.valid_from is not None and child.valid_from >= parent.valid_from)
    ends_ok = parent.valid_until is None or (child.valid_until is not None and child.valid_until <= parent.valid_until)
    return starts_ok and ends_ok


def _inside(child: dict, parent: dict) -> bool:
    from shapely.geometry import shape

    inner, outer = shape(child).buffer(0), shape(parent).buffer(0)
    return inner.is_empty or inner.difference(outer).area <= OUTSIDE_TOLERANCE * inner.area


@transaction.atomic
def load_pack(code: str, *, directory: Path | None = None, force: bool = False) -> dict[str, int]:
    """Load a country's pack: all of it, or nothing (one transaction). Returns what changed."""
    from ayni.geo.models import Area, Country

    pack = read_pack(directory or pack_dir(code))
    if pack.code != code.upper():
        raise PackError(
            [_("La carpeta es del país %(found)s, no de %(asked)s.") % {"found": pack.code, "asked": code.upper()}]
        )
    meta = pack.meta
    existing = Country.objects.filter(code=pack.code).first()
    if existing and existing.fingerprint == pack.fingerprint and not force:
        return {}
    country, _created = Country.objects.update_or_create(
        code=pack.code,
        defaults={
            "name": meta["name"],
            "levels": meta["levels"],
            "identity_name": meta["identity"]["name"],
            "calling_code": str(meta["phone"]["calling_code"]),
            "currency": meta["currency"]["code"],
            "currency_name": meta["currency"]["name"],
            "programmes": meta["programmes"],
            "sources": meta["sources"],
            "fingerprint": pack.fingerprint,
        },
    )
    # Organisations point at areas, so rows are matched by (code, start of validity) and
    # updated in place, level by level from the top (a child needs its parent's id).
    existing = {(a.code, a.valid_from): a for a in Area.objects.filter(country=country)}
    made: dict[int, Area] = {}
    fields = ["level", "name", "parent", "valid_until", "latitude", "longitude", "boundary", "source"]
    for level in sorted({a.level for a in pack.areas}):
        rows = [a for a in pack.areas if a.level == level]
        new, changed = [], []
        for row in rows:
            obj = existing.pop((row.code, row.valid_from), None)
            values = {
                "level": row.level,
                "name": row.name,
                "parent": made[id(row.parent_row)] if row.parent_row else None,
                "valid_until": row.valid_until,
                "latitude": row.latitude,
                "longitude": row.longitude,
                "boundary": row.boundary,
                "source": row.source,
            }
            if obj is None:
                obj = Area(country=country, code=row.code, valid_from=row.valid_from, **values)
                new.append(obj)
            else:
                for name, value in values.items():
                    setattr(obj, name, value)
                changed.append(obj)
            made[id(row)] = obj
        Area.objects.bulk_create(new, batch_size=500)
        if new and not all(o.pk for o in new):  # an engine that gives no ids back: read them
            ids = {(o.code, o.valid_from): o.pk for o in Area.objects.filter(country=country, level=level)}
            for o in new:
                o.pk = ids[(o.code, o.valid_from)]
        Area.objects.bulk_update(changed, fields, batch_size=500)
    # What the pack no longer has goes, deepest first, unless an organisation still points at it.
    gone = sorted(existing.values(), key=lambda a: -a.level)
    used = set(
        Area.objects.filter(pk__in=[a.pk for a in gone], organisations__isnull=False).values_list("code", flat=True)
    )
    if used:
        raise PackError(
            [
                _(
                    "El código %(code)s ya no está en el paquete, pero hay organizaciones en ese lugar: "
                    "déjelo con una fecha de fin de vigencia en vez de quitarlo."
                )
                % {"code": code}
                for code in sorted(used)
            ]
        )
    for area in gone:
        area.delete()
    register_numbering(numbering_of(meta))
    return {"country": 1, "areas": len(pack.areas)}


def register_pack_numberings() -> None:
    """Tell lib/phone.py every shipped pack's numbering (at start-up; reads files only)."""
    for code in available():
        try:
            meta = json.loads((pack_dir(code) / "country.json").read_text(encoding="utf-8"))
            register_numbering(numbering_of(meta))
        except (OSError, ValueError, KeyError):  # a broken pack is reported by its load, not here
            continue
