"""State changes of protection, each under a scope and in one transaction.

The audit trail records that something happened to "Caso N.º 12" — never what: no before or
after, no alias, no note. What a case says is sealed under its key (`vault.py`) before it
reaches a row.
"""

import datetime
import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ayni.accounts.models import Role
from ayni.accounts.scope import Can, Scope
from ayni.audit.services import record
from ayni.lib import uploads
from ayni.protection import keys, vault
from ayni.protection.access import alert, not_found
from ayni.protection.models import (
    Alert,
    BreakGlass,
    Case,
    CaseFile,
    Incident,
    Referral,
    Service,
    Step,
    Supervisor,
)

RETENTION_YEARS = 5
MAX_GLASS_HOURS = 8


def month_after(day: datetime.date, years: int = RETENTION_YEARS) -> str:
    return f"{day.year + years:04d}-{day.month:02d}"


def _federation_for(organisation) -> int | None:
    """The nearest organisation at or above with a supervisor named."""
    paths = [*organisation.ancestor_paths(), organisation.path]
    found = dict(Supervisor.objects.filter(federation__path__in=paths).values_list("federation__path", "federation_id"))
    for path in reversed(paths):
        if path in found:
            return found[path]
    return None


def _unlocked() -> None:
    reason = vault.lock_reason()
    if reason:
        raise ValidationError(reason)


def _parcel_json(parcel: dict | None) -> str | None:
    if not parcel:
        return None
    return json.dumps(parcel, ensure_ascii=False, separators=(",", ":"))


@transaction.atomic
def record_case(*, scope: Scope, organisation, district, kind: str, problem: str, age_band: str, risk: str,
                alias: str, opened_on: datetime.date, name: str = "", notes: str = "", defender=None,
                land_use: str = "", tenure: str = "", parcel: dict | None = None, claim: str = "",
                involved: str = "") -> Case:
    """Open a case where she is a defensora; she is its defensora (the demo names one)."""
    if not scope.holds(Can.PROTECT, organisation):
        raise not_found()
    _unlocked()
    alias = alias.strip()
    if not alias:
        raise ValidationError({"alias": _("Escriba un alias: un nombre que no sea el real.")})
    if (kind == Case.Kind.VIOLENCE) != (problem in Case.VIOLENCE_PROBLEMS):
        raise ValidationError({"problem": _("El problema no corresponde al tipo de caso.")})
    defender = defender or scope.actor
    case = Case(organisation=organisation, district=district, defender=defender, kind=kind, problem=problem,
                age_band=age_band, risk=risk, opened_on=opened_on, retain_until=month_after(opened_on),
                federation_id=_federation_for(organisation),
                land_use=land_use if kind == Case.Kind.LAND else "", tenure=tenure if kind == Case.Kind.LAND else "",
                alias_sealed=b"")
    case.full_clean(exclude=["alias_sealed"])
    case.save()
    sealer = vault.Sealer(case, vault.new_case_key(case))
    case.alias_sealed = sealer.seal("alias", alias)
    case.name_sealed = sealer.seal("name", name.strip())
    case.notes_sealed = sealer.seal("notes", notes.strip())
    if kind == Case.Kind.LAND:
        case.parcel_sealed = sealer.seal("parcel", _parcel_json(parcel))
        case.claim_sealed = sealer.seal("claim", claim.strip())
        case.involved_sealed = sealer.seal("involved", involved.strip())
    case.save(update_fields=["alias_sealed", "name_sealed", "notes_sealed", "parcel_sealed", "claim_sealed",
                             "involved_sealed"])
    record(scope=scope, action="protection.case_open", obj=case, org_path=organisation.path)
    return case


