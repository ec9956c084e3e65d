"""Keeping a file: checked, hashed, stored once. Domains call `keep` inside their own transaction,
then link the returned `StoredFile` from their row."""

from django.db import IntegrityError, transaction

from ayni.files.models import StoredFile, digest
from ayni.lib import uploads


def keep(content: bytes, *, allowed=uploads.DOCUMENTS, max_bytes: int = uploads.MAX_BYTES) -> tuple[StoredFile, bool]:
    """(the stored file, whether it is new). Raises ValidationError for a file that is not what it
    claims, too big, or unsound. A file already kept is linked, not stored twice."""
    kind = uploads.check(content, allowed=allowed, max_bytes=max_bytes)
    sha = digest(content)
    existing = StoredFile.objects.filter(sha256=sha).defer("content").first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():  # two uploads of one photo at once: the second links the first
            return StoredFile.objects.create(sha256=sha, kind=kind, size=len(content), content=content), True
    except IntegrityError:
        return StoredFile.objects.defer("content").get(sha256=sha), False


def keep_upload(upload, **kwargs) -> tuple[StoredFile, bool]:
    """`keep` for a Django upload, read within the size limit."""
    return keep(uploads.read(upload, kwargs.get("max_bytes", uploads.MAX_BYTES)), **kwargs)
