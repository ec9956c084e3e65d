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
        # The organisation page's registry part follows its requirements and who verified them
        # (core/registry.py).
        from django.db.models.signals import pre_delete

        from ayni.accounts.models import User
        from ayni.core.registry import requirement_changed, verifier_renamed
        from ayni.orgs.models import RequirementCheck

        post_save.connect(requirement_changed, sender=RequirementCheck, dispatch_uid="registry-requirement")
        post_delete.connect(requirement_changed, sender=RequirementCheck, dispatch_uid="registry-requirement-del")
        post_save.connect(verifier_renamed, sender=User, dispatch_uid="registry-verifier")
        pre_delete.connect(verifier_renamed, sender=User, dispatch_uid="registry-verifier-del")
