from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "ayni.governance"
    verbose_name = _("Gobierno democrático")
