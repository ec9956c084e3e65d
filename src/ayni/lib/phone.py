"""Phone numbers, normalised so a leader can type them any way she is used to.

Peru's numbers are kept as she writes them, nine national digits (landlines keep their area
code): that is what every existing row holds, so Peru stays the default everywhere. Another
country's numbers are kept in E.164 (`+59171234567`), so that `e164` never mistakes one for a
Peruvian number. A country other than Peru is known by its numbering, which its country pack
declares (`geo/packs/<iso>/country.json`, "phone") and `geo` registers here when it starts:
one copy of each country's rules, the pack's.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Numbering:
    """A country's numbering plan, as much of it as a phone form needs."""

    country: str  # ISO 3166-1 alpha-2
    calling_code: str  # "51", "591"
    national_lengths: tuple[int, ...]  # digits after the calling code
    name: str = ""  # the country's name, for the error message


PERU = Numbering("PE", "51", (7, 8, 9), "Perú")
_NUMBERINGS: dict[str, Numbering] = {"PE": PERU}


def register_numbering(numbering: Numbering) -> None:
    """Make a country's numbering known (called by `geo` for each country pack)."""
    _NUMBERINGS[numbering.country] = numbering


def numbering(country: str | None) -> Numbering:
    return _NUMBERINGS.get((country or "PE").upper(), PERU)


def _peru(raw: str, digits: str) -> str:
    if digits.startswith("51") and len(digits) == 11:
        digits = digits[2:]
    if not 7 <= len(digits) <= 9:
        raise ValidationError(
            _("El número «%(raw)s» no parece un celular peruano (9 dígitos, empieza con 9).") % {"raw": raw},
            code="phone",
        )
    return digits


def _foreign(raw: str, digits: str, plan: Numbering) -> str | None:
    """`+<code><national>` if the digits fit `plan` (with or without its calling code)."""
    if digits.startswith(plan.calling_code) and len(digits) - len(plan.calling_code) in plan.national_lengths:
        return f"+{digits}"
    if not raw.strip().startswith("+"):
        if digits.startswith("0") and len(digits) - 1 in plan.national_lengths:  # a trunk 0 (Ecuador: 09…)
            digits = digits[1:]
        if len(digits) in plan.national_lengths:
            return f"+{plan.calling_code}{digits}"
    return None


def normalize_phone(raw: str, country: str | None = None) -> str:
    """'+51 987 654 321', '987-654-321' → '987654321' (Peru, the default). For another country's
    organisation, '7123 4567' → '+59171234567'. A number written with another registered
    country's calling code (`+591 7…`, a text from Bolivia) is kept in E.164 whatever `country`."""
    digits = re.sub(r"\D", "", raw or "")
    plan = numbering(country)
    if raw and raw.strip().startswith("+"):
        for other in _NUMBERINGS.values():
            if (
                other.country != "PE"
                and digits.startswith(other.calling_code)
                and len(digits) - len(other.calling_code) in other.national_lengths
            ):
                return f"+{digits}"
    if plan.country == "PE":
        return _peru(raw, digits)
    found = _foreign(raw or "", digits, plan)
    if found is None:
        raise ValidationError(
            _("El número «%(raw)s» no parece un teléfono de %(country)s (+%(code)s y %(digits)s dígitos).")
            % {
                "raw": raw,
                "country": plan.name or plan.country,
                "code": plan.calling_code,
                "digits": " o ".join(str(n) for n in plan.national_lengths),
            },
            code="phone",
        )
    return found


def e164(phone: str) -> str:
    """'912345678' → '+51912345678', what gateways expect; a number kept in E.164 (another
    country's) stays as it is."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"+51{digits}" if len(digits) == 9 else (f"+{digits}" if digits else phone)
