from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KitchensConfig(AppConfig):
    name = "ayni.kitchens"
    verbose_name = _("Operación de cocinas")

    def ready(self) -> None:
        from ayni.kitchens import deliveries, summaries
        from ayni.orgs.signals import district_changed, subtree_moved

        # Moving a subtree rewrites its paths with one UPDATE (no model signal), and a kitchen's
        # district is one field of a save: the organisation services announce both, inside
        # their transaction, and the figures kept by path and district follow.
        subtree_moved.connect(summaries.follow_moved_subtree, dispatch_uid="kitchens-follow-move")
        district_changed.connect(summaries.follow_district_change, dispatch_uid="kitchens-follow-district")
        subtree_moved.connect(deliveries.follow_moved_subtree, dispatch_uid="kitchens-deliveries-follow-move")
        district_changed.connect(deliveries.follow_district_change, dispatch_uid="kitchens-deliveries-follow-district")