@transaction.atomic
def update_case(*, scope: Scope, case: Case, risk: str, status: str, notes: str,
                today: datetime.date | None = None) -> Case:
    """The defensora's or supervisor's update: risk, status, notes. Closing moves the end of
    retention to five years after the close (its key is wrapped again for that month)."""
    from ayni.protection.selectors import case_for_change

    case = case_for_change(scope, case.pk)
    today = today or timezone.localdate()
    sealer = vault.Sealer(case, vault.case_key(case))
    case.risk, case.notes_sealed = risk, sealer.seal("notes", notes.strip())
    if status != case.status:
        case.status = status
        case.closed_on = today if status == Case.Status.CLOSED else None
        month = month_after(case.closed_on or case.opened_on)
        if month != case.retain_until:
            vault.rewrap_for_month(case, month)
    case.full_clean(exclude=["alias_sealed"])
    case.save()
    record(scope=scope, action="protection.case_update", obj=case, org_path=case.organisation.path)
    return case


@transaction.atomic
def reassign(*, scope: Scope, case: Case, defender) -> Case:
    """The supervisor hands a case to another defensora of the federation."""
    from ayni.protection.selectors import case_for_change

    case = case_for_change(scope, case.pk)
    if scope.user_id != vault_supervisor(case):
        raise not_found()
    if not defender.grants.filter(role=Role.DEFENDER, organisation__path__in=[
            *case.organisation.ancestor_paths(), case.organisation.path]).exists():
        raise ValidationError({"defender": _("Ella no es defensora de esta organización.")})
    case.defender = defender
    case.save(update_fields=["defender"])
    record(scope=scope, action="protection.case_reassign", obj=case, org_path=case.organisation.path)
    return case


def vault_supervisor(case: Case) -> int | None:
    from ayni.protection.access import supervisor_of

    return supervisor_of(case.federation_id)


@transaction.atomic
def add_referral(*, scope: Scope, case: Case, kind: str, referred_on: datetime.date, service: Service | None = None,
                 follow_up_on: datetime.date | None = None, outcome: str = "", carry: str = "") -> Referral:
    from ayni.protection.selectors import case_for_change

    case = case_for_change(scope, case.pk)
    if follow_up_on and follow_up_on < referred_on:
        raise ValidationError({"follow_up_on": _("El seguimiento no puede ser antes de la derivación.")})
    if service is not None and service.kind != kind:
        raise ValidationError({"service": _("El servicio elegido no es de ese tipo.")})
    sealer = vault.Sealer(case, vault.case_key(case))
    referral = Referral.objects.create(case=case, kind=kind, service=service, referred_on=referred_on,
                                       follow_up_on=follow_up_on or referred_on + datetime.timedelta(days=7),
                                       outcome_sealed=sealer.seal("referral.outcome", outcome.strip()),
                                       carry_sealed=sealer.seal("referral.carry", carry.strip()))
    record(scope=scope, action="protection.referral_add", obj=referral, org_path=case.organisation.path)
    return referral


@transaction.atomic
def update_referral(*, scope: Scope, referral: Referral, status: str, outcome: str,
                    follow_up_on: datetime.date | None) -> Referral:
    from ayni.protection.selectors import case_for_change

    case = case_for_change(scope, referral.case_id)
    referral = Referral.objects.select_for_update().get(pk=referral.pk, case=case)
    sealer = vault.Sealer(case, vault.case_key(case))
    referral.status, referral.follow_up_on = status, follow_up_on
    referral.outcome_sealed = sealer.seal("referral.outcome", outcome.strip())
    referral.reminded_at = None
    referral.save()
    record(scope=scope, action="protection.referral_update", obj=referral, org_path=case.organisation.path)
    return referral


@transaction.atomic
def add_step(*, scope: Scope, case: Case, before: str, on: datetime.date, status: str, note: str = "") -> Step:
    from ayni.protection.selectors import case_for_change

    case = case_for_change(scope, case.pk)
    if case.kind != Case.Kind.LAND:
        raise ValidationError(_("Los trámites son de los casos de tierra."))
    sealer = vault.Sealer(case, vault.case_key(case))
    step = Step.objects.create(case=case, before=before, on=on, status=status,
                               note_sealed=sealer.seal("step.note", note.strip()))
    record(scope=scope, action="protection.step_add", obj=step, org_path=case.organisation.path)
    return step


