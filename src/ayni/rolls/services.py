"""State changes of the roll. The pages, the import, the demo and the tasks all call these."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can, Scope
from ayni.audit.services import record, snapshot
from ayni.lib.identity import parse_identity
from ayni.orgs.models import Organisation
from ayni.people.models import DuplicatePair, Membership, Person, PersonMerge, Position
from ayni.people.services import (
    PERSON_FIELDS,
    hold_dni_for_review,
    last_kitchen,
    set_aside_unseen_dni,
    validate_person,
)
from ayni.rolls import counts
from ayni.rolls.models import (
    Category,
    ConsentMethod,
    ExitReason,
    ExportLog,
    Household,
    Ration,
    RollEntry,
)
from ayni.rolls.tasks import find_duplicates

ENTRY_FIELDS = ("category", "ration", "social_case_reason", "consent_on", "consent_method", "consent_witness",
                "notes", "since")


def validate_entry(entry: RollEntry, person: Person, on: datetime.date | None = None) -> None:
    """Rules on one entry, as a field-keyed ValidationError the form can show."""
    today = on or timezone.localdate()
    errors: dict[str, str] = {}
    if not entry.kitchen.kind.is_kitchen:
        errors["kitchen"] = _("Solo los comedores y ollas comunes llevan padrón de usuarios.")
    if entry.since and entry.since > today:
        errors["since"] = _("La fecha de ingreso no puede ser futura.")
    if entry.ration == Ration.FREE and not entry.social_case_reason.strip():
        errors["social_case_reason"] = _("Indique el motivo del caso social (por ejemplo: orfandad, discapacidad, "
                                         "adulto mayor en abandono).")
    if entry.ration != Ration.FREE:
        entry.social_case_reason = ""
    if entry.consent_method:
        if not entry.consent_on:
            errors["consent_on"] = _("Indique la fecha del consentimiento.")
        elif entry.consent_on > today:
            errors["consent_on"] = _("La fecha del consentimiento no puede ser futura.")
        if entry.consent_method == ConsentMethod.VERBAL and not entry.consent_witness.strip():
            errors["consent_witness"] = _("Un consentimiento verbal necesita el nombre de quien lo presenció.")
    elif entry.consent_on:
        errors["consent_method"] = _("Indique cómo se dio el consentimiento: hoja firmada o verbal con testigo.")
    category: Category = entry.category
    age = person.age(today)
    if age is not None and not category.fits_age(age):
        errors["category"] = _("Según su fecha de nacimiento tiene %(age)s años, y «%(cat)s» no corresponde a esa "
                               "edad.") % {"age": age, "cat": category.name}
    if category.code == "gestante-lactante" and person.sex == Person.Sex.MALE:
        errors["category"] = _("La categoría «%(cat)s» es solo para mujeres.") % {"cat": category.name}
    if errors:
        raise ValidationError(errors)


def _check_dni(fields: dict, country: str) -> None:
    """Validate the identity number with the kitchen's country's rules (lib/identity.py) and
    store it as parsed: ASCII digits, whatever keyboard typed it, another country's with its code."""
    raw = fields["dni"] + (f"-{fields['dni_check']}" if fields.get("dni_check") else "")
    try:
        dni = parse_identity(raw, country)
    except ValidationError as exc:
        raise ValidationError({"dni": exc.messages}) from exc
    fields["dni"], fields["dni_check"] = dni.number, dni.check


def _save_new_person(fields: dict, *, scope: Scope, country: str) -> tuple[Person, tuple[str, Person] | None]:
    """A new person from what was typed, and the DNI set aside for review if someone out of the
    actor's sight holds it (see `hold_dni_for_review`)."""
    person = Person(**{k: v for k, v in fields.items() if k in PERSON_FIELDS})
    held = set_aside_unseen_dni(scope=scope, person=person, country=country)
    validate_person(person, country)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError as exc:  # two people saving the same DNI at once
        raise ValidationError({"dni": _("Ya hay una persona registrada con este DNI.")}) from exc
    return person, held


def _household(kitchen: Organisation, head: Person | None) -> Household | None:
    if head is None:
        return None
    if not RollEntry.objects.current().filter(kitchen=kitchen, person=head).exists():
        raise ValidationError({"household_head": _("La jefa o jefe de hogar debe estar en el padrón de este "
                                                   "comedor.")})
    household, _created = Household.objects.get_or_create(kitchen=kitchen, head=head)
    return household


