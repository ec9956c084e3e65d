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
        # What the dashboards show of the tree itself (names, which kitchens are active, which
        # units there are) moves their revision too, in the saving transaction: a model signal,
        # because every change of an organisation is a save (`summaries.touch`).
        from django.db.models.signals import post_delete, post_save

        from ayni.orgs.models import Organisation

        post_save.connect(summaries.organisation_changed, sender=Organisation, dispatch_uid="kitchens-touch-org")
        post_delete.connect(summaries.organisation_changed, sender=Organisation, dispatch_uid="kitchens-touch-org-del")
        subtree_moved.connect(summaries.subtree_moved_touch, dispatch_uid="kitchens-touch-move")
        # A month closed, validated or returned changes the alert lists and the kitchens'
        # summaries kept per revision (`kitchens/kept.py`); the close services save the row.
        from ayni.kitchens import kept
        from ayni.kitchens.models import MonthClose

        post_save.connect(kept.month_close_changed, sender=MonthClose, dispatch_uid="kitchens-touch-close")
        post_delete.connect(kept.month_close_changed, sender=MonthClose, dispatch_uid="kitchens-touch-close-del")
