from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MemoryConfig(AppConfig):
    name = "ayni.memory"
    verbose_name = _("Memoria y experiencias")

    def ready(self):
        from django.db.models.signals import pre_delete

        from ayni.memory.models import MemorialRecord, MemorialVersion, refuse_deletion

        for model in (MemorialRecord, MemorialVersion):
            pre_delete.connect(refuse_deletion, sender=model, dispatch_uid=f"memory.keep.{model.__name__}")
