from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class RollsConfig(AppConfig):
    name = "ayni.rolls"
    verbose_name = _("Padrón de usuarios")

    def ready(self) -> None:
        from ayni.audit.models import AuditEntry
        from ayni.rolls.counts import follow_moved_kitchens

        # As for the monthly summaries (kitchens/apps.py): the "org.move" and "org.update" audit
        # entries, written in the move's transaction, carry the people counts to the new cells.
        post_save.connect(follow_moved_kitchens, sender=AuditEntry, dispatch_uid="rolls-follow-move")
