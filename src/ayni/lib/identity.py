"""National identity numbers of the countries Ayni has a pack for, validated by country.

Peru's DNI is `lib/dni.py`, unchanged, and Peru is the default: a number is stored as it always
was, eight digits (and its check character apart). Another country's number is stored with its
ISO code in front (`BO-1234567`, `EC-1710034065`, `BR-52998224725`), so that one unique column
holds every country's numbers and a Bolivian CI can never collide with a Peruvian DNI of the
same digits.

The checksums are `python-stdnum`'s (`stdnum.ec.ci`, `stdnum.br.cpf`); it has no Bolivian CI,
which has no check digit anyway, so only its shape is checked here. What is Ayni's own is the
Spanish message naming what is wrong.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum import exceptions as stdnum_errors
from stdnum.br import cpf as br_cpf
from stdnum.ec import ci as ec_ci

from ayni.lib.dni import ascii_digits, parse_dni


@dataclass(frozen=True)
class Identity:
    """A parsed number: `number` is what is stored (bare for Peru, `CC-…` otherwise)."""

    country: str
    number: str
    check: str = ""
    checked: bool = False  # a checksum vouched for it (not only its shape)


@dataclass(frozen=True)
class Scheme:
    country: str
    name: object  # "DNI", "cédula de identidad"…, shown as the field's label
    country_name: object
    parse: Callable[[str], tuple[str, str, bool]]  # compact text → (number, check, checked)
    help_text: object
    short: object = ""  # the name a column header or a list uses: "DNI", "CI", "cédula", "CPF"


def _compact(raw: str) -> str:
    return re.sub(r"[\s.\-/]", "", ascii_digits(raw)).upper()


def _pe(raw: str) -> tuple[str, str, bool]:
    dni = parse_dni(raw)
    return dni.number, dni.check, bool(dni.check)


# Bolivian department extensions written after a CI (La Paz, Cochabamba…): not part of the number.
_BO_EXTENSIONS = "LP|CB|SC|OR|PT|CH|CHQ|TJ|BE|BN|PD|PA"
_BO_SHAPE = re.compile(rf"^(?P<number>[0-9]{{5,8}})(?P<complement>[0-9][A-Z])?(?:{_BO_EXTENSIONS})?$")
_BO_TAIL = re.compile(rf"^(?:[0-9][A-Z])?(?:{_BO_EXTENSIONS})?$")


def _bo(raw: str) -> tuple[str, str, bool]:
    """Bolivia's cédula de identidad (SEGIP): 5 to 8 digits, an optional complement of a digit
    and a letter (`1234567-1A`, given to numbers issued twice) and an optional department
    extension (`LP`), which is dropped. It has no check digit."""
    text = ascii_digits(raw).upper().strip()
    # What follows a dash is the complement: "12345678-E" is 12345678 with a one-letter tail, not
    # 1234567 with the complement 8E, which the compacted digits alone would read (and that tail
    # is a Peruvian DNI's check letter, which `parse_identity` then names as such).
    head, dash, tail = text.partition("-")
    if dash and re.fullmatch(r"[0-9\s.]+", head):
        number, rest = re.sub(r"[\s.]", "", head), re.sub(r"[\s.\-/]", "", tail)
        text = number + rest if _BO_SHAPE.match(number) and _BO_TAIL.match(rest) else "-"
    text = re.sub(r"[\s.\-/]", "", text)
    match = _BO_SHAPE.match(text)
    if not match:
        raise ValidationError(
            _(
                "La cédula de identidad boliviana tiene de 5 a 8 dígitos, y puede llevar un "
                "complemento (por ejemplo 1234567-1A)."
            ),
            code="id_format",
        )
    number = match["number"] + (f"-{match['complement']}" if match["complement"] else "")
    return number, "", False


def _ec(raw: str) -> tuple[str, str, bool]:
    """Ecuador's cédula (Registro Civil): 10 digits, province 01–24 or 30, third digit below 6,
    the last a check digit (`stdnum.ec.ci`)."""
    text = _compact(raw)
    try:
        return ec_ci.validate(text), "", True
    except stdnum_errors.InvalidChecksum:
        raise ValidationError(
            _("El dígito verificador de la cédula ecuatoriana no corresponde: revise el número."), code="id_check"
        ) from None
    except stdnum_errors.InvalidComponent:
        raise ValidationError(
            _("Los primeros dígitos de la cédula ecuatoriana no corresponden a una provincia."), code="id_format"
        ) from None
    except stdnum_errors.ValidationError:
        raise ValidationError(_("La cédula ecuatoriana tiene 10 dígitos."), code="id_format") from None


def _br(raw: str) -> tuple[str, str, bool]:
    """Brazil's CPF: 11 digits, the last two check digits (`stdnum.br.cpf`); one digit repeated
    passes the checksum but is never issued."""
    text = _compact(raw)
    if len(set(text)) == 1:
        raise ValidationError(_("El CPF brasileño tiene 11 dígitos (000.000.000-00)."), code="id_format")
    try:
        return br_cpf.validate(text), "", True
    except stdnum_errors.InvalidChecksum:
        raise ValidationError(
            _("Los dígitos verificadores del CPF no corresponden: revise el número."), code="id_check"
        ) from None
    except stdnum_errors.ValidationError:
        raise ValidationError(_("El CPF brasileño tiene 11 dígitos (000.000.000-00)."), code="id_format") from None


SCHEMES: dict[str, Scheme] = {
    s.country: s
    for s in (
        Scheme(
            "PE",
            gettext_lazy("DNI"),
            gettext_lazy("Perú"),
            _pe,
            gettext_lazy("8 dígitos; si lo tiene, el carácter de verificación después de un guion."),
            gettext_lazy("DNI"),
        ),
        Scheme(
            "BO",
            gettext_lazy("cédula de identidad"),
            gettext_lazy("Bolivia"),
            _bo,
            gettext_lazy("De 5 a 8 dígitos; si lo tiene, el complemento después de un guion (1234567-1A)."),
            gettext_lazy("CI"),
        ),
        Scheme("EC", gettext_lazy("cédula"), gettext_lazy("Ecuador"), _ec, gettext_lazy("10 dígitos."),
               gettext_lazy("cédula")),
        Scheme("BR", gettext_lazy("CPF"), gettext_lazy("Brasil"), _br, gettext_lazy("11 dígitos: 000.000.000-00."),
               gettext_lazy("CPF")),
    )
}


def scheme(country: str | None) -> Scheme:
    return SCHEMES.get((country or "PE").upper(), SCHEMES["PE"])


def _strip_prefix(raw: str, country: str) -> str:
    """A stored number read back (`BO-1234567`) loses its own country's prefix; another
    country's prefix is refused: the number belongs to that country."""
    match = re.match(r"^\s*([A-Za-z]{2})\s*-", raw or "")
    if not match:
        return raw
    prefix = match[1].upper()
    if prefix in SCHEMES and prefix != country:
        raise ValidationError(
            _("El número %(raw)s es de %(other)s; esta organización registra números de %(country)s.")
            % {"raw": raw.strip(), "other": SCHEMES[prefix].country_name, "country": SCHEMES[country].country_name},
            code="id_country",
        )
    return raw[match.end() :] if prefix == country else raw


