"""Leadership's state changes: programmes, enrolment, attendance and completion, certificates and
their keys, trajectories. Each one checks the scope, writes its rows and its audit entry in one
transaction, and refuses with a Spanish ValidationError."""

import datetime
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can, Scope
from ayni.audit.services import entry, record, record_many, snapshot
from ayni.files.services import keep_upload
from ayni.leadership import credentials, keys, verification
from ayni.leadership.models import (
    Attendance,
    Certificate,
    Enrolment,
    IssuerKey,
    Module,
    PaperList,
    Programme,
    Representation,
    Session,
    TrajectoryConsent,
)
from ayni.lib import uploads
from ayni.orgs.models import Organisation
from ayni.people.models import Membership, Person


def public_url(name: str, **kwargs) -> str:
    return settings.AYNI_PUBLIC_URL + reverse(name, kwargs=kwargs or None)


# --- Programmes ------------------------------------------------------------------------------

@transaction.atomic
def create_programme(*, scope: Scope, organisation: Organisation, name: str, starts_on: datetime.date,
                     ends_on: datetime.date, languages=(), for_organisations=(), for_districts=(),
                     **fields) -> Programme:
    """Open a training programme (*escuela*) of the organisation."""
    scope.require(Can.EDIT, organisation)
    programme = Programme(organisation=organisation, name=name.strip(), starts_on=starts_on, ends_on=ends_on,
                         **fields)
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("El fin no puede ser antes del inicio.")})
    programme.full_clean()
    programme.save()
    programme.languages.set(languages)
    programme.for_organisations.set(for_organisations)
    programme.for_districts.set(for_districts)
    record(scope=scope, action="leadership.programme", obj=programme, org_path=organisation.path,
           after=snapshot(programme, exclude=("languages", "for_organisations", "for_districts")))
    return programme


@transaction.atomic
def add_module(*, scope: Scope, programme: Programme, title: str, is_final: bool = False) -> Module:
    scope.require(Can.EDIT, programme.organisation)
    if is_final and programme.modules.filter(is_final=True).exists():
        raise ValidationError({"is_final": _("Esta escuela ya tiene un módulo final.")})
    order = (programme.modules.aggregate(n=Max("order"))["n"] or 0) + 1
    module = Module.objects.create(programme=programme, title=title.strip(), order=order, is_final=is_final)
    _recount_programme(programme)
    record(scope=scope, action="leadership.module", obj=module, org_path=programme.organisation.path,
           after=snapshot(module))
    return module


@transaction.atomic
def add_session(*, scope: Scope, programme: Programme, module: Module, starts_at: datetime.datetime,
                place: str = "", link: str = "", facilitators=()) -> Session:
    scope.require(Can.EDIT, programme.organisation)
    if module.programme_id != programme.pk:
        raise ValidationError({"module": _("El módulo no es de esta escuela.")})
    session = Session.objects.create(programme=programme, module=module, starts_at=starts_at, place=place.strip(),
                                     link=link.strip())
    session.facilitators.set(facilitators)
    # One session more changes what 80 % means for everyone enrolled.
    _recount_programme(programme)
    record(scope=scope, action="leadership.session", obj=session, org_path=programme.organisation.path,
           after=snapshot(session, exclude=("facilitators",)))
    return session


def _home_organisation(person: Person) -> Organisation | None:
    today = timezone.localdate()
    membership = (Membership.objects.filter(person=person, since__lte=today)
                  .filter(Q(until__isnull=True) | Q(until__gte=today)).select_related("organisation")
                  .order_by("-since").first())
    return membership.organisation if membership else None


