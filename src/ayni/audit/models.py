"""Audit trail: who changed what registry data, when, with the values before and after.

Each entry carries the materialized path of the organisation it concerns, so a coordinator's
audit page is the same one-prefix query as every other scoped read.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ayni.audit import display


class AuditEntry(models.Model):
    at = models.DateTimeField(_("fecha"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("quién")
    )
    # Why no account was needed, when the change came from the system (`Scope.system`): a
    # command on the server, a scheduled task, a text message authorised by its phone.
    reason = models.CharField(_("motivo"), max_length=200, blank=True)
    action = models.CharField(_("acción"), max_length=40)
    object_type = models.CharField(_("tipo"), max_length=40)
    object_id = models.CharField(max_length=40)
    object_label = models.CharField(_("objeto"), max_length=200)
    org_path = models.CharField(max_length=255, db_index=True, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("registro de auditoría")
        verbose_name_plural = _("registros de auditoría")
        indexes = [
            models.Index(fields=["org_path", "at"], name="audit_path_at"),
            models.Index(
                fields=["org_path"], name="audit_path_like", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_label}"

    def changes(self) -> list[tuple[str, str, str, bool]]:
        """The changed fields as (label, before, after, changed), in words (audit/display.py)."""
        return display.changes(display.model_for(self.object_type), self.before, self.after)

    @property
    def actor_text(self) -> str:
        """Who made the change, in words: the account, or the system and why."""
        if self.actor_id:
            return str(self.actor)
        return _("sistema (%(reason)s)") % {"reason": self.reason} if self.reason else str(_("sistema"))

    @property
    def action_text(self) -> str:
        return display.action_label(self.action)

    @property
    def object_text(self) -> str:
        return display.object_label(self.object_type, self.object_label)
