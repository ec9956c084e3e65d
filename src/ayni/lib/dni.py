"""Peruvian national ID (DNI) validation.

A DNI is 8 digits. The card also prints a check character (the CUI verification digit) that
people sometimes write after a dash; when it is given we verify it, which catches most typos
and transposed digits. Algorithm: weights 3,2,7,6,5,4,3,2 over the 8 digits, c = sum mod 11;
the check is '65432110987'[c] (numeric form) or 'KJIHGFEDCBA'[c] (letter form).

What was typed is compacted first, as python-stdnum's `pe.cui.compact` does: every decimal digit
becomes its ASCII digit (a phone's full-width or Arabic-Indic keyboard gives digits that look
right and match nothing), and spaces and dashes are dropped wherever they are. Then the 8 digits
are the number and a ninth character, if any, is the check: `12 345 678`, `12-345-678` and
`12345678` are one DNI, and `12345678-9` is that DNI with its check character.
"""

import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)
NUMERIC_CHECKS = "65432110987"
LETTER_CHECKS = "KJIHGFEDCBA"

_SHAPE = re.compile(r"^(?P<number>[0-9]{8})(?P<check>[0-9A-Z])?$", re.ASCII)
# Hyphens and minus signs other than ASCII's, which NFKC leaves alone.
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"), "-")


@dataclass(frozen=True)
class Dni:
    number: str
    check: str  # "" when not given


def check_characters(number: str) -> tuple[str, str]:
    """The two accepted check characters (digit, letter) for an 8-digit number."""
    total = sum(int(d) * w for d, w in zip(number, WEIGHTS, strict=True))
    c = total % 11
    return NUMERIC_CHECKS[c], LETTER_CHECKS[c]


def ascii_digits(raw: str) -> str:
    """`raw` with full-width letters folded (NFKC) and every decimal digit of any script as ASCII."""
    text = unicodedata.normalize("NFKC", raw or "").translate(_DASHES)
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


def compact_dni(raw: str) -> str:
    """What was typed, without separators: ASCII digits, upper case, no spaces or dashes."""
    return re.sub(r"[\s-]", "", ascii_digits(raw)).upper()


def parse_dni(raw: str) -> Dni:
    """Parse '12345678', '12 345 678', '12345678-9' or '12345678 K', in any script's digits;
    raise ValidationError in Spanish."""
    text = compact_dni(raw)
    match = _SHAPE.match(text)
    if not match:
        digits = re.sub(r"[^0-9]", "", text)
        if digits and len(digits) != 8 and not re.search(r"[^0-9]", text[:8]):
            raise ValidationError(
                _("El DNI debe tener 8 dígitos; se escribieron %(n)s.") % {"n": len(digits)},
                code="dni_length",
            )
        raise ValidationError(
            _("El DNI debe tener 8 dígitos, y puede llevar después el carácter de verificación."),
            code="dni_format",
        )
    number, check = match["number"], match["check"] or ""
    if check and check not in check_characters(number):
        raise ValidationError(
            _("El carácter de verificación «%(check)s» no corresponde al DNI %(number)s. Revise ambos.")
            % {"check": check, "number": number},
            code="dni_check",
        )
    return Dni(number=number, check=check)


def is_valid_dni(raw: str) -> bool:
    try:
        parse_dni(raw)
    except ValidationError:
        return False
    return True
