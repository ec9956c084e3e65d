"""Requests as ODK Collect makes them (ODK Collect v2024/2025, OpenRosa 1.0): the headers it
sends, the multipart layout of a submission, and instances filled from the form's own template."""

import base64
import io
import uuid
from xml.etree import ElementTree

from django.core.files.uploadedfile import SimpleUploadedFile

from ayni.reach import xforms
from tests.conftest import PASSWORD

XFORMS = "{http://www.w3.org/2002/xforms}"
# Collect also sends `Accept-Encoding: gzip` (tests/test_reach_openrosa.py checks the gzipped list);
# the other tests leave it out to read the answers as they are.
COLLECT = {"HTTP_X_OPENROSA_VERSION": "1.0", "HTTP_USER_AGENT": "org.odk.collect.android/v2025.2.3 okhttp/4.12.0",
           "HTTP_DATE": "Sun, 29 Nov 2026 10:00:00 GMT"}


def basic(username="rosa", password=PASSWORD) -> dict:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {**COLLECT, "HTTP_AUTHORIZATION": f"Basic {token}"}


def instance(form_id: str, *, instance_id: str | None = None, deprecated_id: str = "", version: str | None = None,
             **values) -> bytes:
    """A submitted instance of the form: its template with the values given (others left as the
    template has them), and Collect's meta."""
    built = xforms.build(form_id)
    root = xml_of(built.xml)
    template = root.find(f".//{XFORMS}model/{XFORMS}instance/{XFORMS}{built.form.source}")
    out = ElementTree.Element(built.form.source, {"id": form_id, "version": version or built.version,
                                                   "xmlns:jr": "http://openrosa.org/javarosa",
                                                   "xmlns:orx": "http://openrosa.org/xforms"})
    for child in template:
        name = child.tag.replace(XFORMS, "")
        if name == "meta":
            meta = ElementTree.SubElement(out, "meta")
            ElementTree.SubElement(meta, "instanceID").text = instance_id or f"uuid:{uuid.uuid4()}"
            if deprecated_id:
                ElementTree.SubElement(meta, "deprecatedID").text = deprecated_id
            continue
        ElementTree.SubElement(out, name).text = str(values.pop(name, child.text or ""))
    for name, value in values.items():  # fields the current form does not have (an old version)
        ElementTree.SubElement(out, name).text = str(value)
    return b"<?xml version='1.0' ?>" + ElementTree.tostring(out)


def instance_id_of(xml: bytes) -> str:
    return xml_of(xml).find("meta/instanceID").text


def submit(client, xml: bytes, *files, url="/odk/submission", incomplete=False, auth=None, **extra):
    """A submission as Collect posts it: `xml_submission_file` first, then each attachment under
    its own file name as the part's name; `*isIncomplete*` on all but the last post of a split."""
    data = {"xml_submission_file": SimpleUploadedFile("submission.xml", xml, content_type="text/xml")}
    for f in files:
        data[f.name] = f
    if incomplete:
        data["*isIncomplete*"] = "yes"
    return client.post(url, data, **(auth if auth is not None else basic()), **extra)


def jpeg(name="1764410000000.jpg", size=(40, 30)) -> SimpleUploadedFile:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def xml_of(content: bytes):
    return ElementTree.fromstring(content)  # noqa: S314 - the server's own answers and forms
