"""Keep personal data out of the logs: phones, e-mails and every pack's identity numbers.

Logs are copied, mailed and pasted into issues by people who are not meant to see the registry.
A DNI or a phone number can reach a log line in many ways — an exception from the database
("Key (dni)=(45678912) already exists"), a form's repr, a URL — so the masking happens at the
last step, on the handler, whatever logger the line came from.
"""

import logging
import re

from django.core.exceptions import ValidationError

from ayni.lib.identity import SCHEMES

# A Peruvian mobile: 9 digits starting with 9, perhaps with +51 and spaces or dashes between groups.
PHONE = re.compile(r"(?<![\d])(?:\+?51[\s-]?)?9\d{2}[\s-]?\d{3}[\s-]?\d{3}(?![\d])")
# A DNI: exactly 8 digits (perhaps with its check character after a dash); other 8-digit numbers
# are masked too, which costs nothing and errs on the safe side.
DNI = re.compile(r"(?<![\d])\d{8}(?:-[0-9A-Ka-k])?(?![\d])")
# Any country's phone written with its calling code (+591 71234567, +593 98 765 4321).
INTERNATIONAL_PHONE = re.compile(r"\+\d{2,3}[\s-]?\d(?:[\s-]?\d){6,11}(?![\d])")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


MASK_PHONE = "[celular]"
MASK_DNI = "[dni]"
MASK_EMAIL = "[correo]"
MASK_DOCUMENT = "[documento]"

# Every other country's identity number a pack brings (lib/identity.py `SCHEMES`), in the shapes a
# log can carry it. As stored: its ISO code in front ("Key (dni)=(BO-4870123) already exists").
_FOREIGN = "|".join(code for code in SCHEMES if code != "PE")
STORED = re.compile(rf"(?<![A-Za-z0-9])(?:{_FOREIGN})-[0-9][0-9.\-]{{3,16}}(?:-?[0-9][A-Z])?(?![0-9])")
# As typed, by country. A number with a checksum (Ecuador's cédula, Brazil's CPF) is masked when
# the checksum passes, so an invoice or a timestamp of ten digits is left alone; Bolivia's CI has
# none, so it is masked by its shape: with its complement or its department's extension, or bare
# at 6 or 7 digits (8 digits are masked as a DNI already) — except as a segment of a URL's path,
# where it is a record's id (`/proteccion/caso/123456/`: no page takes a CI in its path; a search
# takes it after `?q=`, and is masked).
TYPED = {
    "BO": (re.compile(r"(?<![\dA-Za-z])\d{5,8}(?:-?\d[A-Z])?[\s-]?(?:LP|CB|SC|OR|PT|CHQ|CH|TJ|BE|BN|PD|PA)(?![A-Za-z])"
                      r"|(?<![\d-])\d{5,8}-\d[A-Z](?![A-Za-z0-9])|(?<![\d.,:/-])\d{6,7}(?![\d.,:])"), None),
    "EC": (re.compile(r"(?<![\d-])\d{10}(?![\d])"), "EC"),
    "BR": (re.compile(r"(?<![\d.-])\d{3}\.?\d{3}\.?\d{3}-?\d{2}(?![\d])"), "BR"),
}


def _if_valid(country: str | None):
    def replace(match: re.Match) -> str:
        if country is None:
            return MASK_DOCUMENT
        try:
            SCHEMES[country].parse(match.group(0))
        except ValidationError:
            return match.group(0)
        return MASK_DOCUMENT

    return replace


def mask(text: str) -> str:
    text = STORED.sub(MASK_DOCUMENT, text)
    text = INTERNATIONAL_PHONE.sub(MASK_PHONE, text)
    # Numbers with a checksum before phones: a cédula 09… holds no phone, but is checked whole.
    for code in ("EC", "BR"):
        pattern, check = TYPED[code]
        text = pattern.sub(_if_valid(check), text)
    # Phones next: a 9-digit phone contains an 8-digit run that would otherwise read as a DNI.
    text = PHONE.sub(MASK_PHONE, text)
    text = DNI.sub(MASK_DNI, text)
    text = TYPED["BO"][0].sub(MASK_DOCUMENT, text)
    return EMAIL.sub(MASK_EMAIL, text)


class MaskPersonalData(logging.Filter):
    """A handler filter that rewrites each record with DNIs, phones and e-mails masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not lose the line
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = mask(message), None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set, so the traceback is masked once, here.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True
