from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaptureConfig(AppConfig):
    name = "ayni.capture"
    verbose_name = _("Captura de datos: API, mensajes de texto y envíos sin conexión")
