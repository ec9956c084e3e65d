from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class GeoConfig(AppConfig):
    name = "ayni.geo"
    verbose_name = _("Geografía")

    def ready(self) -> None:
        from ayni.geo.loader import load_after_migrate
        from ayni.geo.packs import register_pack_numberings

        # Loading on post_migrate (not in a data migration) means an updated CSV is picked up
        # by the next `migrate`, and the test database gets the geography for free.
        post_migrate.connect(load_after_migrate, sender=self)
        # Each country pack's phone numbering, so lib/phone.py knows `+591…` from the start.
        register_pack_numberings()