@transaction.atomic
def invite(*, scope: Scope, programme: Programme, person: Person, enrol: bool = False) -> Enrolment:
    """Invite a woman (and, if she said yes, enrol her at once). The scope must see her name."""
    scope.require(Can.EDIT, programme.organisation)
    home = _home_organisation(person)
    if home is None or not scope.holds(Can.VIEW_PERSONAL, home):
        raise ValidationError(_("No se encontró a esa socia entre las organizaciones que usted ve."))
    targets = [o.path for o in programme.for_organisations.all()]
    if targets and not any(home.path.startswith(path) for path in targets):
        raise ValidationError(_("%(name)s es de %(org)s, que no está entre las organizaciones a las que se dirige "
                                "esta escuela.") % {"name": person.full_name, "org": home.name})
    enrolment, created = Enrolment.objects.get_or_create(programme=programme, person=person,
                                                         defaults={"organisation": home,
                                                                   "invited_on": timezone.localdate()})
    if not created and not enrol:
        raise ValidationError(_("%(name)s ya fue invitada a esta escuela.") % {"name": person.full_name})
    if created:
        record(scope=scope, action="leadership.invite", obj=enrolment, org_path=programme.organisation.path,
               after=snapshot(enrolment))
    if enrol:
        _enrol(scope, enrolment)
    return enrolment


def _enrol(scope: Scope, enrolment: Enrolment) -> None:
    if enrolment.status == Enrolment.Status.ENROLLED:
        return
    programme = Programme.objects.select_for_update().get(pk=enrolment.programme_id)
    taken = programme.enrolments.filter(status=Enrolment.Status.ENROLLED).count()
    if taken >= programme.places:
        raise ValidationError(_("No quedan vacantes: la escuela tiene %(n)s y están todas ocupadas.")
                              % {"n": programme.places})
    before = snapshot(enrolment)
    enrolment.status, enrolment.enrolled_on = Enrolment.Status.ENROLLED, timezone.localdate()
    enrolment.save(update_fields=["status", "enrolled_on"])
    record(scope=scope, action="leadership.enrol", obj=enrolment, org_path=programme.organisation.path,
           before=before, after=snapshot(enrolment))


@transaction.atomic
def enrol(*, scope: Scope, enrolment: Enrolment) -> Enrolment:
    scope.require(Can.EDIT, enrolment.programme.organisation)
    _enrol(scope, enrolment)
    return enrolment


# --- Attendance and completion ----------------------------------------------------------------

def may_take_attendance(scope: Scope, session: Session) -> bool:
    """The organisers, and the session's facilitators even without a role in the organiser."""
    actor = scope.actor
    return scope.holds(Can.EDIT, session.programme.organisation) or (
        actor is not None and session.facilitators.filter(pk=actor.pk).exists())


def completion_rule(programme: Programme, total_sessions: int, has_final: bool):
    """(attended, final attended) -> completed, for the programme's rule."""
    def completed(attended: int, final_attended: bool) -> bool:
        if total_sessions == 0 or attended * 100 < programme.min_attendance_pct * total_sessions:
            return False
        return final_attended or not (programme.final_module_required and has_final)
    return completed


def _programme_totals(programme: Programme) -> tuple[int, bool]:
    return programme.sessions.count(), programme.modules.filter(is_final=True).exists()


def _recount_programme(programme: Programme) -> None:
    """Every enrolment's completion again, after the plan of sessions changed."""
    for enrolment in programme.enrolments.all():
        _recount(enrolment)


def recount(enrolment: Enrolment) -> tuple[int, bool, datetime.date | None]:
    """What the enrolment's stored completion must be, from its attendance rows."""
    programme = enrolment.programme
    total, has_final = _programme_totals(programme)
    done = completion_rule(programme, total, has_final)
    marks = list(enrolment.attendances.select_related("session__module").order_by("session__starts_at", "pk"))
    attended, final, completed_on = 0, False, None
    for mark in marks:
        attended += 1
        final = final or mark.session.module.is_final
        if completed_on is None and done(attended, final):
            completed_on = timezone.localdate(mark.session.starts_at)
    if not done(attended, final):
        completed_on = None
    return attended, final, completed_on


