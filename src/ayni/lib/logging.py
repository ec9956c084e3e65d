"""Keep personal data out of the logs.

Logs are copied, mailed and pasted into issues by people who are not meant to see the registry.
A DNI or a phone number can reach a log line in many ways — an exception from the database
("Key (dni)=(45678912) already exists"), a form's repr, a URL — so the masking happens at the
last step, on the handler, whatever logger the line came from.
"""

import logging
import re

# A Peruvian mobile: 9 digits starting with 9, perhaps with +51 and spaces or dashes between groups.
PHONE = re.compile(r"(?<![\d])(?:\+?51[\s-]?)?9\d{2}[\s-]?\d{3}[\s-]?\d{3}(?![\d])")
# A DNI: exactly 8 digits (perhaps with its check character after a dash); other 8-digit numbers
# are masked too, which costs nothing and errs on the safe side.
DNI = re.compile(r"(?<![\d])\d{8}(?:-[0-9A-Ka-k])?(?![\d])")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

MASK_PHONE = "[celular]"
MASK_DNI = "[dni]"
MASK_EMAIL = "[correo]"


def mask(text: str) -> str:
    # Phones first: a 9-digit phone contains an 8-digit run that would otherwise read as a DNI.
    text = PHONE.sub(MASK_PHONE, text)
    text = DNI.sub(MASK_DNI, text)
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
