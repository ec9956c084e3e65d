"""State changes of the organisation tree. Views, API, imports and the demo all call these."""

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can, Scope
from ayni.audit.services import record, snapshot
from ayni.geo.models import Country
from ayni.orgs.models import PATH_STEP, Organisation, OrgKind, RequirementCheck, RequirementItem, path_segment
from ayni.orgs.signals import district_changed, subtree_moved

EDITABLE_FIELDS = (
    "name", "district", "address", "latitude", "longitude", "founded_on",
    "ruos_number", "municipal_resolution", "sunarp_entry", "area",
)


def _country_name(code: str) -> str:
    country = Country.objects.filter(code=code).first()
    return country.name if country else code


def check_country(parent: Organisation | None, country: str) -> None:
    """The tree crosses borders only at its top: a regional network's federations may be of
    several countries, and everything under a federation is of the federation's."""
    if parent is not None and parent.parent_id is not None and country != parent.country:
        raise ValidationError({"country": _("%(parent)s es de %(country)s: las organizaciones que dependen de ella "
                                            "son del mismo país.") % {"parent": parent.name,
                                                                      "country": _country_name(parent.country)}})


def check_place(org: Organisation, kind: OrgKind) -> None:
    """Peru's places are its districts (UBIGEO); another country's, its pack's areas (`geo.Area`),
    of that country. A base organisation always says where it is."""
    if org.country == "PE":
        if org.area_id is not None:
            raise ValidationError({"district": _("Una organización del Perú se ubica por su distrito (UBIGEO).")})
        if kind.level >= 3 and org.district_id is None:
            raise ValidationError({"district": _("Indique el distrito (UBIGEO) de la organización.")})
        return
    if org.district_id is not None:
        raise ValidationError({"area": _("Una organización de %(country)s no se ubica en un distrito del Perú: "
                                         "elija su lugar.") % {"country": _country_name(org.country)}})
    if org.area_id is not None and org.area.country_id != org.country:
        raise ValidationError({"area": _("%(area)s es un lugar de %(other)s; esta organización es de %(country)s.")
                               % {"area": org.area.name, "other": _country_name(org.area.country_id),
                                  "country": _country_name(org.country)}})
    if kind.level >= 3 and org.area_id is None:
        raise ValidationError({"area": _("Indique el lugar de la organización.")})


def check_containment(parent: Organisation | None, kind: OrgKind) -> None:
    if parent is None:
        if kind.level != 1:
            raise ValidationError({"parent": _("Solo una confederación puede estar en la raíz del árbol.")})
        return
    if not parent.kind.may_contain.filter(pk=kind.pk).exists():
        raise ValidationError(
            {"kind": _("Un(a) %(child)s no puede estar dentro de un(a) %(parent)s.")
             % {"child": kind.name.lower(), "parent": parent.kind.name.lower()}}
        )


def _full_clean(org: Organisation) -> None:
    # `path` is computed after the insert, so it is not validated here.
    org.full_clean(exclude=["path", "parent", "kind"], validate_unique=False)


@transaction.atomic
def create_organisation(*, scope: Scope, kind: OrgKind, parent: Organisation | None, name: str,
                        **fields) -> Organisation:
    """Register an organisation under `parent` (which the scope must be allowed to extend)."""
    if parent is not None:
        scope.require(Can.CREATE_CHILD, parent)
    elif not scope.is_platform_admin:
        raise ValidationError({"parent": _("Solo la administración de la plataforma crea confederaciones.")})
    check_containment(parent, kind)
    if parent is not None:
        fields.setdefault("country", parent.country)  # a federation's organisations share its country
    check_country(parent, fields.get("country") or "PE")
    org = Organisation(kind=kind, parent=parent, name=name.strip(), **fields)
    check_place(org, kind)
    org.path = f"tmp-{uuid.uuid4().hex}"
    _full_clean(org)
    org.save()
    org.path = (parent.path if parent else "") + path_segment(org.pk)
    org.depth = parent.depth + 1 if parent else 0
    Organisation.objects.filter(pk=org.pk).update(path=org.path, depth=org.depth)
    record(scope=scope, action="org.create", obj=org, org_path=org.path, after=snapshot(org))
    return org


