"""Reach keeps only what capture's `Inbound` has no place for: the files that came with an
OpenRosa submission (a photo of the delivery note). The submission itself — its XML, raw — is a
capture `Inbound` like every other way in (channel `odk`)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from ayni.capture.models import Inbound
from ayni.files.models import StoredFile


class SubmissionFile(models.Model):
    """A file attached to an OpenRosa submission, under the name the form gave it. A split
    submission (ODK Collect sends large attachments in several posts with the same XML) adds its
    files to the same `Inbound`; a file sent again is linked once."""

    inbound = models.ForeignKey(Inbound, on_delete=models.CASCADE, related_name="odk_files")
    name = models.CharField(_("nombre"), max_length=255)
    file = models.ForeignKey(StoredFile, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("archivo de un formulario")
        verbose_name_plural = _("archivos de formularios")
        constraints = [models.UniqueConstraint(fields=["inbound", "name"], name="one_odk_file_per_name")]

    def __str__(self) -> str:
        return self.name
