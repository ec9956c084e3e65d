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
        # The equity roll-up follows every write that changes who is a member or who was trained.
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from ayni.leadership import equity
        from ayni.leadership.models import Enrolment
        from ayni.orgs.models import Organisation
        from ayni.orgs.signals import district_changed, subtree_moved
        from ayni.people.models import Membership, Person

        post_save.connect(equity.enrolment_changed, sender=Enrolment, dispatch_uid="equity-enrolment")
        post_delete.connect(equity.enrolment_changed, sender=Enrolment, dispatch_uid="equity-enrolment-del")
        post_save.connect(equity.membership_changed, sender=Membership, dispatch_uid="equity-membership")
        post_delete.connect(equity.membership_changed, sender=Membership, dispatch_uid="equity-membership-del")
        post_save.connect(equity.person_changed, sender=Person, dispatch_uid="equity-person")
        m2m_changed.connect(equity.languages_changed, sender=Person.languages.through, dispatch_uid="equity-languages")
        post_save.connect(equity.organisation_saved, sender=Organisation, dispatch_uid="equity-org")
        post_delete.connect(equity.organisation_deleted, sender=Organisation, dispatch_uid="equity-org-del")
        subtree_moved.connect(equity.subtree_moved, dispatch_uid="equity-follow-move")
        district_changed.connect(equity.district_changed, dispatch_uid="equity-follow-district")