def parse_identity(raw: str, country: str | None = None) -> Identity:
    """Validate `raw` as an identity number of `country` (Peru when not given). A number that
    fails here but passes another country's checksum is named as that country's, so a Brazilian
    CPF typed for a Bolivian organisation does not read as a mere typo."""
    code = scheme(country).country
    text = _strip_prefix(raw, code)
    try:
        number, check, checked = SCHEMES[code].parse(text)
    except ValidationError as exc:
        for other in SCHEMES.values():
            if other.country == code:
                continue
            try:
                _n, _c, other_checked = other.parse(text)
            except ValidationError:
                continue
            if other_checked:  # only a checksum tells a country; shape alone proves nothing
                raise ValidationError(
                    _(
                        "«%(raw)s» es un número válido de %(other_id)s de %(other)s, no de %(id)s de %(country)s. "
                        "Revise el número, o la organización donde la registra."
                    )
                    % {
                        "raw": raw.strip(),
                        "other_id": other.name,
                        "other": other.country_name,
                        "id": SCHEMES[code].name,
                        "country": SCHEMES[code].country_name,
                    },
                    code="id_other_country",
                ) from exc
        raise
    stored = number if code == "PE" else f"{code}-{number}"
    return Identity(country=code, number=stored, check=check, checked=checked)


