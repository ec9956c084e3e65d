"""Files as evidence: kept once per content, never altered.

A `StoredFile` is the bytes and their SHA-256, the kind read from the bytes (`lib/uploads.py`)
and when they first arrived. The same photo uploaded twice (to two commitments, or twice by a
slip) is one row: domains link to it from their own tables, where they keep what the file is
*to them* — its name, caption, whether it is published. The bytes live in the database, so a
file and the record that cites it are saved in one transaction and backed up together.
"""

import hashlib

from django.db import models
from django.utils.translation import gettext_lazy as _

from ayni.lib import uploads


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class StoredFile(models.Model):
    sha256 = models.CharField(max_length=64, unique=True)
    kind = models.CharField(_("tipo"), max_length=8)
    size = models.PositiveIntegerField(_("tamaño"))
    content = models.BinaryField()
    received_at = models.DateTimeField(_("recibido"), auto_now_add=True)

    class Meta:
        verbose_name = _("archivo")
        verbose_name_plural = _("archivos")

    def __str__(self):
        return f"{self.sha256[:12]}.{uploads.extension(self.kind)}"

    @property
    def content_type(self) -> str:
        return uploads.CONTENT_TYPES.get(self.kind, "application/octet-stream")

    @property
    def short_hash(self) -> str:
        return self.sha256[:12]
