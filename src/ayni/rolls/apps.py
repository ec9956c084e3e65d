from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RollsConfig(AppConfig):
    name = "ayni.rolls"
    verbose_name = _("Padrón de usuarios")

    def ready(self) -> None:
        from ayni.orgs.signals import district_changed, subtree_moved
        from ayni.rolls.counts import follow_district_change, follow_moved_kitchens

        # As for the monthly summaries (kitchens/apps.py): the organisation services' signals,
        # sent in the move's transaction, carry the people counts to the new cells.
        subtree_moved.connect(follow_moved_kitchens, dispatch_uid="rolls-follow-move")
        district_changed.connect(follow_district_change, dispatch_uid="rolls-follow-district")
