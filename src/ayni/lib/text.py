"""Text helpers for Spanish names: search folding without accents or case, text made safe to
echo back, and figures written as Peru writes them."""

import re
import unicodedata
from decimal import Decimal

from django.template.defaultfilters import floatformat


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced: 'MARÍA  Ñahui' -> 'maria nahui'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())


# C0 and C1 control characters, DEL, and the invisible bidirectional marks, embeddings, overrides
# and isolates (U+200E-F, U+202A-E, U+2066-9): echoed back, they can clear a phone's screen, cut
# a message short or make «ARROZ 50» read as something else.
_WHITESPACE_CONTROLS = re.compile(r"[\t\n\v\f\r\x1c-\x1f\x85]+")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> str:
    """What a person typed, fit to be shown or sent back: line breaks and tabs become one space,
    every other control character and bidi override is dropped."""
    return _CONTROLS.sub("", _WHITESPACE_CONTROLS.sub(" ", text or ""))


def cifra(value):
    """A figure as Peru writes it (692,917 · 1,443,540.5), anything else as it is: the template
    filter `{{ value|cifra }}` (core/templatetags/cifras.py) and the rows written in Python
    (evidence/rows.py)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return value
    return floatformat(value, "g" if isinstance(value, int) else "-2g")