@transaction.atomic
def register_entry(*, scope: Scope, kitchen: Organisation, category: Category, person: Person | None = None,
                   since: datetime.date | None = None, ration: str = Ration.SUBSIDISED,
                   social_case_reason: str = "", consent_on: datetime.date | None = None, consent_method: str = "",
                   consent_witness: str = "", notes: str = "", household_head: Person | None = None,
                   import_batch=None, audit: bool = True, scope_checked: bool = False,
                   **person_fields) -> RollEntry:
    """Put a person on a kitchen's roll: an existing `person`, or a new one from `person_fields`.
    An import checks the scope once for the file (`scope_checked`) and audits once for it."""
    if not scope_checked:
        scope.require(Can.EDIT, kitchen)
    held = counts.hold_people([person.pk] if person is not None else [], kitchens=[kitchen.pk])
    entry = RollEntry(
        kitchen=kitchen, category=category, since=since or timezone.localdate(), ration=ration,
        social_case_reason=(social_case_reason or "").strip(), consent_on=consent_on,
        consent_method=consent_method or "", consent_witness=(consent_witness or "").strip(),
        notes=(notes or "").strip(), import_batch=import_batch,
        consent_recorded_by=scope.actor if consent_method else None,
        created_by=scope.actor,
    )
    if person is None and person_fields.get("dni"):
        _check_dni(person_fields, kitchen.country)
    probe = person or Person(**{k: v for k, v in person_fields.items() if k in PERSON_FIELDS})
    validate_entry(entry, probe)
    dni_held = None  # a DNI typed here that someone out of the user's sight holds
    if person is None:
        person, dni_held = _save_new_person(person_fields, scope=scope, country=kitchen.country)
    elif RollEntry.objects.filter(person=person, kitchen=kitchen, until__isnull=True).exists():
        raise ValidationError(_("%(person)s ya está en el padrón de %(org)s.") % {"person": person, "org": kitchen})
    entry.person = person
    entry.household = _household(kitchen, household_head)
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as exc:  # the same person added twice at the same moment
        raise ValidationError(_("%(person)s ya está en el padrón de %(org)s.")
                              % {"person": person, "org": kitchen}) from exc
    counts.recount(held, new_entries=[] if held.people else [entry])
    if audit:
        record(scope=scope, action="roll.register", obj=entry, org_path=kitchen.path, after=snapshot(entry))
    if dni_held:
        hold_dni_for_review(scope=scope, person=person, organisation=kitchen, dni=dni_held[0], holder=dni_held[1])
    if import_batch is None:  # an import asks once for the whole file (imports.apply_import)
        request_duplicate_scan(kitchen)
    return entry


def scan_area(kitchen: Organisation) -> Organisation:
    """Where a new person on this kitchen's roll is looked for: its provincial federation (the
    second level of the tree), where people move between kitchens; the nightly search covers the
    whole tree, across federations."""
    paths = kitchen.ancestor_paths() + [kitchen.path]
    return Organisation.objects.get(path=paths[min(1, len(paths) - 1)])


def request_duplicate_scan(kitchen: Organisation) -> None:
    """Queue a duplicate search around a kitchen once the change that added people commits, so
    the coordinators' queue (and the count on their home) is true without anyone pressing a
    button. The worker runs it; a rolled-back addition asks for nothing. One search per area and
    transaction: a sync batch of 500 people asks once, not 500 times."""
    area = scan_area(kitchen).pk
    # Django drops a rolled-back savepoint's callbacks from this list, so it says what will run.
    if any(getattr(callback, "duplicate_scan_area", None) == area and not callback.done
           for _savepoints, callback, *_robust in connection.run_on_commit):
        return

    def enqueue() -> None:
        enqueue.done = True
        find_duplicates.enqueue(area)

    enqueue.done = False

    enqueue.duplicate_scan_area = area
    transaction.on_commit(enqueue)


