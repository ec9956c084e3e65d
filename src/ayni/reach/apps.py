from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReachConfig(AppConfig):
    name = "ayni.reach"
    verbose_name = _("Formularios de campo (ODK Collect)")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from ayni.capture import inbound
        from ayni.reach import compact, middleware, services

        user_logged_in.connect(middleware.remember_language, dispatch_uid="ayni.reach.language")

        # A stored OpenRosa submission is read into the web form's fields by reach, whoever
        # processes it (the submission itself, or `ayni replay-inbound` after a failure).
        inbound.register_reader(services.FORMAT, services.read_submission)
        # The same forms by text message, in their compact record representation (PD …, MV …).
        compact.register()