@transaction.atomic
def update_organisation(*, scope: Scope, organisation: Organisation, **fields) -> Organisation:
    org = Organisation.objects.select_for_update().select_related("kind").get(pk=organisation.pk)
    scope.require(Can.EDIT, org)
    before = snapshot(org)
    old_district = org.district_id
    for name, value in fields.items():
        if name not in EDITABLE_FIELDS:
            raise ValueError(f"{name} is not editable here")
        setattr(org, name, value.strip() if isinstance(value, str) else value)
    check_place(org, org.kind)
    _full_clean(org)
    org.save()
    if org.district_id != old_district:
        district_changed.send(sender=Organisation, organisation=org, old_district=old_district,
                              new_district=org.district_id)
    record(scope=scope, action="org.update", obj=org, org_path=org.path, before=before, after=snapshot(org))
    return org


@transaction.atomic
def set_status(*, scope: Scope, organisation: Organisation, status: str, on, reason: str = "") -> Organisation:
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    scope.require(Can.CREATE_CHILD if org.parent_id else Can.EDIT, org.parent or org)
    if status not in Organisation.Status.values:
        raise ValidationError({"status": _("Estado desconocido.")})
    if status != Organisation.Status.ACTIVE and not reason.strip():
        raise ValidationError({"reason": _("Indique el motivo del cambio de estado.")})
    if on and on > timezone.localdate():
        raise ValidationError({"on": _("La fecha del cambio de estado no puede ser futura.")})
    before = snapshot(org)
    org.status, org.status_changed_on, org.status_reason = status, on or timezone.localdate(), reason.strip()
    org.save(update_fields=["status", "status_changed_on", "status_reason", "updated_at"])
    record(scope=scope, action="org.status", obj=org, org_path=org.path, before=before, after=snapshot(org))
    return org


@transaction.atomic
def move_organisation(*, scope: Scope, organisation: Organisation, new_parent: Organisation) -> Organisation:
    """Move an organisation and its whole subtree under `new_parent` with one UPDATE."""
    org = Organisation.objects.select_for_update(of=("self",)).select_related("kind", "parent").get(pk=organisation.pk)
    new_parent = Organisation.objects.select_related("kind").get(pk=new_parent.pk)
    scope.require(Can.CREATE_CHILD, org.parent or org)
    scope.require(Can.CREATE_CHILD, new_parent)
    if new_parent.path.startswith(org.path):
        raise ValidationError(
            {"new_parent": _("No se puede mover %(org)s dentro de sí misma o de una organización que depende de ella.")
             % {"org": org.name}}
        )
    check_containment(new_parent, org.kind)
    check_country(new_parent, org.country)
    if org.parent_id == new_parent.pk:
        return org
    old_path, new_path = org.path, new_parent.path + path_segment(org.pk)
    delta = new_parent.depth + 1 - org.depth
    before = {"parent": org.parent_id, "path": old_path}
    Organisation.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + delta,
    )
    Organisation.objects.filter(pk=org.pk).update(parent=new_parent)
    # Audit entries of the subtree follow it, so the new coordinator reads its history.
    from ayni.audit.models import AuditEntry

    AuditEntry.objects.filter(org_path__startswith=old_path).update(
        org_path=Concat(Value(new_path), Substr("org_path", len(old_path) + 1))
    )
    org.refresh_from_db()
    subtree_moved.send(sender=Organisation, organisation=org, old_path=old_path, new_path=new_path)
    record(scope=scope, action="org.move", obj=org, org_path=org.path, before=before,
           after={"parent": new_parent.pk, "path": org.path})
    return org


@transaction.atomic
def verify_requirement(*, scope: Scope, organisation: Organisation, item: RequirementItem, verified_on,
                       note: str = "", verified: bool = True) -> RequirementCheck | None:
    """Mark a checklist document as seen (or take the mark back)."""
    scope.require(Can.VALIDATE, organisation)
    if verified and verified_on > timezone.localdate():
        raise ValidationError({"verified_on": _("La fecha de verificación no puede ser futura.")})
    existing = RequirementCheck.objects.filter(organisation=organisation, item=item).first()
    before = snapshot(existing) if existing else {}
    if not verified:
        if existing:
            existing.delete()
            record(scope=scope, action="org.requirement.remove", obj=organisation, org_path=organisation.path,
                   before=before)
        return None
    check, _created = RequirementCheck.objects.update_or_create(
        organisation=organisation, item=item,
        defaults={"verified_on": verified_on, "verified_by": scope.actor, "note": note.strip()},
    )
    record(scope=scope, action="org.requirement", obj=organisation, org_path=organisation.path,
           before=before, after=snapshot(check))
    return check


def depth_of(path: str) -> int:
    return len(path) // PATH_STEP - 1