@transaction.atomic
def update_entry(*, scope: Scope, entry: RollEntry, household_head: Person | None = None, **fields) -> RollEntry:
    held = counts.hold_entries([entry.pk])
    entry = RollEntry.objects.select_for_update(of=("self",)).select_related("kitchen__kind", "person", "category").get(
        pk=entry.pk)
    scope.require(Can.EDIT, entry.kitchen)
    if entry.until is not None:
        raise ValidationError(_("Esta inscripción ya está cerrada; registre un nuevo ingreso."))
    before = snapshot(entry)
    for name, value in fields.items():
        if name not in ENTRY_FIELDS:
            raise ValueError(f"{name} is not editable here")
        setattr(entry, name, value.strip() if isinstance(value, str) else value)
    if fields.get("consent_method") and before.get("consent_method") != fields["consent_method"]:
        entry.consent_recorded_by = scope.actor
    validate_entry(entry, entry.person)
    if household_head is not None or "household_head" in fields:
        entry.household = _household(entry.kitchen, household_head)
    entry.save()
    counts.recount(held)
    record(scope=scope, action="roll.update", obj=entry, org_path=entry.kitchen.path, before=before,
           after=snapshot(entry))
    return entry


@transaction.atomic
def exit_entry(*, scope: Scope, entry: RollEntry, until: datetime.date, reason: str, note: str = "") -> RollEntry:
    """Close an entry: the person no longer eats here. The entry stays, for her history."""
    held = counts.hold_entries([entry.pk])
    entry = RollEntry.objects.select_for_update(of=("self",)).select_related("kitchen", "person").get(pk=entry.pk)
    scope.require(Can.EDIT, entry.kitchen)
    if entry.until is not None:
        raise ValidationError(_("%(person)s ya salió del padrón el %(on)s.")
                              % {"person": entry.person, "on": entry.until.strftime("%d/%m/%Y")})
    if reason not in ExitReason.values:
        raise ValidationError({"reason": _("Elija el motivo de salida.")})
    if until < entry.since:
        raise ValidationError({"until": _("La fecha de salida no puede ser anterior a la de ingreso.")})
    if until > timezone.localdate():
        raise ValidationError({"until": _("La fecha de salida no puede ser futura.")})
    before = snapshot(entry)
    entry.until, entry.exit_reason, entry.exit_note = until, reason, (note or "").strip()
    entry.save(update_fields=["until", "exit_reason", "exit_note", "updated_at"])
    counts.recount(held)
    record(scope=scope, action="roll.exit", obj=entry, org_path=entry.kitchen.path, before=before,
           after=snapshot(entry))
    return entry


def log_export(*, scope: Scope, organisation: Organisation, fmt: str, rows: int) -> ExportLog:
    """Every export of names and DNIs is written down: who, which roll, when."""
    with transaction.atomic():
        log = ExportLog.objects.create(user=scope.actor, organisation=organisation,
                                       org_path=organisation.path, fmt=fmt, rows=rows)
        record(scope=scope, action="roll.export", obj=log, org_path=organisation.path,
               after={"organisation": organisation.name, "format": fmt, "rows": rows})
    return log


# --- Duplicates ----------------------------------------------------------------------------------

def suggest_pair(*, a: Person, b: Person, kind: str, score: float, reason: str) -> DuplicatePair | None:
    """Queue a pair for review, unless it was already suggested or decided (remembered forever)."""
    if a.pk == b.pk:
        return None
    if a.pk > b.pk:
        a, b = b, a
    kitchen_a, kitchen_b = last_kitchen(a), last_kitchen(b)
    if kitchen_a is None or kitchen_b is None:
        return None
    pair, created = DuplicatePair.objects.get_or_create(
        a_id_kept=a.pk, b_id_kept=b.pk,
        defaults={"person_a": a, "person_b": b, "kind": kind, "score": round(score, 1), "reason": reason[:200],
                  "kitchen_a": kitchen_a, "kitchen_b": kitchen_b},
    )
    return pair if created else None


@transaction.atomic
def decide_pair(*, scope: Scope, pair: DuplicatePair, same: bool, keep: Person | None = None) -> DuplicatePair:
    """A coordinator's decision: the same person (merge, keeping every entry) or two people."""
    pair = DuplicatePair.objects.select_for_update().select_related("kitchen_a", "kitchen_b").get(pk=pair.pk)
    scope.require(Can.VALIDATE, pair.kitchen_a)
    scope.require(Can.VALIDATE, pair.kitchen_b)
    if pair.status != DuplicatePair.Status.OPEN:
        raise ValidationError(_("Este par ya fue revisado."))
    if same:
        if pair.person_a is None or pair.person_b is None:
            raise ValidationError(_("Uno de los registros ya no existe."))
        keep = keep or pair.person_a
        if keep.pk not in (pair.person_a_id, pair.person_b_id):
            raise ValidationError(_("Elija cuál de los dos registros se conserva."))
        remove = pair.person_b if keep.pk == pair.person_a_id else pair.person_a
        merge_people(scope=scope, keep=keep, remove=remove)
        pair.refresh_from_db()
    pair.status = DuplicatePair.Status.SAME if same else DuplicatePair.Status.DIFFERENT
    pair.decided_by = scope.actor
    pair.decided_at = timezone.now()
    pair.save()
    record(scope=scope, action="roll.pair_decided", obj=pair, org_path=pair.kitchen_a.path,
           after={"status": pair.status, "a": pair.a_id_kept, "b": pair.b_id_kept})
    return pair


