"""State changes for people, memberships and positions."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can, Scope
from ayni.audit.services import record, snapshot
from ayni.lib.identity import country_of_number, parse_identity
from ayni.orgs.models import PATH_STEP, Organisation
from ayni.people.models import DuplicatePair, Membership, Person, Position, PositionKind
from ayni.people.selectors import find_by_dni, visible_people

PERSON_FIELDS = (
    "given_names", "paternal_surname", "maternal_surname", "sex", "birth_date", "dni", "dni_check",
    "phone", "district",
)


def country_of(organisation: Organisation | None) -> str:
    """The country whose identity numbers an organisation registers: its own (Peru unless its
    pack says otherwise, `orgs.Organisation.country`)."""
    return getattr(organisation, "country", None) or "PE"


def normalise_dni(person: Person, country: str = "PE") -> None:
    """The identity number as parsed for `country` (ASCII digits, whatever keyboard typed it;
    another country's with its ISO code in front, lib/identity.py), or a field error."""
    if not person.dni:
        person.dni, person.dni_check = None, ""
        return
    try:
        number = parse_identity(person.dni + (f"-{person.dni_check}" if person.dni_check else ""), country)
    except ValidationError as exc:
        raise ValidationError({"dni": exc.messages}) from exc
    person.dni, person.dni_check = number.number, number.check


def set_aside_unseen_dni(*, scope: Scope, person: Person, keep: tuple[str | None, str] = (None, ""),
                         country: str = "PE") -> tuple | None:
    """If the DNI typed for `person` belongs to someone else whom the scope may not see, take it
    off `person` (putting back `keep`, the DNI she had) and return (the DNI as typed, its holder)
    for `hold_dni_for_review`; None otherwise. See that function for the design."""
    normalise_dni(person, country)
    if not person.dni or person.dni == keep[0]:
        return None
    match = find_by_dni(scope, person.dni)
    holder = match.held_by
    if holder is None or holder.pk == person.pk:
        return None
    if match.person is not None and match.person.pk != person.pk:
        # Typed again for someone new, while it waits for review with the one it was typed for
        # first: refused like a DNI held in sight (validate_person), with the same words.
        raise ValidationError({"dni": duplicate_dni_message(person.dni)})
    typed = person.dni + (f"-{person.dni_check}" if person.dni_check else "")
    person.dni, person.dni_check = keep
    return typed, holder


def _hold(scope: Scope, person: Person, organisation: Organisation | None, held: tuple | None) -> None:
    if held:
        hold_dni_for_review(scope=scope, person=person, organisation=organisation, dni=held[0], holder=held[1])


# --- The duplicate review: a DNI typed out of sight -------------------------------------------------

def last_kitchen(person: Person) -> Organisation | None:
    """Her kitchen now (an open entry), else the one she left last. NULLs placed explicitly:
    SQLite sorts them first and PostgreSQL last. Read through the reverse relation of the roll
    entries, so that people does not import rolls (as `selectors._seen_among`)."""
    entry = (person.roll_entries.select_related("kitchen")
             .order_by(F("until").desc(nulls_first=True), "-since").first())
    return entry.kitchen if entry else None


def _anchor(person: Person) -> Organisation | None:
    """The organisation a pair shows for a person: her kitchen (`last_kitchen`), else where she
    is a socia (now, else last), else where she held a position."""
    kitchen = last_kitchen(person)
    if kitchen is not None:
        return kitchen
    membership = (person.memberships.select_related("organisation")
                  .order_by(F("until").desc(nulls_first=True), "-since").first())
    if membership is not None:
        return membership.organisation
    position = person.positions.select_related("organisation").order_by("-ends_on").first()
    return position.organisation if position else None


def _common_path(a: str, b: str) -> str:
    """The path of the nearest organisation above both (whole segments only)."""
    n = 0
    while n + PATH_STEP <= min(len(a), len(b)) and a[n:n + PATH_STEP] == b[n:n + PATH_STEP]:
        n += PATH_STEP
    return a[:n]


@transaction.atomic
def hold_dni_for_review(*, scope: Scope, person: Person, organisation: Organisation, dni: str,
                        holder: Person) -> DuplicatePair:
    """A DNI typed for `person` belongs to `holder`, whom the actor may not see: a cross-scope
    duplicate, for a coordinator who covers both.

    Why: a DNI looked up across scopes used to attach the holder, show her name and open her
    record to a leader of another province. Now every lookup goes through
    `people.selectors.find_by_dni`, and a DNI held out of the actor's sight is treated as if
    nobody held it: the person is saved from what was typed, on the roll or as a socia, with the
    same success message as for a DNI nobody holds, and no name, no "already registered", no
    place. The DNI itself cannot be stored on her (it is unique), so it waits here, in the
    duplicate review queue (`DuplicatePair`, kind "same DNI", the typed DNI in its reason), with
    her organisation on one side and the holder's on the other: only someone who may validate
    both sees the pair, and deciding "same" merges the two records, the holder's DNI kept. The
    audit entry goes to the nearest organisation above both, never to the actor's own subtree.

    What cannot be made indistinguishable: afterwards her record shows no DNI (or the one it had)
    where a DNI nobody held would show the number typed. A leader who looks can infer that the
    number is held somewhere; she still never learns by whom or where, and nothing she typed is
    lost.

    Typing the same DNI again for the same person reopens a pair once decided "different":
    a person typing it is new evidence, not the finder suggesting it again."""
    # A holder in no organisation at all: the root of the actor's tree, which only the national
    # board covers, stands for her.
    where = _anchor(holder) or Organisation.objects.get(path=organisation.path[:PATH_STEP])
    (a, kitchen_a), (b, kitchen_b) = sorted([(person, organisation), (holder, where)], key=lambda side: side[0].pk)
    reason = (_("DNI %(dni)s escrito en %(org)s para el otro registro") % {"dni": dni, "org": organisation.name})[:200]
    pair, created = DuplicatePair.objects.select_for_update().get_or_create(
        a_id_kept=a.pk, b_id_kept=b.pk,
        defaults={"person_a": a, "person_b": b, "kind": DuplicatePair.Kind.SAME_DNI, "score": 100.0,
                  "reason": reason, "kitchen_a": kitchen_a, "kitchen_b": kitchen_b})
    if not created and pair.status != DuplicatePair.Status.SAME:
        pair.kind, pair.score, pair.reason, pair.status = DuplicatePair.Kind.SAME_DNI, 100.0, reason, \
            DuplicatePair.Status.OPEN
        pair.decided_by = pair.decided_at = None
        pair.save()
    record(scope=scope, action="person.dni_held", obj=pair,
           org_path=_common_path(kitchen_a.path, kitchen_b.path),
           after={"dni": dni, "person": person.pk, "holder": holder.pk})
    return pair


def duplicate_dni_message(dni: str) -> str:
    return _("Ya hay una persona registrada con el DNI %(dni)s. Si es la misma, búsquela por su DNI y "
             "agréguela a esta organización en vez de registrarla de nuevo.") % {"dni": dni}


def validate_person(person: Person, country: str = "PE") -> None:
    """Rules on one person; raised as a field-keyed ValidationError for the form to show."""
    normalise_dni(person, country)
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
            # Deliberately no name. Reached only when the holder is in the user's sight (or for
            # the system): one out of sight is set aside first (set_aside_unseen_dni).
            errors["dni"] = duplicate_dni_message(person.dni)
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
def register_person(*, scope: Scope, organisation: Organisation, since: datetime.date | None = None,
                    languages=(), **fields) -> Person:
    """Register a new person as a socia of `organisation`."""
    scope.require(Can.EDIT, organisation)
    person = Person(**{k: v for k, v in fields.items() if k in PERSON_FIELDS})
    country = country_of(organisation)
    held = set_aside_unseen_dni(scope=scope, person=person, country=country)
    validate_person(person, country)
    _save_person(person)
    if languages:
        person.languages.set(languages)
    Membership.objects.create(person=person, organisation=organisation, since=since or timezone.localdate())
    record(scope=scope, action="person.create", obj=person, org_path=organisation.path, after=snapshot(person))
    _hold(scope, person, organisation, held)
    return person


def organisations_of(person: Person, on: datetime.date | None = None, *, memberships=None,
                     positions=None) -> list[Organisation]:
    """Where she belongs now: current memberships, positions and open roll entries; if none,
    everywhere she ever belonged. `memberships` and `positions`, when given, are all of hers
    with their organisations (the person page has read them); otherwise they are read here,
    each from her rows by the person index (three small queries)."""
    on = on or timezone.localdate()
    if memberships is None:
        memberships = list(person.memberships.select_related("organisation"))
    if positions is None:
        positions = list(person.positions.select_related("organisation"))
    return _organisations_of_read(person, on, memberships, positions)


def _organisations_of_read(person: Person, on: datetime.date, memberships, positions) -> list[Organisation]:
    """`organisations_of` from her memberships and positions already read: the same rule."""
    rolls = Organisation.objects.filter(roll_entries__person=person).annotate(
        open=Count("roll_entries", filter=Q(roll_entries__person=person, roll_entries__until__isnull=True)))
    rolls = {org.pk: org for org in rolls}
    now = {m.organisation_id: m.organisation for m in memberships
           if m.since <= on and (m.until is None or m.until >= on)}
    now.update({p.organisation_id: p.organisation for p in positions if p.starts_on <= on <= p.ends_on})
    now.update({pk: org for pk, org in rolls.items() if org.open})
    if not now:
        now = {m.organisation_id: m.organisation for m in memberships}
        now.update({p.organisation_id: p.organisation for p in positions})
        now.update(rolls)
    return list(now.values())


def may_edit_identity(scope: Scope, person: Person, *, memberships=None, positions=None) -> bool:
    """Her names, DNI, phone and birth date are one record shared by every organisation she
    belongs to: changing them needs EDIT over each one, so that a leader cannot rewrite someone
    another province also keeps (a coordinator covering both can). The rest of the record (sex,
    district, languages) is edited on the same form and follows the same rule."""
    if scope.is_platform_admin:
        return True
    orgs = organisations_of(person, memberships=memberships, positions=positions)
    return bool(orgs) and all(scope.holds(Can.EDIT, org) for org in orgs)


@transaction.atomic
def update_person(*, scope: Scope, person: Person, languages=None, **fields) -> Person:
    person = Person.objects.select_for_update().get(pk=person.pk)
    if not visible_people(scope).filter(pk=person.pk).exists():
        raise ValidationError(_("No puede modificar a esta persona."))
    if not may_edit_identity(scope, person):
        raise ValidationError(_("Solo puede cambiar los datos de una persona quien tenga a cargo todas las "
                                "organizaciones a las que pertenece: pídaselo a su coordinadora."))
    before = snapshot(person)
    for name, value in fields.items():
        if name not in PERSON_FIELDS:
            raise ValueError(f"{name} is not editable here")
        setattr(person, name, value)
    country = country_of_person(person)
    held = set_aside_unseen_dni(scope=scope, person=person, keep=(before["dni"], before["dni_check"]),
                                country=country)
    validate_person(person, country)
    _save_person(person)
    if languages is not None:
        person.languages.set(languages)
    record(scope=scope, action="person.update", obj=person, org_path=_org_path_of(person), before=before,
           after=snapshot(person))
    if held:
        _hold(scope, person, _home_of(person), held)
    return person


def country_of_person(person: Person) -> str:
    """Her organisation's country; for someone in none, the country of the number she holds."""
    home = _home_of(person)
    return country_of(home) if home is not None else country_of_number(person.dni)


def _home_of(person: Person) -> Organisation | None:
    m = person.memberships.select_related("organisation").first()
    if m:
        return m.organisation
    return next(iter(organisations_of(person)), None)


@transaction.atomic
def add_membership(*, scope: Scope, person: Person, organisation: Organisation, since: datetime.date) -> Membership:
    scope.require(Can.EDIT, organisation)
    if since > timezone.localdate():
        raise ValidationError({"since": _("La fecha de ingreso no puede ser futura.")})
    if person.memberships.filter(organisation=organisation, until__isnull=True).exists():
        raise ValidationError(_("%(person)s ya es socia de %(org)s.") % {"person": person, "org": organisation})
    membership = Membership.objects.create(person=person, organisation=organisation, since=since)
    record(scope=scope, action="membership.create", obj=membership, org_path=organisation.path,
           after=snapshot(membership))
    return membership


@transaction.atomic
def assign_position(*, scope: Scope, person: Person, organisation: Organisation, kind: PositionKind,
                    starts_on: datetime.date, ends_on: datetime.date, elected_by: str = "") -> Position:
    """Give a person a position for a term. A board position of the same kind whose term
    overlaps is refused: an organisation has one presidenta at a time."""
    scope.require(Can.EDIT, organisation)
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
                        created_by=scope.actor)
    position.full_clean(exclude=["created_by"])
    position.save()
    record(scope=scope, action="position.create", obj=position, org_path=organisation.path,
           after=snapshot(position))
    return position


def end_membership(*, scope: Scope, membership: Membership, until: datetime.date) -> Membership:
    """She leaves the organisation on `until`."""
    return _close(scope, membership, field="until", on=until, starts="since", action="membership.end",
                  too_early={"until": _("La fecha de salida no puede ser anterior a la de ingreso.")})


def end_position(*, scope: Scope, position: Position, on: datetime.date) -> Position:
    """The term ends early, on `on`."""
    return _close(scope, position, field="ends_on", on=on, starts="starts_on", action="position.end",
                  too_early={"on": _("La fecha de término no puede ser anterior al inicio del periodo.")})


@transaction.atomic
def _close(scope: Scope, obj: Membership | Position, *, field: str, on: datetime.date, starts: str, action: str,
           too_early: dict) -> Membership | Position:
    """Close a membership or a position on a date: the same check, save and audit entry."""
    scope.require(Can.EDIT, obj.organisation)
    if on < getattr(obj, starts):
        raise ValidationError(too_early)
    before = snapshot(obj)
    setattr(obj, field, on)
    obj.save(update_fields=[field])
    record(scope=scope, action=action, obj=obj, org_path=obj.organisation.path, before=before, after=snapshot(obj))
    return obj
