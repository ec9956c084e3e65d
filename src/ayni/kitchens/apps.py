from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class KitchensConfig(AppConfig):
    name = "ayni.kitchens"
    verbose_name = _("Operación de cocinas")

    def ready(self) -> None:
        from ayni.audit.models import AuditEntry
        from ayni.kitchens.summaries import follow_moved_subtree

        # Moving an organisation rewrites the paths of its subtree with one UPDATE (no model
        # signal) and records an "org.move" audit entry in the same transaction: that entry is
        # the hook for the monthly summaries, which store the kitchen's path, to follow.
        post_save.connect(follow_moved_subtree, sender=AuditEntry, dispatch_uid="kitchens-follow-move")
