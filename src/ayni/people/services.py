"""State changes for people, memberships and positions."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can, Scope
from ayni.audit.services import record, snapshot
from ayni.orgs.models import Organisation
from ayni.people.models import Membership, Person, Position, PositionKind

PERSON_FIELDS = (
    "given_names", "paternal_surname", "maternal_surname", "sex", "birth_date", "dni", "dni_check",
    "phone", "district",
)


def validate_person(person: Person) -> None:
    """Rules on one person; raised as a field-keyed ValidationError for the form to show."""
    errors = {}
    today = timezone.localdate()
    if person.birth_date:
        if person.birth_date > today:
            errors["birth_date"] = _("La fecha de nacimiento no puede ser futura.")
        elif person.birth_date < datetime.date(1900, 1, 1):
            errors["birth_date"] = _("La fecha de nacimiento es anterior a 1900; revise el año.")
    if person.dni:
        clash = Person.objects.filter(dni=person.dni).exclude(pk=person.pk)
        if clash.exists():
            # Deliberately no name: the other person may be outside this user's scope.
            errors["dni"] = _(
                "Ya hay una persona registrada con el DNI %(dni)s. Si es la misma, búsquela por su DNI y "
                "agréguela a esta organización en vez de registrarla de nuevo."
            ) % {"dni": person.dni}
    if errors:
        raise ValidationError(errors)
    person.full_clean(exclude=["languages", "dni"], validate_unique=False)


def _save_person(person: Person) -> None:
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError as exc:  # two people saving the same DNI at once
        raise ValidationError({"dni": _("Ya hay una persona registrada con este DNI.")}) from exc


def _org_path_of(person: Person) -> str:
    m = person.memberships.select_related("organisation").first()
    return m.organisation.path if m else ""


@transaction.atomic
def register_person(*, actor, organisation: Organisation, since: datetime.date | None = None,
                    languages=(), **fields) -> Person:
    """Register a new person as a socia of `organisation`."""
    if actor is not None:
        Scope.for_user(actor).require(Can.EDIT, organisation)
    person = Person(**{k: v for k, v in fields.items() if k in PERSON_FIELDS})
    validate_person(person)
    _save_person(person)
    if languages:
        person.languages.set(languages)
    Membership.objects.create(person=person, organisation=organisation, since=since or timezone.localdate())
    record(actor=actor, action="person.create", obj=person, org_path=organisation.path, after=snapshot(person))
    return person


@transaction.atomic
def update_person(*, actor, person: Person, languages=None, **fields) -> Person:
    person = Person.objects.select_for_update().get(pk=person.pk)
    if actor is not None:
        from ayni.people.selectors import visible_people

        if not visible_people(Scope.for_user(actor)).filter(pk=person.pk).exists():
            raise ValidationError(_("No puede modificar a esta persona."))
    before = snapshot(person)
    for name, value in fields.items():
        if name not in PERSON_FIELDS:
            raise ValueError(f"{name} is not editable here")
        setattr(person, name, value)
    validate_person(person)
    _save_person(person)
    if languages is not None:
        person.languages.set(languages)
    record(actor=actor, action="person.update", obj=person, org_path=_org_path_of(person), before=before,
           after=snapshot(person))
    return person


@transaction.atomic
def add_membership(*, actor, person: Person, organisation: Organisation, since: datetime.date) -> Membership:
    if actor is not None:
        Scope.for_user(actor).require(Can.EDIT, organisation)
    if since > timezone.localdate():
        raise ValidationError({"since": _("La fecha de ingreso no puede ser futura.")})
    if person.memberships.filter(organisation=organisation, until__isnull=True).exists():
        raise ValidationError(_("%(person)s ya es socia de %(org)s.") % {"person": person, "org": organisation})
    membership = Membership.objects.create(person=person, organisation=organisation, since=since)
    record(actor=actor, action="membership.create", obj=membership, org_path=organisation.path,
           after=snapshot(membership))
    return membership


@transaction.atomic
def end_membership(*, actor, membership: Membership, until: datetime.date) -> Membership:
    if actor is not None:
        Scope.for_user(actor).require(Can.EDIT, membership.organisation)
    if until < membership.since:
        raise ValidationError({"until": _("La fecha de salida no puede ser anterior a la de ingreso.")})
    before = snapshot(membership)
    membership.until = until
    membership.save(update_fields=["until"])
    record(actor=actor, action="membership.end", obj=membership, org_path=membership.organisation.path,
           before=before, after=snapshot(membership))
    return membership


@transaction.atomic
def assign_position(*, actor, person: Person, organisation: Organisation, kind: PositionKind,
                    starts_on: datetime.date, ends_on: datetime.date, elected_by: str = "") -> Position:
    """Give a person a position for a term. A board position of the same kind whose term
    overlaps is refused: an organisation has one presidenta at a time."""
    if actor is not None:
        Scope.for_user(actor).require(Can.EDIT, organisation)
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("El periodo termina antes de empezar: revise las fechas.")})
    if (ends_on - starts_on).days > 366 * 6:
        raise ValidationError({"ends_on": _("Un periodo de más de seis años no es válido; revise el año de fin.")})
    if kind.group == PositionKind.Group.BOARD and kind.code != "vocal":
        overlapping = Position.objects.filter(
            organisation=organisation, kind=kind, starts_on__lte=ends_on, ends_on__gte=starts_on
        ).select_related("person")
        if overlapping.exists():
            other = overlapping.first()
            raise ValidationError(
                {"starts_on": _("%(org)s ya tiene %(kind)s en esas fechas (%(person)s, hasta el %(end)s).")
                 % {"org": organisation, "kind": kind.name.lower(), "person": other.person,
                    "end": other.ends_on.strftime("%d/%m/%Y")}}
            )
    position = Position(person=person, organisation=organisation, kind=kind, starts_on=starts_on,
                        ends_on=ends_on, elected_by=elected_by.strip(),
                        created_by=actor if getattr(actor, "pk", None) else None)
    position.full_clean(exclude=["created_by"])
    position.save()
    record(actor=actor, action="position.create", obj=position, org_path=organisation.path,
           after=snapshot(position))
    return position


@transaction.atomic
def end_position(*, actor, position: Position, on: datetime.date) -> Position:
    if actor is not None:
        Scope.for_user(actor).require(Can.EDIT, position.organisation)
    if on < position.starts_on:
        raise ValidationError({"on": _("La fecha de término no puede ser anterior al inicio del periodo.")})
    before = snapshot(position)
    position.ends_on = on
    position.save(update_fields=["ends_on"])
    record(actor=actor, action="position.end", obj=position, org_path=position.organisation.path,
           before=before, after=snapshot(position))
    return position
