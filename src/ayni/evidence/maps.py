"""A choropleth map of Peru by department or by province, as inline SVG made on the server.

The shapes come from `data/peru_map.json` (made by `ayni build_map` from the geo polygons:
projected, simplified as a coverage, rounded to whole units). Paths are grouped by colour
class, so each path carries only its outline — that is what keeps the province map, 195
shapes, under 15 KB. Colours are presentation attributes (`fill=`), never `style=`, for the
Content-Security-Policy and for the PDF.
"""

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.db.models import Count
from django.db.models.functions import Substr
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ayni.evidence.charts import fmt
from ayni.geo.models import Area, Country, Department, Province
from ayni.lib.drawn import drawn_once

MAP_FILE = Path(__file__).resolve().parent / "data" / "peru_map.json"
# Light to dark: more of the indicator is darker. Checked for contrast against white borders.
CLASSES = ("#f7e4d4", "#eeb892", "#dc8461", "#b9503f", "#842231")
NO_DATA = "#e9e5e1"
LEVELS = {"departamento": ("departments", Department, 2), "provincia": ("provinces", Province, 4)}


@dataclass(frozen=True)
class Indicator:
    key: str
    label: object
    field: str | None  # a Place field, or None for the coverage computed from the kitchens
    decimals: int
    unit: str = ""
    need_when_low: bool = False  # the HDI: less is worse


INDICATORS = {
    i.key: i for i in (
        Indicator("pobreza", gettext_lazy("Pobreza total (%)"), "poverty_pct", 1, " %"),
        Indicator("pobreza-extrema", gettext_lazy("Pobreza extrema (%)"), "extreme_poverty_pct", 1, " %"),
        Indicator("vulnerabilidad", gettext_lazy("Vulnerabilidad alimentaria (índice 0–1)"), "food_vulnerability", 2),
        Indicator("idh", gettext_lazy("Índice de desarrollo humano 2019"), "hdi", 2, "", True),
        Indicator("cocinas", gettext_lazy("Cocinas por 10.000 habitantes"), None, 2),
    )
}
NEED = [k for k in INDICATORS if k != "cocinas"]


@cache
def shapes() -> dict:
    return json.loads(MAP_FILE.read_text())


