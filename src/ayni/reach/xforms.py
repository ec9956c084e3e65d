"""The field forms, defined once: XLSForm sources in `xlsforms/` (pyxform's markdown form of the
spreadsheet, so a change is a readable diff), built into XForms with pyxform when first asked
for. Each form's field names are the web form's, and its submission becomes the same capture
item the JSON API and the outbox send (`kind`), applied by the same kitchens service.

Choice lists that depend on who asks (her kitchens, their open deliveries) and the food
catalogue are external CSV files (`select_one_from_file`), served per user through the form's
manifest (`lists.py`)."""

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.etree import ElementTree

from pyxform import xls2xform

from ayni.capture.models import Inbound

SOURCES = Path(__file__).parent / "xlsforms"
XFORMS = "http://www.w3.org/2002/xforms"


@dataclass(frozen=True)
class FieldForm:
    form_id: str
    source: str  # file name in xlsforms/, without .md: also the instance's root element
    kind: str  # the capture item a submission becomes


FORMS = {f.form_id: f for f in (
    FieldForm("ayni_parte_diario", "parte_diario", Inbound.Kind.REPORT),
    FieldForm("ayni_movimiento", "movimiento", Inbound.Kind.MOVEMENT),
    FieldForm("ayni_recepcion", "recepcion", Inbound.Kind.RECEIPT),
    FieldForm("ayni_asistencia", "asistencia", Inbound.Kind.ATTENDANCE),  # leadership's training sessions
)}


@dataclass(frozen=True)
class Built:
    form: FieldForm
    xml: bytes
    title: str
    version: str
    fields: tuple[str, ...]  # the instance's data fields, without meta
    uploads: tuple[str, ...]  # the fields that carry a file (image, audio)
    media: tuple[str, ...]  # the external lists (CSV) the form reads

    @property
    def hash(self) -> str:
        return "md5:" + hashlib.md5(self.xml).hexdigest()  # noqa: S324 - OpenRosa's form hash is MD5


@cache
def build(form_id: str) -> Built:
    """The XForm of a field form, built once per process from its XLSForm source."""
    form = FORMS[form_id]
    result = xls2xform.convert(SOURCES / f"{form.source}.md", form_name=form.source, warnings=[])
    xml = result.xform.encode()
    root = ElementTree.fromstring(xml)  # noqa: S314 - pyxform's output from our own sources
    instance = root.find(f".//{{{XFORMS}}}model/{{{XFORMS}}}instance/{{{XFORMS}}}{form.source}")
    fields = tuple(child.tag.split("}")[1] for child in instance if not child.tag.endswith("}meta"))
    uploads = tuple(u.get("ref").rsplit("/", 1)[1] for u in root.iter(f"{{{XFORMS}}}upload"))
    media = tuple(re.findall(r'src="jr://file-csv/([\w.-]+)"', result.xform))
    title = root.find(".//{http://www.w3.org/1999/xhtml}title").text
    return Built(form, xml, title, instance.get("version"), fields, uploads, media)


def all_forms() -> list[Built]:
    return [build(form_id) for form_id in FORMS]
