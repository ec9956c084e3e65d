"""Idempotent load of the UBIGEO tables shipped in `geo/data/`.

Runs after every `migrate`. It upserts: new codes are inserted, changed rows updated, and
nothing is deleted (organisations point at districts). A fingerprint of the files makes the
common case — nothing changed — one query.
"""

import csv
import hashlib
from pathlib import Path

from django.db import transaction

DATA_DIR = Path(__file__).resolve().parent / "data"
FILES = ("ubigeo_departamento.csv", "ubigeo_provincia.csv", "ubigeo_distrito.csv")


def _num(raw: str) -> float | None:
    """A number, or None for the source's markers of a missing value ('NA', 'S.I.')."""
    try:
        return float(raw)
    except (TypeError, ValueError):
        return None


def _common(row: dict, digits: int) -> dict:
    area, density = _num(row["superficie"]), _num(row["pob_densidad_2020"])
    altitude = _num(row["altitude"])
    return {
        "code": row["inei"][:digits],
        "reniec_code": row["reniec"][:digits] if row["reniec"] != "NA" else "",
        "capital": row["capital"] if row["capital"] != "NA" else "",
        "area_km2": area,
        "population": round(area * density) if area is not None and density is not None else None,
        "altitude_m": round(altitude) if altitude is not None else None,
        "latitude": _num(row["latitude"]),
        "longitude": _num(row["longitude"]),
        "food_vulnerability": _num(row["indice_vulnerabilidad_alimentaria"]),
        "hdi": _num(row["idh_2019"]),
        "poverty_pct": _num(row["pct_pobreza_total"]),
        "extreme_poverty_pct": _num(row["pct_pobreza_extrema"]),
    }


def _rows(name: str) -> list[dict]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as fh:
        # One RENIEC-only district has no INEI code; INEI is our key, so it is skipped.
        return [row for row in csv.DictReader(fh) if row["inei"] not in ("", "NA")]


def fingerprint() -> str:
    digest = hashlib.sha256()
    for name in FILES:
        digest.update((DATA_DIR / name).read_bytes())
    return digest.hexdigest()


def _upsert(model, records: list[dict]) -> int:
    existing = {obj.pk: obj for obj in model.objects.all()}
    to_create, to_update = [], []
    fields = [f for f in records[0] if f != "code"] if records else []
    for record in records:
        obj = existing.get(record["code"])
        if obj is None:
            to_create.append(model(**record))
        elif any(getattr(obj, f if not f.endswith("_id") else f) != record[f] for f in fields):
            for f in fields:
                setattr(obj, f, record[f])
            to_update.append(obj)
    model.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        model.objects.bulk_update(to_update, fields, batch_size=500)
    return len(to_create) + len(to_update)


@transaction.atomic
def load_geography(force: bool = False) -> dict[str, int]:
    from ayni.geo.models import DatasetVersion, Department, District, Province

    print_ = fingerprint()
    version = DatasetVersion.objects.filter(name="ubigeo").first()
    if version and version.fingerprint == print_ and not force and District.objects.exists():
        return {}
    departments = [
        {**_common(r, 2), "name": r["departamento"], "iso_code": r["iso_3166_2"]}
        for r in _rows("ubigeo_departamento.csv")
    ]
    provinces = [
        {**_common(r, 4), "name": r["provincia"], "department_id": r["inei"][:2]} for r in _rows("ubigeo_provincia.csv")
    ]
    districts = [
        {**_common(r, 6), "name": r["distrito"], "province_id": r["inei"][:4], "department_id": r["inei"][:2]}
        for r in _rows("ubigeo_distrito.csv")
    ]
    changed = {
        "departments": _upsert(Department, departments),
        "provinces": _upsert(Province, provinces),
        "districts": _upsert(District, districts),
    }
    DatasetVersion.objects.update_or_create(name="ubigeo", defaults={"fingerprint": print_})
    return changed


def load_after_migrate(sender, using="default", **kwargs) -> None:
    from django.db import connections

    from ayni.geo.models import District

    # Only when the geo tables exist (migrating to an earlier state leaves them out).
    tables = connections[using].introspection.table_names()
    if District._meta.db_table in tables:
        load_geography()
    from ayni.geo.models import Country
    from ayni.geo.packs import load_pack

    if Country._meta.db_table in tables:
        load_pack("PE")  # Peru's pack: its levels, DNI, phones, currency and programmes (no areas)
