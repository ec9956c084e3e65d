from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KitchensConfig(AppConfig):
    name = "ayni.kitchens"
    verbose_name = _("Operación de cocinas")