@transaction.atomic
def merge_people(*, scope: Scope, keep: Person, remove: Person) -> PersonMerge:
    """Join two records of one person. Every roll entry, membership and position of `remove`
    moves to `keep`; her data fills what `keep` lacks; a snapshot of `remove` is kept."""
    keep = Person.objects.select_for_update().get(pk=keep.pk)
    remove = Person.objects.select_for_update().get(pk=remove.pk)
    if keep.pk == remove.pk:
        raise ValidationError(_("No se puede unir un registro consigo mismo."))
    held = counts.hold_people([keep.pk, remove.pk])
    removed_data = snapshot(remove)
    today = timezone.localdate()
    moved = {"roll_entries": [], "memberships": [], "positions": []}
    for entry in RollEntry.objects.filter(person=remove).select_related("kitchen"):
        if entry.until is None and RollEntry.objects.filter(person=keep, kitchen=entry.kitchen,
                                                            until__isnull=True).exists():
            # Both records eat at the same kitchen: one open entry is enough.
            entry.until = max(today, entry.since)
            entry.exit_reason = ExitReason.DUPLICATE
        entry.person = keep
        entry.save()
        moved["roll_entries"].append(entry.pk)
    counts.recount(held)
    moved["memberships"] = list(Membership.objects.filter(person=remove).values_list("pk", flat=True))
    Membership.objects.filter(person=remove).update(person=keep)
    # Saved one by one (a woman holds few posts), not by one UPDATE: each save tells the pages that
    # show her organisation's board (the kept home parts) to draw it with the name kept.
    positions = list(Position.objects.filter(person=remove).select_related("organisation"))
    moved["positions"] = [position.pk for position in positions]
    for position in positions:
        position.person = keep
        position.save(update_fields=["person"])
    for household in Household.objects.filter(head=remove):
        if Household.objects.filter(kitchen=household.kitchen, head=keep).exists():
            target = Household.objects.get(kitchen=household.kitchen, head=keep)
            household.entries.update(household=target)
            household.delete()
        else:
            household.head = keep
            household.save(update_fields=["head"])
    account = getattr(remove, "account", None)
    if account is not None and getattr(keep, "account", None) is None:
        account.person = keep
        account.save(update_fields=["person"])
    remove_dni, remove_check = remove.dni, remove.dni_check
    filled = []
    for name in ("birth_date", "phone", "district_id", "maternal_surname"):
        if not getattr(keep, name) and getattr(remove, name):
            setattr(keep, name, getattr(remove, name))
            filled.append(name)
    keep_languages = set(keep.languages.values_list("pk", flat=True))
    languages = keep_languages | set(remove.languages.values_list("pk", flat=True))
    DuplicatePair.objects.filter(person_a=remove).update(person_a=None)
    DuplicatePair.objects.filter(person_b=remove).update(person_b=None)
    remove_pk = remove.pk
    try:
        remove.delete()
    except ProtectedError as exc:  # another domain still points at the removed record
        raise ValidationError(_("No se pudo unir: el registro a quitar todavía se usa en otra parte.")) from exc
    if not keep.dni and remove_dni:
        keep.dni, keep.dni_check = remove_dni, remove_check
        filled.append("dni")
    keep.save()
    keep.languages.set(languages)
    merge = PersonMerge.objects.create(kept=keep, kept_id_kept=keep.pk, removed_id=remove_pk,
                                       removed_data=removed_data, moved=moved | {"filled": filled},
                                       by=scope.actor)
    kitchen = last_kitchen(keep)
    record(scope=scope, action="person.merge", obj=keep, org_path=kitchen.path if kitchen else "",
           before=removed_data, after=snapshot(keep))
    return merge