def country_of_number(stored: str | None) -> str:
    """The country a stored number belongs to: its prefix, or Peru."""
    match = re.match(r"^([A-Z]{2})-", stored or "")
    return match[1] if match and match[1] in SCHEMES else "PE"


def document_name(country: str | None) -> str:
    """What the country's identity document is called ("DNI", "cédula de identidad"…)."""
    return str(scheme(country).name)


def shown(stored: str | None) -> str:
    """A stored number as its holder writes it: `BO-4870123` is 4870123 (its country is her
    organisation's, named beside it by whoever shows it)."""
    return re.sub(r"^[A-Z]{2}-", "", stored or "")


def relabel(label, country: str | None):
    """A label written for Peru ("DNI de la delegada") with the country's document in its place
    ("Cédula de identidad de la delegada"); Peru's label is left as it was."""
    name = scheme(country)
    if name.country == "PE":
        return label
    text = str(label)
    document = str(name.name)
    return text.replace("DNI", document.capitalize() if text.startswith("DNI") else document, 1)


def number_prefixes(digits: str) -> list[str]:
    """How a number starting with `digits` begins when stored, in every country: bare for Peru,
    `BO-…`, `EC-…` for the others; a search by digits looks for each."""
    return [digits] + [f"{code}-{digits}" for code in SCHEMES if code != "PE"]


def labelled(stored: str | None) -> str:
    """A stored number with its document's name, for a list of people: "DNI 45678912",
    "cédula de identidad 4870123"; "DNI —" for none."""
    return f"{document_name(country_of_number(stored))} {shown(stored) or '—'}"


def short_name(country: str | None) -> str:
    """The document's name as a column header says it: "DNI", "CI", "cédula", "CPF"."""
    return str(scheme(country).short or scheme(country).name)


def with_document(stored: str | None, check: str = "") -> str:
    """A stored number with the short name of its document, for a list that mixes countries:
    "DNI 45678912", "CI 4870123", "cédula 1710034065"; "" for none."""
    if not stored:
        return ""
    number = shown(stored) + (f"-{check}" if check else "")
    return f"{short_name(country_of_number(stored))} {number}"


@dataclass(frozen=True)
class IdColumn:
    """The identity column of a list, a printout or a spreadsheet: headed by the document of the
    one country its people are from ("DNI", "CI"…), each number as its holder writes it; or, when
    the list mixes countries, headed «Documento», each number with its document's name."""

    label: str
    mixed: bool

    def cell(self, stored: str | None, check: str = "") -> str:
        if not stored:
            return ""
        return with_document(stored, check) if self.mixed else shown(stored) + (f"-{check}" if check else "")


def id_column(numbers, country: str | None = None) -> IdColumn:
    """The column for these stored numbers; `country` (the organisation's) heads a list whose
    people have none."""
    countries = {country_of_number(n) for n in numbers if n} or {scheme(country).country}
    if len(countries) == 1:
        return IdColumn(short_name(countries.pop()), False)
    return IdColumn(_("Documento"), True)
