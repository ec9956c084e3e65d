"""The OpenRosa wire format, as ODK Collect speaks it (OpenRosa Form List API, Form Submission
API and HTTP Request API, https://docs.getodk.org/openrosa/): the form list, a form's manifest,
the response to a submission, and reading the submitted instance (ODK XForms specification,
https://getodk.github.io/xforms-spec/: `meta/instanceID`, `meta/deprecatedID`, the root's `id`
and `version`). Pure functions: nothing here touches the database."""

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
