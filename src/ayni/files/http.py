"""Serving a kept file: only after the domain's view has decided the user (or the public) may see
it. The type is the one read from the bytes; the browser is told not to guess another, and a
file is never run as a page."""

import re

from django.http import HttpResponse

from ayni.files.models import StoredFile
from ayni.lib import uploads
from ayni.lib.text import fold


def file_response(stored: StoredFile, name: str = "", *, download: bool = False) -> HttpResponse:
    content = StoredFile.objects.values_list("content", flat=True).get(pk=stored.pk)
    response = HttpResponse(bytes(content), content_type=stored.content_type)
    stem = fold(name).rsplit(".", 1)[0] if "." in name else fold(name)
    safe = "-".join(re.findall(r"[a-z0-9_]+", stem))[:60]
    filename = f"{safe or stored.short_hash}.{uploads.extension(stored.kind)}"
    response["Content-Disposition"] = f'{"attachment" if download else "inline"}; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'"
    response["Cache-Control"] = "private, max-age=3600"
    return response
