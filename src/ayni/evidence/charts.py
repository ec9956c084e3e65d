"""Charts drawn on the server as small inline SVG: horizontal bars, lines, stacked bars.

No chart library reaches the phone. Each chart is a block whose SVG carries a `<title>`
and a `<desc>` (what a screen reader says), followed by the same numbers as a table inside
`<details>`, which opens without JavaScript. The drawing is 360 units wide and scales to the
width of the page, so on a 360-px phone one unit is about one pixel and the 12-unit text stays
readable. Colours are SVG presentation attributes (`fill=`), not `style=`: the
Content-Security-Policy (`style-src 'self'`) forbids inline styles and the chart must not need
a stylesheet to be legible — the PDF brief reuses it as is.
"""

import hashlib
import math
from collections.abc import Sequence

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from ayni.lib.drawn import drawn_once

WIDTH = 360
FONT = 12
INK = "#1f1a17"
MUTED = "#5f5650"
GRID = "#ddd3cb"
PALETTE = ("#9c2d41", "#d08c3a", "#3c6e99", "#2d6a3e", "#7a6a5f")

Number = float | int | None


def fmt(value: Number, decimals: int = 0) -> str:
    if value is None:
        return "—"
    return number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def _f(value) -> float | None:
    """Decimals, ints and None alike: the drawing computes in floats."""
    return None if value is None else float(value)


def _id(kind: str, title: str) -> str:
    return f"{kind}-{hashlib.blake2s(title.encode(), digest_size=4).hexdigest()}"


def nice_max(value: float) -> float:
    """The round number just above `value` (1, 2, 2.5, 5 × 10ⁿ), for the top of an axis."""
    if value <= 0:
        return 1
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp


def _num(v: float) -> str:
    """A coordinate with at most one decimal: the SVG stays small."""
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _text(x, y, content, *, anchor="start", size=FONT, fill=INK, weight="") -> str:
    w = f' font-weight="{weight}"' if weight else ""
    return (f'<text x="{_num(x)}" y="{_num(y)}" font-size="{size}" fill="{fill}" text-anchor="{anchor}"{w}>'
            f"{escape(content)}</text>")


def _figure(kind: str, title: str, desc: str, height: float, body: list[str], table: str) -> SafeString:
    cid = _id(kind, title + desc)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_num(height)}" width="100%" '
           f'role="img" aria-labelledby="{cid}-t {cid}-d" font-family="system-ui,sans-serif">'
           f'<title id="{cid}-t">{escape(title)}</title><desc id="{cid}-d">{escape(desc)}</desc>'
           + "".join(body) + "</svg>")
    # The title is also shown above the drawing: the SVG's own <title> is only read aloud.
    return mark_safe(  # noqa: S308 — every piece of text above went through escape()
        f'<div class="chart"><p><b>{escape(title)}</b></p>{svg}<details><summary>{escape(_("Ver los datos"))}</summary>'
        f'<div class="scroll">{table}</div></details></div>')


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _legend(names: Sequence[str], y: float) -> tuple[list[str], float]:
    """Legend entries laid out left to right, wrapping; returns the parts and the height used."""
    parts, x, row = [], 0.0, 0
    for i, name in enumerate(names):
        width = 18 + len(name) * FONT * 0.55
        if x and x + width > WIDTH:
            x, row = 0, row + 1
        yy = y + row * 16
        parts.append(f'<rect x="{_num(x)}" y="{_num(yy)}" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>')
        parts.append(_text(x + 14, yy + 9.5, name, size=11))
        x += width + 8
    return parts, (row + 1) * 16


@drawn_once
def bar_chart(title: str, rows: Sequence[tuple[str, Number]], *, desc: str = "", decimals: int = 0,
              unit: str = "", label: str = "") -> SafeString:
    """Horizontal bars, one per row, the label above its bar so long names fit on a phone."""
    rows = [(name, _f(v)) for name, v in rows]
    top = max((v or 0 for _l, v in rows), default=0) or 1
    body, y = [], 4.0
    for name, value in rows:
        shown = name if len(name) <= 52 else name[:50] + "…"
        body.append(_text(0, y + 11, shown, size=11, fill=MUTED))
        length = (WIDTH - 70) * (value or 0) / top
        body.append(f'<rect x="0" y="{_num(y + 15)}" width="{_num(max(length, 0.5))}" height="11" '
                    f'fill="{PALETTE[0]}"/>')
        body.append(_text(length + 4, y + 25, fmt(value, decimals) + unit, size=11, weight="600"))
        y += 32
    if not rows:
        body.append(_text(WIDTH / 2, 24, _("Sin datos en este periodo."), anchor="middle", fill=MUTED))
        y = 36
    table = _table([label or _("Unidad"), title], [(n, fmt(v, decimals) + unit) for n, v in rows])
    return _figure("bar", title, desc or title, y + 2, body, table)