def _recount(enrolment: Enrolment) -> None:
    attended, final, completed_on = recount(enrolment)
    if (attended, final, completed_on) != (enrolment.sessions_attended, enrolment.final_attended,
                                           enrolment.completed_on):
        enrolment.sessions_attended, enrolment.final_attended, enrolment.completed_on = attended, final, completed_on
        enrolment.save(update_fields=["sessions_attended", "final_attended", "completed_on"])


@dataclass
class Marked:
    marked: list[Person]
    already: list[Person]


def _check_session_open(session: Session) -> None:
    if timezone.localdate(session.starts_at) > timezone.localdate():
        raise ValidationError(_("La sesión del %(day)s todavía no se realiza: no se puede anotar asistencia.")
                              % {"day": timezone.localtime(session.starts_at).strftime("%d/%m/%Y")})


@transaction.atomic
def mark_attendance(*, scope: Scope, session: Session, numbers: list[int], how: str,
                    paper: PaperList | None = None) -> Marked:
    """Mark the women with these numbers (the number on her card) present at the session. Someone
    already marked is left as she is (scanned twice is one attendance); anyone not enrolled makes
    the whole list refused, naming her, so that a wrong number is corrected, not half-saved."""
    if not may_take_attendance(scope, session):
        raise PermissionDenied
    _check_session_open(session)
    if how not in Attendance.How.values:
        raise ValidationError(_("Forma de anotar desconocida."))
    numbers = list(dict.fromkeys(numbers))
    if not numbers:
        raise ValidationError(_("No marcó a nadie."))
    enrolments = {e.person_id: e for e in Enrolment.objects.select_for_update().select_related("person")
                  .filter(programme_id=session.programme_id, person_id__in=numbers,
                          status=Enrolment.Status.ENROLLED)}
    strangers = [str(n) for n in numbers if n not in enrolments]
    if strangers:
        raise ValidationError(_("No están inscritas en esta escuela: N° %(numbers)s. No se anotó a nadie; "
                                "corrija los números.") % {"numbers": ", ".join(strangers)})
    present = set(Attendance.objects.filter(session=session, enrolment__in=enrolments.values())
                  .values_list("enrolment__person_id", flat=True))
    new = [enrolments[n] for n in numbers if n not in present]
    Attendance.objects.bulk_create([Attendance(session=session, enrolment=e, how=how, paper=paper,
                                               recorded_by=scope.actor) for e in new])
    for enrolment in new:
        _recount(enrolment)
    if new:
        record(scope=scope, action="leadership.attendance", obj=session, org_path=session.programme.organisation.path,
               after={"how": how, "people": [e.person_id for e in new]})
    return Marked(marked=[e.person for e in new], already=[enrolments[n].person for n in numbers if n in present])


def parse_numbers(text) -> list[int]:
    """Numbers typed or scanned: 'N° 12, 15 y 20' and the card's QR text ('AYNI-SOCIA-12') alike."""
    import re

    if isinstance(text, list | tuple):
        text = " ".join(str(t) for t in text)
    return [int(n) for n in re.findall(r"\d+", str(text or ""))][:500]


def card_text(person: Person) -> str:
    """What the QR on her member card says: her number, in a form no other QR is mistaken for."""
    return f"AYNI-SOCIA-{person.pk}"


def apply_inbound(inbound, scope: Scope) -> dict:
    """An attendance list kept on the facilitator's phone without signal, as stored by capture.
    The same item replayed finds everyone already marked: nothing counts twice."""
    from ayni.capture.inbound import fields_of  # the item's fields, however it came (an ODK form: ayni.reach)

    payload = fields_of(inbound) if isinstance(inbound.payload, dict) else {}
    session = Session.objects.select_related("programme__organisation").filter(
        pk=(parse_numbers(payload.get("session")) or [0])[0]).first()
    if session is None:
        raise ValidationError(_("La sesión no existe."))
    how = payload.get("how") or Attendance.How.LIST
    numbers = parse_numbers(payload.get("numbers")) + parse_numbers(payload.get("typed"))
    result = mark_attendance(scope=scope, session=session, numbers=numbers, how=how)
    return {"id": session.pk, "message": _("%(n)s anotadas.") % {"n": len(result.marked)}}


