from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "ayni.people"
    verbose_name = _("Personas")

    def ready(self):
        from django.db.models.signals import post_migrate

        from ayni.people.search import keep_index_in_step

        # After any migration: SQLite drops a table's triggers when it rebuilds the table.
        post_migrate.connect(keep_index_in_step, sender=self)
