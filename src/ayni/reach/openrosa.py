"""The OpenRosa wire format, as ODK Collect speaks it (OpenRosa Form List API, Form Submission
API and HTTP Request API, https://docs.getodk.org/openrosa/): the form list, a form's manifest,
the response to a submission, and reading the submitted instance (ODK XForms specification,
https://getodk.github.io/xforms-spec/: `meta/instanceID`, `meta/deprecatedID`, the root's `id`
and `version`). Pure functions: nothing here touches the database."""

import re
from dataclasses import dataclass, field
from xml.etree import ElementTree
from xml.sax.saxutils import escape

VERSION_HEADER = "X-OpenRosa-Version"
VERSION = "1.0"
ACCEPT_LENGTH_HEADER = "X-OpenRosa-Accept-Content-Length"
CONTENT_TYPE = "text/xml; charset=utf-8"
FORM_LIST_NS = "http://openrosa.org/xforms/xformsList"
MANIFEST_NS = "http://openrosa.org/xforms/xformsManifest"
RESPONSE_NS = "http://openrosa.org/http/response"
XML_PART = "xml_submission_file"  # the multipart part that carries the instance
LEAN_BODY = 64 * 1024  # a post this small, with the instance alone, is read by `lone_instance`


def form_list(forms: list[dict]) -> str:
    """`forms`: dicts with formID, name, version, hash, downloadUrl and, when it has media,
    manifestUrl (OpenRosa Form List API)."""
    keys = ("formID", "name", "version", "hash", "downloadUrl", "manifestUrl")
    items = "".join("<xform>" + "".join(f"<{k}>{escape(str(f[k]))}</{k}>" for k in keys if f.get(k)) + "</xform>"
                    for f in forms)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<xforms xmlns="{FORM_LIST_NS}">{items}</xforms>'


def manifest(media: list[dict]) -> str:
    """`media`: dicts with filename, hash and downloadUrl."""
    items = "".join("<mediaFile>" + "".join(f"<{k}>{escape(str(m[k]))}</{k}>" for k in ("filename", "hash",
                                                                                          "downloadUrl"))
                    + "</mediaFile>" for m in media)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<manifest xmlns="{MANIFEST_NS}">{items}</manifest>'


def response(message: str, nature: str = "") -> str:
    """An OpenRosaResponse: ODK Collect shows its message to the person who sent the form."""
    attr = f' nature="{escape(nature)}"' if nature else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<OpenRosaResponse xmlns="{RESPONSE_NS}">'
            f"<message{attr}>{escape(message)}</message></OpenRosaResponse>")


class Malformed(ValueError):
    """The instance cannot be read: not XML, or XML that tries to declare entities."""


@dataclass
class Instance:
    form_id: str
    version: str
    root: str
    instance_id: str = ""
    deprecated_id: str = ""
    values: dict[str, str] = field(default_factory=dict)  # top-level and grouped leaves, by name


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _read(element, instance: Instance, in_meta: bool) -> None:
    for child in element:
        name = _local(child.tag)
        if len(child):  # a group, or meta: its leaves are read by name
            _read(child, instance, in_meta or name == "meta")
        elif in_meta:
            if name == "instanceID":
                instance.instance_id = (child.text or "").strip()
            elif name == "deprecatedID":
                instance.deprecated_id = (child.text or "").strip()
        else:
            instance.values.setdefault(name, (child.text or "").strip())


def parse(xml: bytes | str) -> Instance:
    """Read a submitted instance. A DOCTYPE is refused before parsing: an instance never has one,
    and it is the door to entity expansion ("billion laughs") and external entities."""
    raw = xml.encode() if isinstance(xml, str) else xml
    if b"<!DOCTYPE" in raw.upper() or b"<!ENTITY" in raw.upper():
        raise Malformed("DOCTYPE")
    try:
        root = ElementTree.fromstring(raw)  # noqa: S314 - no DOCTYPE, so no entity to expand (above)
    except ElementTree.ParseError as exc:
        raise Malformed(str(exc)) from None
    instance = Instance(form_id=root.get("id", ""), version=root.get("version", ""), root=_local(root.tag))
    _read(root, instance, in_meta=False)
    return instance


_BOUNDARY = re.compile(r'^multipart/form-data;\s*boundary="?([0-9A-Za-z\'()+_,./:=?-]{1,70})"?\s*$', re.IGNORECASE)
_XML_PART_HEADERS = re.compile(
    rb'Content-Disposition: form-data; name="xml_submission_file"(?:; filename="[^"\r\n]*")?'
    rb"(?:\r\nContent-Type: [\w.+/-]+(?:; ?charset=[\w-]+)?)?(?:\r\nContent-Length: \d{1,9})?", re.IGNORECASE)


def lone_instance(content_type: str, body: bytes) -> bytes | None:
    """The instance of a post that carries it alone — what ODK Collect sends for a form without
    files: one part, `xml_submission_file`, between the boundary's first and last lines — read
    without a general multipart parser. None for anything else (files, `*isIncomplete*`, another
    layout, a transfer encoding): the caller reads that post with Django's parser. Collect's HTTP
    client (OkHttp) gives the part a Content-Type and a Content-Length; both are optional here."""
    match = _BOUNDARY.match(content_type)
    if match is None:
        return None
    dash = b"--" + match.group(1).encode()
    head, sep, rest = body.partition(b"\r\n\r\n")
    if not sep or not head.startswith(dash + b"\r\n"):
        return None
    if not _XML_PART_HEADERS.fullmatch(head, len(dash) + 2):
        return None
    end = dash + b"--"
    tail = rest.rfind(b"\r\n" + end)
    if tail < 0 or rest[tail + 2 + len(end):] not in (b"", b"\r\n"):
        return None
    content = rest[:tail]
    if dash in content:  # another part inside: not a lone instance
        return None
    return content