@transaction.atomic
def enter_paper_list(*, scope: Scope, session: Session, photo, numbers: list[int]) -> Marked:
    """The photographed paper list kept, and the numbers read from it marked."""
    if not may_take_attendance(scope, session):
        raise PermissionDenied
    stored, _created = keep_upload(photo, allowed=uploads.DOCUMENTS)
    paper = PaperList.objects.create(session=session, file=stored, uploaded_by=scope.actor)
    record(scope=scope, action="leadership.paper_list", obj=paper, org_path=session.programme.organisation.path,
           after={"file": stored.sha256, "numbers": numbers})
    return mark_attendance(scope=scope, session=session, numbers=numbers, how=Attendance.How.PAPER, paper=paper)


# --- Keys and certificates --------------------------------------------------------------------

def active_key(organisation: Organisation) -> IssuerKey:
    key = IssuerKey.objects.filter(organisation=organisation, retired_at__isnull=True).first()
    if key is None:
        key = keys.make_key(organisation)
        key.save()
    return key


@transaction.atomic
def rotate_key(*, scope: Scope, organisation: Organisation) -> IssuerKey:
    """A new signing key for the organisation; the old one is retired: it still verifies the
    certificates it signed before, and anything it signs after is refused."""
    scope.require(Can.EDIT, organisation)
    Organisation.objects.select_for_update().get(pk=organisation.pk)
    IssuerKey.objects.filter(organisation=organisation, retired_at__isnull=True).update(retired_at=timezone.now())
    key = keys.make_key(organisation)
    key.save()
    verification.forget(organisation.pk)
    record(scope=scope, action="leadership.key_rotate", obj=key, org_path=organisation.path,
           after={"kid": key.kid})
    return key


def _status_index(issuer: Organisation) -> int:
    """A random free place in the issuer's status list, so that a credential's place tells
    nothing about how many the organisation issued before it."""
    for _attempt in range(50):
        index = secrets.randbelow(credentials.STATUS_LIST_BITS)
        if not Certificate.objects.filter(issuer=issuer, status_index=index).exists():
            return index
    raise ValidationError(_("La lista de estado de esta organización está llena."))


def _new_code() -> str:
    while True:
        code = credentials.new_code()
        if not Certificate.objects.filter(code=code).exists():
            return code


def credential_for(enrolment: Enrolment, *, key: IssuerKey, code: str, status_index: int, show_name: bool,
                   issued_at: datetime.datetime, signing=None) -> str:
    programme, issuer = enrolment.programme, enrolment.programme.organisation
    rule = _("Asistió al menos al %(pct)s %% de las sesiones") % {"pct": programme.min_attendance_pct}
    if programme.final_module_required:
        rule += _(" y al módulo final")
    badge = credentials.open_badge(
        credential_id=public_url("verify:code", code=code),
        issuer_id=public_url("verify:issuer", pk=issuer.pk), issuer_name=issuer.name,
        valid_from=issued_at.astimezone(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        achievement_id=public_url("verify:achievement", pk=programme.pk), achievement_name=programme.name,
        description=programme.description or programme.topic, criteria=rule + ".",
        subject_id=f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, public_url('verify:code', code=code))}",
        holder=credentials.identity(enrolment.person.full_name, shown=show_name, salt=code),
        status_list_url=public_url("verify:status_list", pk=issuer.pk), status_index=status_index,
    )
    return credentials.sign(credentials.jwt_claims(badge, nbf=int(issued_at.timestamp())),
                            key=signing or keys.private_key(key), kid=key.kid)