def breaks(values: list[float], n: int = len(CLASSES)) -> list[float]:
    """Upper bounds of at most n classes with about as many places in each (quantiles). Ties
    are common — the department poverty figures come in bands — so equal bounds merge, and a
    handful of distinct values get one class each."""
    distinct = sorted(set(values))
    if len(distinct) <= n:
        return distinct
    ordered = sorted(values)
    bounds: list[float] = []
    for i in range(n):
        top = ordered[(len(ordered) * (i + 1)) // n - 1] if i < n - 1 else ordered[-1]
        if not bounds or top > bounds[-1]:
            bounds.append(top)
    return bounds


def colours(k: int) -> list[str]:
    """k colours spread over the palette, so the lowest class is always the lightest and the
    highest the darkest, however many classes there are."""
    if k <= 1:
        return [CLASSES[-1]] * k
    return [CLASSES[round(i * (len(CLASSES) - 1) / (k - 1))] for i in range(k)]


def class_of(value: float | None, bounds: list[float]) -> int | None:
    if value is None:
        return None
    for i, top in enumerate(bounds):
        if value <= top:
            return i
    return len(bounds) - 1


@dataclass
class MapData:
    level: str
    indicator: Indicator
    values: dict[str, float | None]
    names: dict[str, str]


def kitchens_per_place(kitchens_qs, digits: int) -> dict[str, int]:
    """Active kitchens counted per department (2) or province (4) code, in one query."""
    return dict(kitchens_qs.annotate(place=Substr("district_id", 1, digits)).values("place")
                .annotate(n=Count("id")).values_list("place", "n"))


def map_data(level: str, indicator_key: str, kitchens_qs) -> tuple[MapData, MapData]:
    """The chosen need indicator and the kitchens' coverage, per place (two queries)."""
    _key, model, digits = LEVELS[level]
    indicator = INDICATORS.get(indicator_key) or INDICATORS["pobreza"]
    places = list(model.objects.values("code", "name", "population", *[i.field for i in INDICATORS.values()
                                                                       if i.field]))
    counts = kitchens_per_place(kitchens_qs, digits)
    names = {p["code"]: p["name"].title() for p in places}
    coverage = {p["code"]: (counts.get(p["code"], 0) * 10_000 / p["population"]
                            if p["population"] else None) for p in places}
    if indicator.field is None:
        need_values = coverage
    else:
        need_values = {p["code"]: p[indicator.field] for p in places}
    return (MapData(level, indicator, need_values, names),
            MapData(level, INDICATORS["cocinas"], coverage, names))


def bounds_of(paths: list[str]) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of outlines written as `M x y` and relative `l` steps, as the map's are."""
    xs, ys = [], []
    for d in paths:
        for part in d.replace("z", "").split("M")[1:]:
            head, _l, steps = part.partition("l")
            x, y = (float(v) for v in head.replace("-", " -").split())
            xs.append(x)
            ys.append(y)
            numbers = [float(v) for v in steps.replace("-", " -").split()]
            for dx, dy in zip(numbers[::2], numbers[1::2], strict=True):
                x, y = x + dx, y + dy
                xs.append(x)
                ys.append(y)
    return min(xs), min(ys), max(xs), max(ys)


def _framed(shapes_of: dict[str, str], frame, width: int, height: int) -> tuple[str, str]:
    """The transform that enlarges the places in `frame` to fill the map (their neighbours
    clipped at its edge), and the outline width that stays thin once enlarged."""
    x0, y0, x1, y1 = bounds_of([shapes_of[c] for c in frame if c in shapes_of] or list(shapes_of.values()))
    pad = 4
    scale = min(width / (x1 - x0 + 2 * pad), height / (y1 - y0 + 2 * pad), 12)
    dx = (width - (x1 - x0) * scale) / 2 - x0 * scale
    dy = (height - (y1 - y0) * scale) / 2 - y0 * scale
    return f' transform="translate({dx:.1f} {dy:.1f}) scale({scale:.3f})"', f"{0.5 / scale:.3f}"


def layer_data(level: str, indicator, values: dict[str, float | None]) -> MapData:
    """A layer registered by a domain above evidence (`evidence/panels.py`), as map data."""
    _key, model, _digits = LEVELS[level]
    names = {code: name.title() for code, name in model.objects.values_list("code", "name")}
    return MapData(level, Indicator(indicator.key, indicator.label, None, indicator.decimals, indicator.unit),
                   {code: values.get(code) for code in names}, names)


@drawn_once
def choropleth(data: MapData, *, title: str = "", titles: bool | None = None, frame=None) -> SafeString:
    """The map, its legend at the right, and the values as a table in `<details>`. Paths get a
    `<title>` (a tooltip) only on the department map: 195 of them would double the province
    map's weight, and the table says the same. `frame`, a few place codes: the map shows
    those places enlarged, not the whole country."""
    geo = shapes()
    key = LEVELS[data.level][0]
    width, height = geo["width"], geo["height"]
    transform, stroke = _framed(geo[key], frame, width, height) if frame else ("", ".5")
    titles = (data.level == "departamento") if titles is None else titles
    known = [v for v in data.values.values() if v is not None]
    bounds = breaks(known)
    palette = colours(len(bounds))
    groups: dict[int | None, list[str]] = {}
    for code, d in geo[key].items():
        value = data.values.get(code)
        cls = class_of(value, bounds)
        tip = f"<title>{escape(data.names.get(code, code))}: {fmt(value, data.indicator.decimals)}</title>" \
            if titles else ""
        groups.setdefault(cls, []).append(f'<path d="{d}">{tip}</path>' if tip else f'<path d="{d}"/>')
    title = title or str(data.indicator.label)
    body = []
    for cls, paths in sorted(groups.items(), key=lambda kv: -1 if kv[0] is None else kv[0]):
        fill = NO_DATA if cls is None else palette[cls]
        body.append(f'<g fill="{fill}">{"".join(paths)}</g>')
    legend, y, low = [], 40, min(known) if known else 0
    for i, top in enumerate(bounds):
        legend.append(f'<rect x="{width + 6}" y="{y}" width="12" height="12" fill="{palette[i]}"/>'
                      f'<text x="{width + 22}" y="{y + 10}" font-size="10">{escape(fmt(low, data.indicator.decimals))}'
                      f"–{escape(fmt(top, data.indicator.decimals))}</text>")
        low, y = top, y + 16
    legend.append(f'<rect x="{width + 6}" y="{y}" width="12" height="12" fill="{NO_DATA}"/>'
                  f'<text x="{width + 22}" y="{y + 10}" font-size="10">{escape(_("sin dato"))}</text>')
    cid = f"map-{data.level}-{data.indicator.key}"
    desc = _("Mapa del Perú por %(level)s: cuanto más oscuro, mayor el valor. Los valores están en la tabla.") % {
        "level": data.level}
    shapes_g = f'<g stroke="#fff" stroke-width="{stroke}" stroke-linejoin="round"{transform}>{"".join(body)}</g>'
    if frame:
        shapes_g = (f'<clipPath id="{cid}-c"><rect width="{width}" height="{height}"/></clipPath>'
                    f'<g clip-path="url(#{cid}-c)">{shapes_g}</g>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width + 84} {height}" width="100%" role="img" '
           f'aria-labelledby="{cid}-t {cid}-d" font-family="system-ui,sans-serif">'
           f'<title id="{cid}-t">{escape(title)}</title><desc id="{cid}-d">{escape(desc)}</desc>'
           f'{shapes_g}<g fill="#1f1a17">{"".join(legend)}</g></svg>')
    rows = sorted(((data.names.get(c, c), v) for c, v in data.values.items()),
                  key=lambda r: (r[1] is None, -(r[1] or 0), r[0]))
    table = ("<table><thead><tr><th>" + escape(_("Lugar")) + "</th><th>" + escape(title) + "</th></tr></thead><tbody>"
             + "".join(f"<tr><td>{escape(n)}</td><td>{escape(fmt(v, data.indicator.decimals))}</td></tr>"
                       for n, v in rows) + "</tbody></table>")
    return mark_safe(  # noqa: S308 — names and numbers went through escape()
        f'<div class="map">{svg}<details><summary>{escape(_("Ver los datos"))}</summary>'
        f'<div class="scroll">{table}</div></details></div>')


def svg_only(figure: str) -> str:
    """The `<svg>` element of a figure, as the size test and the brief count it."""
    return figure[figure.index("<svg"):figure.index("</svg>") + len("</svg>")]


def need_without_coverage(need: MapData, coverage: MapData, limit: int = 10) -> list[dict]:
    """Places among the neediest third with the fewest kitchens per inhabitant: where to look."""
    ranked = [(c, v) for c, v in need.values.items() if v is not None]
    ranked.sort(key=lambda cv: cv[1], reverse=not need.indicator.need_when_low)
    needy = ranked[: max(1, len(ranked) // 3)]
    rows = [{"code": c, "name": need.names.get(c, c), "need": v, "coverage": coverage.values.get(c)}
            for c, v in needy]
    rows.sort(key=lambda r: (r["coverage"] is None, r["coverage"] or 0, r["name"]))
    return rows[:limit]


# --- Another country's first level, from its country pack (geo/packs/<iso>/) ------------------


def _project(points: list[tuple[float, float]], width: float = 300.0, pad: float = 14.0):
    """An equirectangular projection (longitudes shrunk by the cosine of the middle latitude)
    fitting `points` (lon, lat) into `width`; returns the function and the height."""
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    shrink = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x, span_y = max((max(lons) - min(lons)) * shrink, 1e-6), max(max(lats) - min(lats), 1e-6)
    scale = (width - 2 * pad) / max(span_x, span_y)

    def at(lon: float, lat: float) -> tuple[float, float]:
        return round(pad + (lon - min(lons)) * shrink * scale, 1), round(pad + (max(lats) - lat) * scale, 1)

    return at, round(2 * pad + span_y * scale)


def _rings(boundary: dict) -> list[list]:
    polygons = boundary["coordinates"] if boundary["type"] == "MultiPolygon" else [boundary["coordinates"]]
    return [ring for polygon in polygons for ring in polygon]


def _ring_d(points: list[tuple[float, float]]) -> str:
    """A projected ring as `M x y l dx dy …z`, one decimal: relative steps are short to write."""
    out: list[tuple[float, float]] = []
    for p in points:
        if not out or p != out[-1]:
            out.append(p)
    if len(out) > 1 and out[-1] == out[0]:
        out.pop()
    if len(out) < 3:
        return ""
    steps = " ".join(f"{_step(x1 - x0)} {_step(y1 - y0)}" for (x0, y0), (x1, y1) in zip(out, out[1:], strict=False))
    return f"M{_step(out[0][0])} {_step(out[0][1])}l{steps.replace(' -', '-')}z"


def _step(v: float) -> str:
    text = f"{round(v, 1):.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _insets(boxes: dict[int, tuple[float, float, float, float]]) -> dict[int, tuple[float, float]]:
    """Places far out at sea (Ecuador's Galápagos, a thousand kilometres west of the coast) are
    drawn beside the rest, as an inset, rather than shrinking the mainland to a strip: the
    longitude shift that brings each such place near the others, by place."""
    shifts: dict[int, tuple[float, float]] = {}
    for pk, (x0, _y0, x1, _y1) in boxes.items():
        others = [b for k, b in boxes.items() if k != pk]
        if not others:
            continue
        ox0, ox1 = min(b[0] for b in others), max(b[2] for b in others)
        gap_west, gap_east = ox0 - x1, x0 - ox1
        span = ox1 - ox0
        margin = 0.08 * span
        if gap_west > 0.5 * span:
            shifts[pk] = (gap_west - margin, 0.0)
        elif gap_east > 0.5 * span:
            shifts[pk] = (-(gap_east - margin), 0.0)
    return shifts


def country_map(country_code: str, kitchens_qs, *, title: str = "") -> SafeString:
    """Active kitchens per first-level place of a country other than Peru (Bolivia's
    departments, Ecuador's provinces), from its country pack: a polygon where the pack has one,
    else a mark at the capital, coloured as `choropleth` colours; the figures in a table."""
    areas = {a.pk: a for a in Area.objects.filter(country_id=country_code)}
    first = {pk: a for pk, a in areas.items() if a.level == 1 and a.valid_until is None}

    def top(pk: int | None) -> int | None:
        while pk is not None and areas[pk].level > 1:
            pk = areas[pk].parent_id
        return pk

    counts: dict[int, int] = {}
    for area_id in kitchens_qs.filter(country=country_code, area__isnull=False).values_list("area_id", flat=True):
        key = top(area_id)
        counts[key] = counts.get(key, 0) + 1
    values = {pk: float(counts.get(pk, 0)) for pk in first}
    boxes = {}
    for pk, a in first.items():
        pts = [pt for ring in _rings(a.boundary) for pt in ring] if a.boundary else []
        if pts:
            boxes[pk] = (min(p[0] for p in pts), min(p[1] for p in pts), max(p[0] for p in pts), max(p[1] for p in pts))
    shifts = _insets(boxes)

    def moved(pk: int, pt) -> tuple[float, float]:
        dx, dy = shifts.get(pk, (0.0, 0.0))
        return pt[0] + dx, pt[1] + dy

    points = [moved(pk, pt) for pk, a in first.items() for ring in (_rings(a.boundary) if a.boundary else [])
              for pt in ring]
    points += [(a.longitude, a.latitude) for a in first.values() if a.latitude is not None and not a.boundary]
    if not points:
        return mark_safe("")  # a pack with no coordinates at all: nothing to draw
    at, height = _project(points)
    width = 300
    bounds = breaks([v for v in values.values() if v > 0])  # a place without kitchens is left blank
    palette = colours(len(bounds))
    shapes_svg = []
    for pk, area in sorted(first.items(), key=lambda kv: kv[1].code):
        fill = palette[class_of(values[pk], bounds)] if values[pk] > 0 else NO_DATA
        tip = f"<title>{escape(area.name)}: {escape(fmt(values[pk], 0))}</title>"
        if area.boundary:
            d = "".join(_ring_d([at(*moved(pk, pt)) for pt in ring]) for ring in _rings(area.boundary))
            shapes_svg.append(f'<path d="{d}" fill="{fill}" fill-rule="evenodd">{tip}</path>')
            if pk in shifts:  # an inset: framed, so no one reads it where it is drawn
                x0, y1 = at(*moved(pk, boxes[pk][:2]))
                x1, y0 = at(*moved(pk, boxes[pk][2:]))
                shapes_svg.append(f'<rect x="{x0 - 3:.1f}" y="{y0 - 3:.1f}" width="{x1 - x0 + 6:.1f}" '
                                  f'height="{y1 - y0 + 6:.1f}" fill="none" stroke="#8a817c" stroke-dasharray="2 2"/>')
        elif area.latitude is not None:
            x, y = at(area.longitude, area.latitude)
            shapes_svg.append(f'<circle cx="{x}" cy="{y}" r="11" fill="{fill}">{tip}</circle>'
                              f'<text x="{x}" y="{y + 24}" font-size="9" text-anchor="middle">'
                              f"{escape(area.name)}</text>")
    legend, y, low = [], 40, 1
    for i, upper in enumerate(bounds):
        legend.append(f'<rect x="{width + 6}" y="{y}" width="12" height="12" fill="{palette[i]}"/>'
                      f'<text x="{width + 22}" y="{y + 10}" font-size="10">{escape(fmt(low, 0))}'
                      f"–{escape(fmt(upper, 0))}</text>")
        low, y = upper, y + 16
    legend.append(f'<rect x="{width + 6}" y="{y}" width="12" height="12" fill="{NO_DATA}"/>'
                  f'<text x="{width + 22}" y="{y + 10}" font-size="10">{escape(_("sin cocinas"))}</text>')
    title = title or _("Cocinas activas por %(level)s") % {"level": _first_level_name(country_code)}
    cid = f"map-{country_code.lower()}-1"
    desc = _("Mapa por %(level)s: cuanto más oscuro, más cocinas. Donde el paquete del país no trae "
             "polígonos, cada lugar es un círculo en su capital. Los valores están en la tabla.") % {
        "level": _first_level_name(country_code)}
    if shifts:
        desc += " " + _("%(places)s, lejos de la costa, se dibuja en un recuadro más cerca del resto.") % {
            "places": ", ".join(first[pk].name for pk in sorted(shifts, key=lambda k: first[k].code))}
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width + 84} {height}" width="100%" role="img" '
           f'aria-labelledby="{cid}-t {cid}-d" font-family="system-ui,sans-serif">'
           f'<title id="{cid}-t">{escape(title)}</title><desc id="{cid}-d">{escape(desc)}</desc>'
           f'<g stroke="#fff" stroke-width=".5" stroke-linejoin="round">{"".join(shapes_svg)}</g>'
           f'<g fill="#1f1a17">{"".join(legend)}</g></svg>')
    rows = sorted(((first[pk].name, v) for pk, v in values.items()), key=lambda r: (-r[1], r[0]))
    table = ("<table><thead><tr><th>" + escape(_("Lugar")) + "</th><th>" + escape(title) + "</th></tr></thead><tbody>"
             + "".join(f"<tr><td>{escape(n)}</td><td>{escape(fmt(v, 0))}</td></tr>" for n, v in rows)
             + "</tbody></table>")
    return mark_safe(  # noqa: S308 — names and numbers went through escape()
        f'<div class="map">{svg}<details><summary>{escape(_("Ver los datos"))}</summary>'
        f'<div class="scroll">{table}</div></details></div>')


def _first_level_name(country_code: str) -> str:
    country = Country.objects.filter(code=country_code).first()
    return (country.level_name(1) if country else "") or _("lugar")
