"""Peruvian national ID (DNI) validation.

A DNI is 8 digits. The card also prints a check character (the CUI verification digit) that
people sometimes write after a dash; when it is given we verify it, which catches most typos
and transposed digits. Algorithm: weights 3,2,7,6,5,4,3,2 over the 8 digits, c = sum mod 11;
the check is '65432110987'[c] (numeric form) or 'KJIHGFEDCBA'[c] (letter form).
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)
NUMERIC_CHECKS = "65432110987"
LETTER_CHECKS = "KJIHGFEDCBA"

_SHAPE = re.compile(r"^(?P<number>\d{8})(?:\s*-?\s*(?P<check>[0-9A-Za-z]))?$")


@dataclass(frozen=True)
class Dni:
    number: str
    check: str  # "" when not given


def check_characters(number: str) -> tuple[str, str]:
    """The two accepted check characters (digit, letter) for an 8-digit number."""
    total = sum(int(d) * w for d, w in zip(number, WEIGHTS, strict=True))
    c = total % 11
    return NUMERIC_CHECKS[c], LETTER_CHECKS[c]


def parse_dni(raw: str) -> Dni:
    """Parse '12345678', '12345678-9' or '12345678 K'; raise ValidationError in Spanish."""
    text = (raw or "").strip().upper()
    match = _SHAPE.match(text)
    if not match:
        digits = re.sub(r"\D", "", text)
        if digits and len(digits) != 8 and not re.search(r"[^\d\s-]", text[:8]):
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
