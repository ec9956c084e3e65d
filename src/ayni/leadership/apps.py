from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadershipConfig(AppConfig):
    name = "ayni.leadership"
    verbose_name = _("Formación y liderazgo")

    def ready(self):
        # Attendance marked on a phone without signal arrives through capture's raw-first path;
        # capture sits below us and hands the stored item back to our handler.
        from ayni.capture.context_processors import register_form
        from ayni.capture.inbound import register_handler
        from ayni.capture.models import Inbound
        from ayni.leadership.services import apply_inbound

        register_handler(Inbound.Kind.ATTENDANCE, apply_inbound)
        # The facilitator's list gets the outbox, posting to the session's own batch address.
        register_form("leadership:attendance", kind="attendance", api="leadership:batch", target="session")
