from django.db import models
from django.forms.models import model_to_dict

from ayni.audit.models import AuditEntry


def snapshot(obj: models.Model, exclude: tuple[str, ...] = ()) -> dict:
    """JSON-safe field values of a row, for the before/after of an audit entry."""
    data = model_to_dict(obj, exclude=list(exclude))
    return {k: (v if isinstance(v, int | float | bool | type(None)) else str(v)) for k, v in data.items()}


def record(*, scope=None, actor=None, action: str, obj: models.Model, org_path: str,
           before: dict | None = None, after: dict | None = None) -> AuditEntry:
    """Write one audit entry: who (the scope's account, or the system and its reason). Call
    inside the service's transaction, so a rolled-back change leaves no entry behind.

    `actor=` is the older spelling, kept only while services move to `scope=`."""
    if scope is not None:
        actor, reason = scope.actor, scope.system_reason
    else:
        actor, reason = (actor if getattr(actor, "pk", None) else None), ""
    return AuditEntry.objects.create(
        actor=actor,
        reason=reason[:200],
        action=action,
        object_type=obj._meta.model_name,
        object_id=str(obj.pk),
        object_label=str(obj)[:200],
        org_path=org_path,
        before=before or {},
        after=after or {},
    )
