"""The one state change evidence owns: publishing a federation's open data, or not."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can, Scope
from ayni.audit.services import record
from ayni.evidence.models import PublicProfile
from ayni.orgs.models import Organisation


@transaction.atomic
def set_public_profile(*, scope: Scope, organisation: Organisation, enabled: bool, note: str = "") -> PublicProfile:
    """Switch the organisation's open-data page on or off, with an audit entry: publishing is
    a decision of the organisation, and who took it must stay on record."""
    scope.require(Can.EDIT, organisation)
    if organisation.kind.is_kitchen:
        raise ValidationError(_("Una cocina sola no publica datos abiertos: sus totales serían sus propias cuentas."))
    profile, _created = PublicProfile.objects.select_for_update().get_or_create(organisation=organisation)
    before = {"enabled": profile.enabled, "note": profile.note}
    profile.enabled, profile.note = enabled, (note or "").strip()
    profile.changed_by = scope.actor
    profile.save()
    record(scope=scope, action="evidence.public_profile", obj=profile, org_path=organisation.path, before=before,
           after={"enabled": profile.enabled, "note": profile.note})
    return profile
