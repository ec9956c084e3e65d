from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MemoryConfig(AppConfig):
    name = "ayni.memory"
    verbose_name = _("Memoria y experiencias")