@transaction.atomic
def add_file(*, scope: Scope, case: Case, label: str, content: bytes) -> CaseFile:
    """A document, checked for what it is (a PDF or a photo, sound, not a bomb), then sealed
    with its SHA-256 under the case's key; nothing of it is written anywhere else."""
    import hashlib

    from ayni.protection.selectors import case_for_change

    case = case_for_change(scope, case.pk)
    kind = uploads.check(content, allowed=uploads.DOCUMENTS)
    sealer = vault.Sealer(case, vault.case_key(case))
    item = CaseFile.objects.create(case=case, label=label, kind=kind, size=len(content),
                                   content_sealed=sealer.seal("file.content", content),
                                   sha256_sealed=sealer.seal("file.sha256", hashlib.sha256(content).hexdigest()))
    record(scope=scope, action="protection.file_add", obj=item, org_path=case.organisation.path)
    return item


@transaction.atomic
def break_glass(*, scope: Scope, case_number: int, reason: str, hours: int,
                now: datetime.datetime | None = None) -> BreakGlass:
    """An admin opens one case in an emergency: a written reason, a few hours, the supervisor told."""
    now = now or timezone.now()
    if not (scope.user_id and (scope.is_superuser or Role.PLATFORM_ADMIN in scope.roles)):
        raise not_found()
    if len(reason.strip()) < 20:
        raise ValidationError({"reason": _("Explique por qué en al menos 20 caracteres.")})
    if not 1 <= hours <= MAX_GLASS_HOURS:
        raise ValidationError({"hours": _("El acceso dura de 1 a %(n)s horas.") % {"n": MAX_GLASS_HOURS}})
    _unlocked()
    case = Case.objects.select_related("organisation").filter(pk=case_number).first()
    if case is None:
        raise ValidationError({"case_number": _("No hay un caso con ese número.")})
    sealer = vault.Sealer(case, vault.case_key(case))
    glass = BreakGlass.objects.create(case=case, admin=scope.actor, until=now + datetime.timedelta(hours=hours),
                                      reason_sealed=sealer.seal("break_glass.reason", reason.strip()))
    record(scope=scope, action="protection.break_glass", obj=glass, org_path=case.organisation.path)
    alert(case.federation_id, Alert.Kind.BREAK_GLASS, scope.actor, now,
          _("%(who)s abrió el caso N.º %(n)s con acceso de emergencia hasta las %(until)s.")
          % {"who": scope.actor.get_full_name() or scope.actor.username, "n": case.pk,
             "until": timezone.localtime(glass.until).strftime("%d/%m %H:%M")})
    return glass


@transaction.atomic
def name_supervisor(*, scope: Scope, federation, account) -> Supervisor:
    """A platform admin names the one supervisor of a federation's cases, among its defensoras."""
    if not (scope.is_superuser or Role.PLATFORM_ADMIN in scope.roles):
        raise not_found()
    if not account.grants.filter(role=Role.DEFENDER, organisation__path__in=[
            *federation.ancestor_paths(), federation.path]).exists() and not account.grants.filter(
            role=Role.DEFENDER, organisation__path__startswith=federation.path).exists():
        raise ValidationError({"account": _("La supervisora debe ser defensora de esa federación.")})
    supervisor, _created = Supervisor.objects.update_or_create(federation=federation, defaults={"account": account})
    # Cases of the federation's subtree not yet supervised by a nearer federation are now hers.
    Case.objects.filter(organisation__path__startswith=federation.path, federation__isnull=True).update(
        federation=federation)
    record(scope=scope, action="protection.supervisor", obj=supervisor, org_path=federation.path)
    return supervisor


@transaction.atomic
def save_service(*, scope: Scope, federation, service: Service | None = None, **data) -> Service:
    """The federation keeps its directory of services (public data, nothing of a case)."""
    if not (scope.holds(Can.EDIT, federation) or scope.holds(Can.PROTECT, federation)):
        raise not_found()
    service = service or Service(federation=federation)
    for field, value in data.items():
        setattr(service, field, value.strip() if isinstance(value, str) else value)
    service.full_clean()
    service.save()
    record(scope=scope, action="protection.service", obj=service, org_path=federation.path)
    return service


