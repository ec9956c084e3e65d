from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReachConfig(AppConfig):
    name = "ayni.reach"
    verbose_name = _("Formularios de campo (ODK Collect)")
