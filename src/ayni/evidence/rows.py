"""The dashboard's long tables, row by row, written in Python (issue 22, item 4).

The national dashboard lists every municipality with State deliveries (about 270 on the quick
benchmark, near 900 on national-full) and every unit compared; drawn by the template engine,
each row's links and figures (`{% url %}`, `|cifra`, the localisation of every value) were
two thirds of the CPU of a page drawn afresh — the first view after every save. Here each row
is one string built from the values the template showed, escaped and localised by the same
functions the template engine calls (`localize`, `conditional_escape`), so the HTML is the same
byte for byte (`tests/test_dashboard_rows.py` holds it to the template's).
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.formats import get_format, localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ayni.lib.text import cifra

_FAST_INT: dict[tuple, bool] = {}
CENT = Decimal("0.01")


def _int_separator() -> str | None:
    """The thousands separator `cifra` puts in a whole number in the current language, when it
    groups by threes as Python's `{:,}` does (checked once per language and format); otherwise
    None and every number goes through `cifra`."""
    sep = get_format("THOUSAND_SEPARATOR")
    key = (get_language(), sep, str(get_format("NUMBER_GROUPING")))
    if key not in _FAST_INT:
        _FAST_INT[key] = all(str(cifra(n)) == f"{n:,}".replace(",", sep)
                             for n in (0, 7, 999, 1000, -1000, 12345, 692917, 1443540, -9876543210))
    return sep if _FAST_INT[key] else None


def _v(value) -> str:
    """`{{ value }}` as the template engine renders it."""
    kind = type(value)
    if kind is str:
        return escape(value)
    if kind is SafeString:
        return value  # already escaped (what `cifra` gives): `localize` and escaping leave it so
    if not settings.USE_THOUSAND_SEPARATOR:
        # What `localize` (`numberformat.format`) gives without grouping: the number as Python
        # writes it, with the language's decimal separator (a float in exponent form aside).
        if kind is int:
            return str(value)
        if kind is float:
            text = str(value)
            if "e" not in text and "n" not in text:  # not 1e-05, inf or nan
                return text.replace(".", get_format("DECIMAL_SEPARATOR"))
    return conditional_escape(localize(value))


def _none(value) -> str:
    """`{{ value|default_if_none:"—" }}`."""
    return "—" if value is None else _v(value)


def _cifra(value, sep) -> str:
    """`{{ value|cifra }}`, whole numbers and the average days late (a float of one decimal, 0
    or more) without the template machinery: `floatformat(value, "-2g")` is the value with
    thousands grouped, and two decimals unless it is whole (rounded half up)."""
    kind = type(value)
    if sep is not None and kind is int:
        return f"{value:,}".replace(",", sep) if value < 0 or value >= 1000 else str(value)
    if sep is not None and kind is float and 0 <= value < 1e15:
        exact = Decimal(repr(value))
        whole = exact.to_integral_value()
        if exact == whole:
            return f"{int(whole):,}".replace(",", sep)
        int_part, decimals = f"{exact.quantize(CENT, ROUND_HALF_UP):f}".split(".")
        return f"{int(int_part):,}".replace(",", sep) + get_format("DECIMAL_SEPARATOR") + decimals
    return _v(cifra(value))


def subunit_rows(units, sel, qs: str) -> SafeString:
    """The rows of the units compared (`_dashboard_body.html`)."""
    if not units:
        return mark_safe(f'<tr><td colspan="6">{conditional_escape(_("Sin unidades con cocinas."))}</td></tr>')
    sep = _int_separator()
    months = f"&amp;desde={_v(date_filter(sel.first, 'Y-m'))}&amp;hasta={_v(date_filter(sel.last, 'Y-m'))}"
    if sel.place is not None:
        months += f"&amp;lugar={_v(sel.place.code)}"
    here = _v(qs)
    out = []
    for u in units:
        f = u.figures
        if u.org:
            link = f'<a href="?org={_v(u.org.pk)}{months}">{_v(u.name)}</a>'
        else:
            link = f'<a href="?{here}&amp;lugar={_v(u.key)}">{_v(u.name)}</a>'
        out.append(f"<tr><td>{link}</td><td>{_cifra(u.active_kitchens, sep)}</td>"
                   f"<td>{_none(f['completeness_pct'])} %</td><td>{_cifra(f['rations_served'], sep)}</td>"
                   f"<td>{_none(f['free_pct'])} %</td><td>{_none(f['gap_per_ration'])}</td></tr>\n")
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


def delivery_rows(deliveries, qs: str) -> SafeString:
    """The rows of the State deliveries by municipality (`_dashboard_body.html`)."""
    if not deliveries:
        return mark_safe(
            f'<tr><td colspan="6">{conditional_escape(_("No hay entregas programadas en estos meses."))}</td></tr>')
    sep = _int_separator()
    href = f'{_v(reverse("evidence:kitchens"))}?{_v(qs)}&amp;lugar='
    out = []
    for d in deliveries:
        out.append(f'<tr><td><a href="{href}{_v(d["code"])}">{_v(d["name"])}</a></td>'
                   f'<td>{_cifra(d["deliveries"], sep)}</td>'
                   f'<td>{_cifra(d["late"], sep)} ({_v(d["late_pct"])} %)</td>'
                   f'<td>{_cifra(d["short"], sep)} ({_v(d["short_pct"])} %)</td>'
                   f'<td>{_cifra(d["pending"], sep)}</td><td>{_cifra(d["average_days_late"], sep)}</td></tr>\n')
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
