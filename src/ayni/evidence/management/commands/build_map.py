"""Regenerate `evidence/data/peru_map.json`: Peru's departments and provinces as small SVG paths.

The polygons in `geo/data/*.geojson` weigh about 1 MB; a phone must get the whole country in a
few KB. So they are projected once onto a 0..W × 0..H grid, simplified *as a coverage* — every
border shared by two neighbours is simplified once, so no gaps or overlaps open between them —
rounded to whole units and written as relative path data. The result is committed, so that
serving a map needs neither shapely nor the large files; run this again only when the polygons
change.
"""

import json
import math
from pathlib import Path

from django.core.management.base import BaseCommand

GEO_DATA = Path(__file__).resolve().parents[3] / "geo" / "data"
OUTPUT = Path(__file__).resolve().parents[2] / "data" / "peru_map.json"
HEIGHT = 400  # grid units; one unit is about 4.6 km, far below what a phone shows
# Grid units of simplification, and the smallest island kept (in square units): tuned so the
# department and the province maps each stay under 15 KB of SVG (tests/test_evidence_map.py).
LEVELS = {
    "departments": {"file": "peru_departamentos.geojson", "code": "FIRST_IDDP", "tolerance": 1.6, "min_area": 4},
    "provinces": {"file": "peru_provincias.geojson", "code": "FIRST_IDPR", "tolerance": 2.4, "min_area": 6},
}


def _ring_path(coords) -> str:
    points = [(int(round(x)), int(round(y))) for x, y in coords]
    dedup = [points[0]]
    for p in points[1:]:
        if p != dedup[-1]:
            dedup.append(p)
    if dedup[-1] == dedup[0]:
        dedup.pop()
    if len(dedup) < 3:
        return ""
    out = [f"M{dedup[0][0]} {dedup[0][1]}"]
    deltas = []
    for (x0, y0), (x1, y1) in zip(dedup, dedup[1:], strict=False):
        deltas.append(f"{x1 - x0} {y1 - y0}")
    # "l3-2 4 5": a minus sign separates numbers by itself, so the space before it goes.
    body = " ".join(deltas).replace(" -", "-")
    return out[0] + "l" + body + "z"


def _geometry_path(geometry, min_area: float) -> str:
    import shapely

    parts = []
    for polygon in getattr(geometry, "geoms", [geometry]):
        if polygon.is_empty or (polygon.area < min_area and len(parts) > 0):
            continue
        for ring in [polygon.exterior, *polygon.interiors]:
            if ring is not polygon.exterior and shapely.Polygon(ring).area < min_area:
                continue
            parts.append(_ring_path(ring.coords))
    return "".join(p for p in parts if p)


class Command(BaseCommand):
    help = "Rebuild the simplified map of Peru (evidence/data/peru_map.json) from geo/data/*.geojson."

    def handle(self, *args, **options):
        import shapely
        from shapely.geometry import shape

        levels = {}
        for name, spec in LEVELS.items():
            features = json.loads((GEO_DATA / spec["file"]).read_text())["features"]
            by_code: dict[str, list] = {}
            for f in features:
                by_code.setdefault(str(f["properties"][spec["code"]]), []).append(shape(f["geometry"]))
            levels[name] = {code: shapely.union_all(geoms) for code, geoms in sorted(by_code.items())}

        # One projection for both levels, from the departments' extent: equirectangular with
        # the longitude shrunk by the cosine of the middle latitude, fine this near the equator.
        minx, miny, maxx, maxy = shapely.total_bounds(list(levels["departments"].values()))
        k = math.cos(math.radians((miny + maxy) / 2))
        scale = HEIGHT / (maxy - miny)
        width = math.ceil((maxx - minx) * k * scale)

        def project(coords):
            coords[:, 0] = (coords[:, 0] - minx) * k * scale
            coords[:, 1] = (maxy - coords[:, 1]) * scale
            return coords

        out = {"width": width, "height": HEIGHT}
        for name, spec in LEVELS.items():
            codes = list(levels[name])
            projected = [shapely.transform(levels[name][c], project) for c in codes]
            simplified = shapely.coverage_simplify(projected, spec["tolerance"])
            out[name] = {}
            for code, geom, original in zip(codes, simplified, projected, strict=True):
                # A shape smaller than the tolerance (Callao's province) would vanish: draw it
                # from its own outline, lightly simplified, rather than leave a hole.
                out[name][code] = (_geometry_path(geom, spec["min_area"])
                                   or _geometry_path(original.simplify(0.4), 0)
                                   or _geometry_path(original.envelope.buffer(1.5, cap_style="square"), 0))
            size = sum(len(d) for d in out[name].values())
            self.stdout.write(f"{name}: {len(codes)} shapes, {size:,} bytes of path data")
        OUTPUT.parent.mkdir(parents=True, exist_ok=True)
        OUTPUT.write_text(json.dumps(out, separators=(",", ":"), sort_keys=True) + "\n")
        self.stdout.write(self.style.SUCCESS(f"{OUTPUT} ({OUTPUT.stat().st_size:,} bytes)"))
