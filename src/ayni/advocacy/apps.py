from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdvocacyConfig(AppConfig):
    name = "ayni.advocacy"
    verbose_name = _("Incidencia y vigilancia ciudadana")

    def ready(self):
        # Follow-ups (`K 34 AVANCE …`) and score-card ratings (`CAL 3 4 3 5 4`) arrive as texts
        # through capture, which knows nothing of this app: the keywords are registered here.
        from ayni.advocacy import texts
        from ayni.capture import commands

        commands.register(texts.FOLLOW_UP)
        commands.register(texts.RATING)
