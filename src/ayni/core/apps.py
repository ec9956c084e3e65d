from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "ayni.core"
    verbose_name = _("Núcleo")

    def ready(self) -> None:
        from ayni.core.catalogues import reload_empty_catalogues

        # Once per migrate/flush (dispatch_uid), not once per installed app.
        post_migrate.connect(reload_empty_catalogues, dispatch_uid="ayni.reload_empty_catalogues")
        # The home page's kept parts about boards follow every change of a position (core/panels.py).
        from django.db.models.signals import post_delete, post_save

        from ayni.core.panels import enrolment_completed, organisation_created, position_changed
        from ayni.leadership.models import Enrolment
        from ayni.orgs.models import Organisation
        from ayni.people.models import Position

        post_save.connect(position_changed, sender=Position, dispatch_uid="home-position")
        post_delete.connect(position_changed, sender=Position, dispatch_uid="home-position-del")
        post_save.connect(organisation_created, sender=Organisation, dispatch_uid="home-organisation")
        post_save.connect(enrolment_completed, sender=Enrolment, dispatch_uid="home-enrolment")
