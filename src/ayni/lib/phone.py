"""Peruvian phone numbers, normalised so a leader can type them any way she is used to."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def normalize_phone(raw: str) -> str:
    """'+51 987 654 321', '987-654-321' → '987654321'. Landlines keep their area code."""
    digits = re.sub(r"\D", "", raw or "")
    if digits.startswith("51") and len(digits) == 11:
        digits = digits[2:]
    if not 7 <= len(digits) <= 9:
        raise ValidationError(
            _("El número «%(raw)s» no parece un celular peruano (9 dígitos, empieza con 9).") % {"raw": raw},
            code="phone",
        )
    return digits


def e164(phone: str) -> str:
    """'912345678' → '+51912345678', what gateways expect."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"+51{digits}" if len(digits) == 9 else (f"+{digits}" if digits else phone)
