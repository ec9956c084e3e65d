from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdvocacyConfig(AppConfig):
    name = "ayni.advocacy"
    verbose_name = _("Incidencia y vigilancia ciudadana")

    def ready(self):
        # Follow-ups (`K 34 AVANCE …`) and score-card ratings (`CAL 3 4 3 5 4`) arrive as texts
        # through capture, which knows nothing of this app: the keywords are registered here.
        from ayni.advocacy import outbox, texts
        from ayni.capture import commands, context_processors, inbound
        from ayni.capture.models import Inbound

        commands.register(texts.FOLLOW_UP)
        commands.register(texts.RATING)
        # A follow-up recorded without signal goes through capture's outbox: stored raw, applied once.
        inbound.register_handler(Inbound.Kind.FOLLOW_UP, outbox.apply_follow_up)
        context_processors.register_form(
            "advocacy:stage", kind="follow_up", api="advocacy:stage_batch", target="commitment"
        )
