from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EconomyConfig(AppConfig):
    name = "ayni.economy"
    verbose_name = _("Economía")

    def ready(self):
        from ayni.capture import context_processors, inbound
        from ayni.capture.models import Inbound
        from ayni.economy import meeting, texts

        texts.register_all()
        # The treasurer's meeting sheet goes through capture's outbox: stored raw, applied once.
        inbound.register_handler(Inbound.Kind.SAVINGS_MEETING, meeting.apply_stored_sheet)
        context_processors.register_form("economy:meeting", kind="meeting", api="economy:sync", target="group")
