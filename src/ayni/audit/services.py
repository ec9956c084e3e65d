from django.db import models
from django.forms.models import model_to_dict

from ayni.audit.models import AuditEntry
from ayni.lib.db import insert_columns, insert_rows

_AS_IS = (int, float, bool, type(None))
# The fields `model_to_dict` reads, per model and fields left out: worked out once (a batch of a
# hundred reports takes a hundred snapshots). A model with many-to-many or private fields is
# left to `model_to_dict`, which reads those its own way.
_FIELDS: dict = {}


def snapshot(obj: models.Model, exclude: tuple[str, ...] = ()) -> dict:
    """JSON-safe field values of a row, for the before/after of an audit entry: what
    `model_to_dict` gives (the editable fields, a foreign key as its id)."""
    key = (type(obj), tuple(exclude))
    fields = _FIELDS.get(key, False)
    if fields is False:
        meta = obj._meta
        fields = _FIELDS[key] = None if meta.many_to_many or meta.private_fields else [
            f for f in meta.concrete_fields if f.editable and f.name not in exclude]
    if fields is None:
        data = model_to_dict(obj, exclude=list(exclude))
    else:
        data = {f.name: f.value_from_object(obj) for f in fields}
    return {k: (v if isinstance(v, _AS_IS) else str(v)) for k, v in data.items()}


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
