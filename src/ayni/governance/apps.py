from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "ayni.governance"
    verbose_name = _("Gobierno democrático")

    def ready(self) -> None:
        # Votes (`V 12 SI`) and attendance (`PRESENTE`) by text message, through capture's registry.
        from ayni.governance import texts

        texts.register()
