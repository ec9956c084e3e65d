from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReachConfig(AppConfig):
    name = "ayni.reach"
    verbose_name = _("Formularios de campo (ODK Collect)")

    def ready(self):
        from ayni.capture import inbound
        from ayni.reach import services

        # A stored OpenRosa submission is read into the web form's fields by reach, whoever
        # processes it (the submission itself, or `ayni replay-inbound` after a failure).
        inbound.register_reader(services.FORMAT, services.read_submission)
