"""Kept files: the kind read from the bytes, not the name; bombs and impostors refused with a
Spanish message; the same content kept once; served only as what it is; integrity checks the hash."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from ayni.files.http import file_response
from ayni.files.integrity import file_violations
from ayni.files.models import StoredFile
from ayni.files.services import keep, keep_upload
from ayni.lib import uploads


def png(width=20, height=10) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, "PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 30), "red").save(out, "JPEG")
    return out.getvalue()


def docx(inner: bytes = b"<w:document/>") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", inner)
    return out.getvalue()


@pytest.mark.parametrize("content,kind", [
    (b"%PDF-1.7\n...", uploads.Kind.PDF), (b"OggS\x00\x02rest", uploads.Kind.OGG),
    (b"ID3\x04rest", uploads.Kind.MP3), (b"\x00\x00\x00\x20ftypM4A rest", uploads.Kind.M4A),
    (b"\x00\x00\x00\x20ftypisomrest", uploads.Kind.MP4), (b"#!AMR\nrest", uploads.Kind.AMR),
    (b"RIFF\x00\x00\x00\x00WAVEfmt ", uploads.Kind.WAV),
])
def test_kind_is_read_from_the_bytes(content, kind):
    assert uploads.sniff(content) == kind


def test_images_and_office_documents():
    assert uploads.check(png()) == uploads.Kind.PNG
    assert uploads.check(jpeg()) == uploads.Kind.JPEG
    assert uploads.check(docx(), allowed=uploads.OFFICE) == uploads.Kind.DOCX


@pytest.mark.parametrize("content", [
    b"MZ\x90\x00\x03 this is a windows executable", b"\x7fELF\x02\x01\x01", b"<html><script>alert(1)</script>",
    b"#!/bin/sh\nrm -rf /", b"\xff\xd8\xff\xe0 not really a jpeg at all",
])
def test_an_image_that_is_not_one_is_refused(content):
    with pytest.raises(ValidationError) as refused:
        uploads.check(content)
    assert refused.value.code in ("kind", "image")
    assert "no es" in refused.value.messages[0] or "dañada" in refused.value.messages[0]


def test_a_zip_bomb_dressed_as_a_document_is_refused():
    bomb = docx(b"0" * (90 * uploads.MB))
    assert len(bomb) < uploads.MB
    with pytest.raises(ValidationError) as refused:
        uploads.check(bomb, allowed=uploads.OFFICE)
    assert refused.value.code == "bomb"
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("payload.exe", b"MZ")
    with pytest.raises(ValidationError):
        uploads.check(plain_zip.getvalue(), allowed=uploads.ANY)


def test_a_pixel_bomb_is_refused(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_PIXELS", 100)
    with pytest.raises(ValidationError) as refused:
        uploads.check(png(20, 10))
    assert refused.value.code == "image"


def test_size_limit_without_reading_the_rest():
    with pytest.raises(ValidationError) as refused:
        uploads.read(SimpleUploadedFile("a.pdf", b"%PDF-" + b"0" * 2000), max_bytes=1000)
    assert "máximo" in refused.value.messages[0]
    with pytest.raises(ValidationError):
        uploads.read(SimpleUploadedFile("a.pdf", b""))


@pytest.mark.django_db
def test_the_same_content_is_kept_once_and_checked_by_integrity():
    first, new = keep(png())
    again, new_again = keep_upload(SimpleUploadedFile("otra-foto.png", png()))
    assert new and not new_again and first.pk == again.pk
    assert StoredFile.objects.count() == 1 and file_violations() == []
    StoredFile.objects.filter(pk=first.pk).update(content=b"altered")
    assert len(file_violations()) == 1


@pytest.mark.django_db
def test_served_as_what_it_is_never_as_a_page():
    stored, _ = keep(b"%PDF-1.4\n%...")
    response = file_response(stored, "Acta <firmada>.pdf", download=True)
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Content-Disposition"] == 'attachment; filename="acta-firmada.pdf"'
    assert response.content.startswith(b"%PDF-")