@transaction.atomic
def record_incident(*, scope: Scope, what: str, discovered_at: datetime.datetime, whose: str, affected: int,
                    measures: str = "", reported_at: datetime.datetime | None = None,
                    incident: Incident | None = None) -> Incident:
    if not (scope.is_superuser or Role.PLATFORM_ADMIN in scope.roles or Role.DEFENDER in scope.roles):
        raise not_found()
    if reported_at and reported_at < discovered_at:
        raise ValidationError({"reported_at": _("No puede comunicarse antes de descubrirse.")})
    incident = incident or Incident(recorded_by=scope.actor)
    incident.what, incident.discovered_at, incident.whose = what.strip(), discovered_at, whose.strip()
    incident.affected, incident.measures, incident.reported_at = affected, measures.strip(), reported_at
    incident.full_clean()
    incident.save()
    record(scope=scope, action="protection.incident", obj=incident, org_path="")
    return incident


def shred_due(*, scope: Scope, today: datetime.date | None = None) -> int:
    """End of retention: delete every case whose retention month has ended, then destroy the
    retention keys of those months, so no backup of the database reads them again."""
    today = today or timezone.localdate()
    current = f"{today.year:04d}-{today.month:02d}"
    with transaction.atomic():
        due = Case.objects.filter(retain_until__lt=current)
        count = due.count()
        for case in due.select_related("organisation"):
            record(scope=scope, action="protection.case_shred", obj=case, org_path=case.organisation.path)
        BreakGlass.objects.filter(case__in=due).delete()
        due.delete()
    # After the commit: a key destroyed for a deletion that rolled back would lose live cases.
    for month in sorted(keys.retention_keys()):
        if month < current and not Case.objects.filter(retain_until=month).exists():
            keys.destroy_retention_key(month)
    return count


@transaction.atomic
def shred_case(*, scope: Scope, case: Case) -> None:
    """Delete one case now (she asked, or it was recorded by mistake): its key row goes with it,
    and the retention key of its month is destroyed when the month ends."""
    from ayni.protection.selectors import case_for_change

    case = case_for_change(scope, case.pk)
    record(scope=scope, action="protection.case_shred", obj=case, org_path=case.organisation.path)
    BreakGlass.objects.filter(case=case).delete()
    case.delete()


def send_follow_up_reminders(*, now: datetime.datetime | None = None) -> int:
    """A defensora hears — in a text that says only "a follow-up is pending" — of each referral
    whose follow-up day has come and that is still open; once per referral until it changes."""
    from ayni.protection.notify import tell_defender

    now = now or timezone.now()
    due = (Referral.objects.filter(status=Referral.Status.SENT, follow_up_on__lte=timezone.localdate(now),
                                   reminded_at__isnull=True).select_related("case__defender"))
    defenders = {}
    ids = []
    for referral in due:
        defenders[referral.case.defender_id] = referral.case.defender
        ids.append(referral.pk)
    for account in defenders.values():
        tell_defender(account)
    Referral.objects.filter(pk__in=ids).update(reminded_at=now)
    return len(ids)


def weekly_summaries(*, now: datetime.datetime | None = None) -> int:
    """Each supervisor's weekly summary of who read what (counts and readers, no content), once
    a week: an alert on her page and a neutral text."""
    from django.db.models import Count

    from ayni.protection.models import AccessEntry

    now = now or timezone.now()
    week = now - datetime.timedelta(days=7)
    made = 0
    for supervisor in Supervisor.objects.select_related("federation"):
        if Alert.objects.filter(federation=supervisor.federation, kind=Alert.Kind.SUMMARY, at__gt=week).exists():
            continue
        rows = (AccessEntry.objects.filter(federation=supervisor.federation, at__gt=week)
                .exclude(part=AccessEntry.Part.LIST).values("reader__username")
                .annotate(reads=Count("id"), cases=Count("case_number", distinct=True)).order_by("-reads"))
        parts = [_("%(who)s: %(r)s lecturas de %(c)s casos") % {"who": r["reader__username"], "r": r["reads"],
                                                                 "c": r["cases"]} for r in rows[:6]]
        text = _("Resumen de la semana. ") + ("; ".join(parts) if parts else _("Nadie abrió un caso."))
        alert(supervisor.federation_id, Alert.Kind.SUMMARY, None, now, text)
        made += 1
    return made
