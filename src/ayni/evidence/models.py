"""Evidence reads what the other domains record; the only thing it stores is a federation's
decision to publish its aggregated figures as open data."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ayni.orgs.models import Organisation


class PublicProfile(models.Model):
    """A federation's open-data page (*datos abiertos*): off until its board switches it on,
    because publishing even aggregates is the organisation's decision, not the platform's."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="public_profile",
                                        verbose_name=_("organización"))
    enabled = models.BooleanField(_("publicar datos abiertos"), default=False)
    note = models.TextField(_("nota para el público"), blank=True, max_length=1000)
    changed_at = models.DateTimeField(auto_now=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        verbose_name = _("página pública")
        verbose_name_plural = _("páginas públicas")

    def __str__(self) -> str:
        return f"{self.organisation} ({'on' if self.enabled else 'off'})"