def _axis(top: float, left: float, plot_h: float, y0: float, decimals: int) -> list[str]:
    parts = []
    for frac in (0, 0.5, 1):
        yy = y0 + plot_h * (1 - frac)
        parts.append(f'<line x1="{_num(left)}" x2="{WIDTH}" y1="{_num(yy)}" y2="{_num(yy)}" stroke="{GRID}"/>')
        parts.append(_text(left - 4, yy + 4, fmt(top * frac, decimals if top < 10 else 0), anchor="end", size=10,
                           fill=MUTED))
    return parts


def _x_labels(labels: Sequence[str], xs: Sequence[float], y: float) -> list[str]:
    # At most six labels, so they never overlap on a phone; counted from the last month, which
    # is always labelled.
    step = max(1, math.ceil(len(labels) / 6))
    last = len(labels) - 1
    # A label near the right edge ends there instead of being cut.
    return [_text(min(x, WIDTH - 1), y, lab, anchor="end" if x + 16 > WIDTH else "middle", size=10, fill=MUTED)
            for i, (lab, x) in enumerate(zip(labels, xs, strict=True)) if (last - i) % step == 0]


@drawn_once
def line_chart(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[Number]]], *,
               desc: str = "", decimals: int = 0, unit: str = "") -> SafeString:
    """One line per series over the labels (months); a missing value breaks the line."""
    series = [(name, [_f(v) for v in vals]) for name, vals in series]
    legend, legend_h = _legend([name for name, _v in series], 0) if len(series) > 1 else ([], 0)
    left, plot_h = 44.0, 130.0
    y0 = legend_h + 8
    values = [v for _n, vals in series for v in vals if v is not None]
    top = nice_max(max(values, default=0))
    n = max(len(labels), 1)
    xs = [left + 8 + (WIDTH - left - 16) * (i / (n - 1) if n > 1 else 0.5) for i in range(n)]
    body = [*legend, *_axis(top, left, plot_h, y0, decimals)]
    for s, (_name, vals) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        segment: list[str] = []
        runs = []
        for x, v in zip(xs, vals, strict=False):
            if v is None:
                if segment:
                    runs.append(segment)
                segment = []
                continue
            segment.append(f"{_num(x)},{_num(y0 + plot_h * (1 - v / top))}")
        if segment:
            runs.append(segment)
        for run in runs:
            if len(run) > 1:
                body.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" stroke-width="2.5"/>')
            for point in run:
                px, py = point.split(",")
                body.append(f'<circle cx="{px}" cy="{py}" r="2.5" fill="{colour}"/>')
    body += _x_labels(labels, xs, y0 + plot_h + 16)
    table = _table([_("Mes"), *[name for name, _v in series]],
                   [(lab, *[fmt(vals[i] if i < len(vals) else None, decimals) + (unit if vals[i] is not None else "")
                            for _n, vals in series]) for i, lab in enumerate(labels)])
    return _figure("line", title, desc or title, y0 + plot_h + 24, body, table)


@drawn_once
def stacked_bar_chart(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[Number]]], *,
                      desc: str = "") -> SafeString:
    """One column per label (month), its parts stacked in series order, with a legend."""
    series = [(name, [_f(v) for v in vals]) for name, vals in series]
    legend, legend_h = _legend([name for name, _v in series], 0)
    left, plot_h = 44.0, 130.0
    y0 = legend_h + 8
    n = max(len(labels), 1)
    stacks = [sum((vals[i] or 0) for _n, vals in series) for i in range(len(labels))]
    top = nice_max(max(stacks, default=0))
    slot = (WIDTH - left - 4) / n
    bar = max(2.0, slot * 0.7)
    body = [*legend, *_axis(top, left, plot_h, y0, 0)]
    xs = []
    for i in range(len(labels)):
        x = left + 4 + slot * i + (slot - bar) / 2
        xs.append(x + bar / 2)
        base = y0 + plot_h
        for s, (_name, vals) in enumerate(series):
            h = plot_h * (vals[i] or 0) / top
            if h > 0:
                body.append(f'<rect x="{_num(x)}" y="{_num(base - h)}" width="{_num(bar)}" height="{_num(h)}" '
                            f'fill="{PALETTE[s % len(PALETTE)]}"/>')
            base -= h
    body += _x_labels(labels, xs, y0 + plot_h + 16)
    table = _table([_("Mes"), *[name for name, _v in series], _("Total")],
                   [(lab, *[fmt(vals[i]) for _n, vals in series], fmt(stacks[i])) for i, lab in enumerate(labels)])
    return _figure("stack", title, desc or title, y0 + plot_h + 24, body, table)
