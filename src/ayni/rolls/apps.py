from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RollsConfig(AppConfig):
    name = "ayni.rolls"
    verbose_name = _("Padrón de usuarios")