@transaction.atomic
def issue_certificate(*, scope: Scope, enrolment: Enrolment, show_name: bool = False) -> Certificate:
    """The certificate of a completed programme, signed with the organiser's active key."""
    programme = enrolment.programme
    scope.require(Can.EDIT, programme.organisation)
    enrolment = Enrolment.objects.select_for_update().select_related("person", "programme").get(pk=enrolment.pk)
    if enrolment.completed_on is None:
        raise ValidationError(_("%(name)s todavía no completó la escuela: no se puede certificar.")
                              % {"name": enrolment.person.full_name})
    if hasattr(enrolment, "certificate"):
        return enrolment.certificate
    issuer = programme.organisation
    key = active_key(issuer)
    code, index, issued_at = _new_code(), _status_index(issuer), timezone.now().replace(microsecond=0)
    token = credential_for(enrolment, key=key, code=code, status_index=index, show_name=show_name, issued_at=issued_at)
    try:
        with transaction.atomic():
            certificate = Certificate.objects.create(enrolment=enrolment, issuer=issuer, key=key, code=code,
                                                     status_index=index, credential=token, issued_at=issued_at,
                                                     show_name=show_name)
    except IntegrityError:  # two issues raced for one status place: the next try finds another
        raise ValidationError(_("Intente de nuevo: se estaban emitiendo otros certificados.")) from None
    record(scope=scope, action="leadership.certificate", obj=certificate, org_path=issuer.path,
           after={"code": code, "kid": key.kid, "person": enrolment.person_id})
    return certificate


ISSUE_CHUNK = 500


def issue_certificates(*, scope: Scope, programme: Programme, show_name: bool = False) -> int:
    """Certificates for everyone who completed and has none yet, in chunks: one transaction per
    chunk, the key decrypted once, codes and status places drawn for the whole chunk, the rows and
    their audit entries written in bulk. The same result as `issue_certificate` one by one."""
    scope.require(Can.EDIT, programme.organisation)
    issuer = programme.organisation
    n = 0
    while True:
        with transaction.atomic():
            chunk = list(Enrolment.objects.select_for_update(of=("self",)).select_related("person", "programme")
                         .filter(programme=programme, completed_on__isnull=False, certificate__isnull=True)
                         .order_by("pk")[:ISSUE_CHUNK])
            if not chunk:
                return n
            key = active_key(issuer)
            signing = keys.private_key(key)
            codes = _new_codes(len(chunk))
            places = _status_indexes(issuer, len(chunk))
            issued_at = timezone.now().replace(microsecond=0)
            certificates = []
            for enrolment, code, index in zip(chunk, codes, places, strict=True):
                token = credential_for(enrolment, key=key, code=code, status_index=index, show_name=show_name,
                                       issued_at=issued_at, signing=signing)
                certificates.append(Certificate(enrolment=enrolment, issuer=issuer, key=key, code=code,
                                                status_index=index, credential=token, issued_at=issued_at,
                                                show_name=show_name))
            Certificate.objects.bulk_create(certificates)
            record_many([entry(scope=scope, action="leadership.certificate", obj=c, org_path=issuer.path,
                               after={"code": c.code, "kid": key.kid, "person": c.enrolment.person_id})
                         for c in certificates])
            n += len(certificates)


def _new_codes(count: int) -> list[str]:
    """`count` fresh codes: 80 bits each, so a clash is astronomically rare; still checked."""
    codes: set[str] = set()
    while len(codes) < count:
        wanted = {credentials.new_code() for _ in range(count - len(codes))} - codes
        codes |= wanted - set(Certificate.objects.filter(code__in=wanted).values_list("code", flat=True))
    return list(codes)


def _status_indexes(issuer: Organisation, count: int) -> list[int]:
    taken = set(Certificate.objects.filter(issuer=issuer).values_list("status_index", flat=True))
    free = credentials.STATUS_LIST_BITS - len(taken)
    if free < count:
        raise ValidationError(_("La lista de estado de esta organización está llena."))
    places: set[int] = set()
    while len(places) < count:
        index = secrets.randbelow(credentials.STATUS_LIST_BITS)
        if index not in taken:
            places.add(index)
    return list(places)


