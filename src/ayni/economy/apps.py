from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EconomyConfig(AppConfig):
    name = "ayni.economy"
    verbose_name = _("Economía")

    def ready(self):
        from ayni.economy import texts

        texts.register_all()
