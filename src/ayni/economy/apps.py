from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EconomyConfig(AppConfig):
    name = "ayni.economy"
    verbose_name = _("Economía")

    def ready(self):
        from ayni.capture import context_processors, inbound
        from ayni.capture.models import Inbound
        from ayni.economy import meeting, producers, texts
        from ayni.evidence import panels
        from ayni.orgs.signals import subtree_moved

        texts.register_all()
        # The purchases' roll-up is kept by the buyer's path: it follows a subtree that moves.
        subtree_moved.connect(producers.follow_moved_subtree, dispatch_uid="economy-purchases-follow-move")
        # The treasurer's meeting sheet goes through capture's outbox: stored raw, applied once.
        inbound.register_handler(Inbound.Kind.SAVINGS_MEETING, meeting.apply_stored_sheet)
        context_processors.register_form("economy:meeting", kind="meeting", api="economy:sync", target="group")
        # The family-farming share on the evidence dashboard, map and brief (evidence may not import economy).
        panels.register_indicator(panels.Indicator(
            key=producers.PANEL_KEY, label=_("Compras a la agricultura familiar (%)"), figure=producers.panel_figure,
            places=producers.place_shares, decimals=1, unit=" %",
            title=_("Compras a la agricultura familiar (Ley 31071)")))
