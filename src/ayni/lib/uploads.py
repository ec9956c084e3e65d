"""What a file really is, from its bytes, not from its name or the browser's word for it.

Evidence of a commitment, the scan of a signed acta, the photo of a paper attendance list, a
document of a land case: every upload is read once, within a size limit, and its kind decided
here by its leading bytes. An "image" that is an executable, a zip bomb dressed as a document,
a PNG that would unfold into gigapixels are refused with a message that says what was wrong.
Pure functions: storing is `ayni.files`' job (or, encrypted, protection's).
"""

import io
import zipfile

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MB = 1024 * 1024
MAX_BYTES = 10 * MB  # a photo from a cheap phone is 1–4 MB, a scanned acta PDF a few
MAX_PIXELS = 40_000_000  # a 40-megapixel photo is already more than any phone here takes
MAX_UNZIPPED = 80 * MB
MAX_RATIO = 100  # a real office document compresses 2–20×; a bomb, thousands


class Kind:
    JPEG, PNG, WEBP, PDF = "jpeg", "png", "webp", "pdf"
    OGG, MP3, M4A, AMR, WAV, MP4 = "ogg", "mp3", "m4a", "amr", "wav", "mp4"
    DOCX, XLSX, ODT = "docx", "xlsx", "odt"


IMAGES = frozenset({Kind.JPEG, Kind.PNG, Kind.WEBP})
DOCUMENTS = frozenset({Kind.PDF}) | IMAGES
AUDIO = frozenset({Kind.OGG, Kind.MP3, Kind.M4A, Kind.AMR, Kind.WAV})
OFFICE = frozenset({Kind.DOCX, Kind.XLSX, Kind.ODT})
ANY = DOCUMENTS | AUDIO | OFFICE | {Kind.MP4}

CONTENT_TYPES = {
    Kind.JPEG: "image/jpeg", Kind.PNG: "image/png", Kind.WEBP: "image/webp", Kind.PDF: "application/pdf",
    Kind.OGG: "audio/ogg", Kind.MP3: "audio/mpeg", Kind.M4A: "audio/mp4", Kind.AMR: "audio/amr",
    Kind.WAV: "audio/wav", Kind.MP4: "video/mp4",
    Kind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    Kind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Kind.ODT: "application/vnd.oasis.opendocument.text",
}
EXTENSIONS = {Kind.JPEG: "jpg", Kind.M4A: "m4a"}
LABELS = {  # how the refusal names what is accepted
    Kind.JPEG: "foto (JPG)", Kind.PNG: "imagen PNG", Kind.WEBP: "imagen WEBP", Kind.PDF: "PDF",
    Kind.OGG: "audio", Kind.MP3: "audio MP3", Kind.M4A: "audio M4A", Kind.AMR: "audio AMR", Kind.WAV: "audio WAV",
    Kind.MP4: "video MP4", Kind.DOCX: "Word", Kind.XLSX: "Excel", Kind.ODT: "documento ODT",
}


def extension(kind: str) -> str:
    return EXTENSIONS.get(kind, kind)


def read(upload, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of an uploaded file, refused past the limit without reading further."""
    if upload is None:
        raise ValidationError(_("Falta el archivo."), code="missing")
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise ValidationError(_("El archivo pesa %(mb)s MB; el máximo es %(max)s MB.")
                              % {"mb": round(size / MB, 1), "max": max_bytes // MB}, code="too_big")
    chunks, total = [], 0
    for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
        total += len(chunk)
        if total > max_bytes:
            raise ValidationError(_("El archivo pesa más de %(max)s MB, el máximo.") % {"max": max_bytes // MB},
                                  code="too_big")
        chunks.append(chunk)
    content = b"".join(chunks)
    if not content:
        raise ValidationError(_("El archivo llegó vacío."), code="empty")
    return content


def sniff(content: bytes) -> str | None:
    """The kind from the leading bytes; None for anything we do not take (an executable, a script,
    HTML, an archive that is not an office document)."""
    head = content[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return Kind.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Kind.PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Kind.WEBP
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Kind.WAV
    if head.startswith(b"%PDF-"):
        return Kind.PDF
    if head.startswith(b"OggS"):
        return Kind.OGG
    if head.startswith(b"#!AMR"):
        return Kind.AMR
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return Kind.MP3
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return Kind.M4A if brand in (b"M4A ", b"M4B ") else Kind.MP4
    if head.startswith(b"PK\x03\x04"):
        return _office(content)
    return None


def _office(content: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return None
    if "word/document.xml" in names:
        return Kind.DOCX
    if "xl/workbook.xml" in names:
        return Kind.XLSX
    if "content.xml" in names and "mimetype" in names:
        return Kind.ODT
    return None


def _zip_bomb(content: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        unzipped = sum(info.file_size for info in archive.infolist())
        return unzipped > MAX_UNZIPPED or unzipped > MAX_RATIO * max(len(content), 1) or len(archive.infolist()) > 5000


def _image_sound(content: bytes) -> bool:
    """The image opens, and is not a decompression bomb (a small PNG that unfolds into gigapixels)."""
    from PIL import Image  # WeasyPrint's dependency; imported here so pure callers stay light

    try:
        with Image.open(io.BytesIO(content)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                return False
            image.verify()
        return True
    except Exception:  # noqa: BLE001 - any failure to decode is "not an image"
        return False


def check(content: bytes, allowed=DOCUMENTS, max_bytes: int = MAX_BYTES) -> str:
    """The file's kind if it is one of `allowed` and sound; otherwise a ValidationError in words she
    can act on."""
    if len(content) > max_bytes:
        raise ValidationError(_("El archivo pesa %(mb)s MB; el máximo es %(max)s MB.")
                              % {"mb": round(len(content) / MB, 1), "max": max_bytes // MB}, code="too_big")
    kind = sniff(content)
    accepted = ", ".join(sorted({LABELS[k] for k in allowed}))
    if kind is None or kind not in allowed:
        raise ValidationError(_("El archivo no es %(accepted)s: su contenido no corresponde. Envíe una foto, "
                                "un PDF o un audio tal como salió del celular.") % {"accepted": accepted},
                              code="kind")
    if kind in OFFICE and _zip_bomb(content):
        raise ValidationError(_("El documento se descomprime en demasiados datos; no se aceptó."), code="bomb")
    if kind in IMAGES and not _image_sound(content):
        raise ValidationError(_("La imagen está dañada o es demasiado grande para abrirla."), code="image")
    return kind
