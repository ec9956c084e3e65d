from django.db import models
from django.forms.models import model_to_dict

from ayni.audit.models import AuditEntry
from ayni.lib.db import insert_columns, insert_rows


def snapshot(obj: models.Model, exclude: tuple[str, ...] = ()) -> dict:
    """JSON-safe field values of a row, for the before/after of an audit entry."""
    data = model_to_dict(obj, exclude=list(exclude))
    return {k: (v if isinstance(v, int | float | bool | type(None)) else str(v)) for k, v in data.items()}


def entry(*, scope, action: str, obj: models.Model, org_path: str, before: dict | None = None,
          after: dict | None = None) -> AuditEntry:
    """One audit entry, not yet written: who (the scope's account, or the system and its reason)
    did what to which row. `record` writes one, `record_many` a service's many at once."""
    return AuditEntry(
        actor=scope.actor,
        reason=scope.system_reason[:200],
        action=action,
        object_type=obj._meta.model_name,
        object_id=str(obj.pk),
        object_label=str(obj)[:200],
        org_path=org_path,
        before=before or {},
        after=after or {},
    )


def record(*, scope, action: str, obj: models.Model, org_path: str, before: dict | None = None,
           after: dict | None = None) -> AuditEntry:
    """Write one audit entry. Call inside the service's transaction, so a rolled-back change
    leaves no entry behind."""
    audit = entry(scope=scope, action=action, obj=obj, org_path=org_path, before=before, after=after)
    audit.save(force_insert=True)
    return audit


def record_many(entries: list[AuditEntry]) -> None:
    """Write the entries `entry` made, all at once (their ids are not read back), inside the
    service's transaction, as `record`."""
    insert_rows(entries)


def record_columns(columns: dict[str, list]) -> None:
    """Write many entries given as columns of values (field name → one value per entry), with
    no model instance per entry (`lib.db.insert_columns`): the sync's hundred entries a batch.
    Named as `entry` names them; inside the service's transaction, as `record`."""
    insert_columns(AuditEntry, columns)