@transaction.atomic
def revoke_certificate(*, scope: Scope, certificate: Certificate, reason: str) -> Certificate:
    scope.require(Can.EDIT, certificate.issuer)
    if not reason.strip():
        raise ValidationError({"reason": _("Escriba el motivo de la revocación.")})
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if certificate.revoked_at:
        raise ValidationError(_("Este certificado ya estaba revocado."))
    certificate.revoked_at, certificate.revoked_reason = timezone.now(), reason.strip()[:200]
    certificate.save(update_fields=["revoked_at", "revoked_reason"])
    verification.forget(certificate.issuer_id)
    record(scope=scope, action="leadership.revoke", obj=certificate, org_path=certificate.issuer.path,
           after={"code": certificate.code, "reason": certificate.revoked_reason})
    return certificate


@transaction.atomic
def set_certificate_visibility(*, scope: Scope, certificate: Certificate, show_name: bool) -> Certificate:
    """What she agreed to show: her name on the public verification page or only that it is valid.
    The credential is signed again so that it says the same."""
    scope.require(Can.EDIT, certificate.issuer)
    certificate.show_name = show_name
    certificate.credential = credential_for(certificate.enrolment, key=active_key(certificate.issuer),
                                            code=certificate.code, status_index=certificate.status_index,
                                            show_name=show_name, issued_at=certificate.issued_at)
    certificate.key = active_key(certificate.issuer)
    certificate.save(update_fields=["show_name", "credential", "key"])
    record(scope=scope, action="leadership.certificate_consent", obj=certificate, org_path=certificate.issuer.path,
           after={"show_name": show_name})
    return certificate


# --- Trajectories ---------------------------------------------------------------------------

@transaction.atomic
def record_consent(*, scope: Scope, person: Person, organisation: Organisation, given_on: datetime.date,
                   how: str) -> TrajectoryConsent:
    scope.require(Can.EDIT, organisation)
    if not how.strip():
        raise ValidationError({"how": _("Diga cómo dio su consentimiento (firmado, de palabra ante testigo…).")})
    consent, _created = TrajectoryConsent.objects.update_or_create(
        person=person, defaults={"given_on": given_on, "how": how.strip(), "recorded_by": scope.actor,
                                 "withdrawn_on": None})
    record(scope=scope, action="leadership.consent", obj=consent, org_path=organisation.path, after=snapshot(consent))
    return consent


@transaction.atomic
def withdraw_consent(*, scope: Scope, person: Person, organisation: Organisation) -> None:
    scope.require(Can.EDIT, organisation)
    TrajectoryConsent.objects.filter(person=person).update(withdrawn_on=timezone.localdate())
    record(scope=scope, action="leadership.consent_withdrawn", obj=person, org_path=organisation.path, after={})


def has_consent(person: Person) -> bool:
    return TrajectoryConsent.objects.filter(person=person, withdrawn_on__isnull=True).exists()


@transaction.atomic
def record_representation(*, scope: Scope, person: Person, organisation: Organisation, kind: str, office: str,
                          starts_on: datetime.date, ends_on: datetime.date | None = None,
                          territory=None) -> Representation:
    """Representation won (councillor, committee member, candidate…), as its own record."""
    scope.require(Can.EDIT, organisation)
    if not has_consent(person):
        raise ValidationError(_("Primero registre el consentimiento de %(name)s para guardar su trayectoria.")
                              % {"name": person.full_name})
    rep = Representation(person=person, organisation=organisation, kind=kind, office=office.strip(),
                         starts_on=starts_on, ends_on=ends_on, territory=territory)
    rep.full_clean()
    rep.save()
    record(scope=scope, action="leadership.representation", obj=rep, org_path=organisation.path, after=snapshot(rep))
    return rep


def attendance_counts(programme: Programme) -> dict[int, int]:
    return dict(programme.sessions.annotate(n=Count("attendances")).values_list("pk", "n"))


