"""State changes of governance. Web pages, commands and (next) the text-message channel call
these; each is one transaction, checks the caller's scope and writes its audit entry.

Votes: `cast_vote` is the one way a vote is counted, whatever brought it (a web form now, a
text `V 12 SI` through capture next). It refuses with `VoteRefused`, whose message is the reply
the voter reads."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ayni.accounts.scope import Can, Scope
from ayni.audit.services import entry, record, record_many, snapshot
from ayni.governance import dues, notify
from ayni.governance.models import (
    AgendaItem,
    Agreement,
    Assembly,
    Attendance,
    BallotNotice,
    Choice,
    DecisionKind,
    DelegateWeight,
    Elector,
    HandCount,
    Motion,
    Participation,
    Proxy,
    StatuteRule,
    Vote,
)
from ayni.governance.rules import decide, quorum_met, quorum_needed, rule_for
from ayni.lib.db import insert_returning, insert_rows, update_rows
from ayni.orgs.models import Organisation
from ayni.people.models import Membership, Person, Position

PENDING_ITEM = gettext_lazy("Acuerdos pendientes de asambleas anteriores")

RULE_FIELDS = (
    "notice_days", "quorum_first", "quorum_second", "second_call_minutes", "majority_ordinary",
    "majority_statute", "majority_dissolution", "majority_election", "min_membership_days",
    "delegates_per_member", "delegate_weight", "members_per_vote", "proxies_allowed", "max_proxies",
    "dues_required", "dues_tolerance",
)


REMIND_DAYS_BEFORE = 3


class VoteRefused(ValidationError):
    """A vote not counted; the message says why, in words the voter can act on."""


# --- Statute rules -----------------------------------------------------------------------------

@transaction.atomic
def set_statute_rule(*, scope: Scope, organisation: Organisation, **fields) -> StatuteRule:
    """Write the organisation's own statute rules (starting from its kind's defaults)."""
    scope.require(Can.EDIT, organisation)
    rule = StatuteRule.objects.select_for_update().filter(organisation=organisation).first()
    before = snapshot(rule) if rule else {}
    if rule is None:
        base = rule_for(organisation)
        rule = StatuteRule(organisation=organisation, **{f: getattr(base, f) for f in RULE_FIELDS})
    for name, value in fields.items():
        if name not in RULE_FIELDS:
            raise ValueError(f"{name} is not a statute rule")
        setattr(rule, name, value)
    if rule.max_proxies > 5:
        raise ValidationError({"max_proxies": _("Más de 5 cartas poder por persona no es razonable; revise el "
                                                "estatuto.")})
    rule.full_clean(exclude=["kind", "organisation"])
    rule.save()
    record(scope=scope, action="gov.rule", obj=rule, org_path=organisation.path, before=before,
           after=snapshot(rule))
    return rule


# --- Convocation -------------------------------------------------------------------------------

def _good_standing(organisation: Organisation, on: datetime.date, rule: StatuteRule) -> list[Membership]:
    """Memberships that give a vote: current on the day, old enough for the statute, and — when
    the statute asks it (`dues_required`) — up to date with the dues (`dues.standings`)."""
    memberships = list(Membership.objects.filter(organisation=organisation, since__lte=on - datetime.timedelta(
        days=rule.min_membership_days)).filter(Q(until__isnull=True) | Q(until__gte=on))
        .select_related("person").order_by("person__paternal_surname", "person__maternal_surname",
                                           "person__given_names", "person_id"))
    behind = dues.behind_in_dues(organisation, on, rule, [m.person_id for m in memberships])
    return [m for m in memberships if m.person_id not in behind]


def delegate_weight(rule: StatuteRule, member_org: Organisation, on: datetime.date) -> int:
    """How many votes each delegate of `member_org` carries."""
    if rule.delegate_weight == DelegateWeight.EQUAL:
        return 1
    members = (Membership.objects.filter(organisation__path__startswith=member_org.path, since__lte=on)
               .filter(Q(until__isnull=True) | Q(until__gte=on)).values("person").distinct().count())
    return max(1, -(-members // rule.members_per_vote))


def member_organisations(organisation: Organisation):
    return organisation.children.filter(status=Organisation.Status.ACTIVE).order_by("name", "pk")


@transaction.atomic
def convene_assembly(*, scope: Scope, organisation: Organisation, kind: str, mode: str,
                     starts_at: datetime.datetime, agenda: list[str], ends_at: datetime.datetime | None = None,
                     place: str = "", link: str = "") -> Assembly:
    """Convene an assembly: check the notice period, fix its roll, send the convocation.

    A base organisation's roll is its socias in good standing on the day of the convocation; a
    federation's assembly is of delegates, accredited afterwards by each member organisation
    (`accredit_delegate`), and its electorate is every delegate they may send."""
    scope.require(Can.EDIT, organisation)
    rule = rule_for(organisation)
    now = timezone.now()
    agenda = [t.strip() for t in agenda if t.strip()]
    if Agreement.objects.filter(organisation=organisation, status=Agreement.Status.PENDING).exists():
        # Agreements are not forgotten: the next assembly opens with those still open.
        pending = str(PENDING_ITEM)
        agenda = [pending, *[t for t in agenda if t != pending]] if agenda else agenda
    errors = {}
    if not agenda:
        errors["agenda"] = _("Escriba al menos un punto de agenda.")
    earliest = timezone.localdate(now) + datetime.timedelta(days=rule.notice_days)
    if starts_at <= now:
        errors["starts_at"] = _("La asamblea se convoca para una fecha y hora que aún no pasaron.")
    elif timezone.localdate(starts_at) < earliest:
        errors["starts_at"] = _(
            "El estatuto pide convocar con %(days)s días de anticipación: la asamblea puede ser desde el "
            "%(earliest)s.") % {"days": rule.notice_days, "earliest": date_format(earliest, "d/m/Y")}
    if mode == Assembly.Mode.ASYNC:
        if ends_at is None or ends_at <= starts_at:
            errors["ends_at"] = _("Indique cuándo se cierra la votación, después de que se abre.")
        elif ends_at - starts_at > datetime.timedelta(days=31):
            errors["ends_at"] = _("Una consulta dura a lo más 31 días.")
    else:
        ends_at = None
    if mode in (Assembly.Mode.IN_PERSON, Assembly.Mode.HYBRID) and not place.strip():
        errors["place"] = _("Indique el lugar de la asamblea.")
    if mode in (Assembly.Mode.ONLINE, Assembly.Mode.HYBRID) and not link.strip():
        errors["link"] = _("Indique el enlace de la reunión virtual.")
    if errors:
        raise ValidationError(errors)
    assembly = Assembly.objects.create(
        organisation=organisation, kind=kind, mode=mode, starts_at=starts_at, ends_at=ends_at,
        place=place.strip(), link=link.strip(), by_delegates=organisation.kind.level < 4,
        convened_by=scope.actor)
    AgendaItem.objects.bulk_create([AgendaItem(assembly=assembly, number=i, title=t[:200])
                                    for i, t in enumerate(agenda, 1)])
    today = timezone.localdate(now)
    if assembly.by_delegates:
        members = list(member_organisations(organisation))
        assembly.electorate_weight = sum(rule.delegates_per_member * delegate_weight(rule, m, today)
                                         for m in members)
        # Each member organisation's board learns of it, and accredits its delegates.
        phones = list(Position.objects.current(today).filter(organisation__in=members, kind__group="board")
                      .exclude(person__phone="").values_list("person__phone", flat=True))
    else:
        memberships = list(_good_standing(organisation, today, rule))
        Elector.objects.bulk_create([Elector(assembly=assembly, person=m.person, number=i)
                                     for i, m in enumerate(memberships, 1)])
        assembly.electorate_weight = len(memberships)
        phones = [m.person.phone for m in memberships]
    assembly.save(update_fields=["electorate_weight"])
    notify.send_convocation(assembly, phones, agenda)
    record(scope=scope, action="gov.convene", obj=assembly, org_path=organisation.path,
           after={**snapshot(assembly), "agenda": agenda})
    return assembly


def _locked(assembly: Assembly) -> Assembly:
    """The assembly's row, locked: attendance, proxies, quorum and closing take turns on it, so
    two secretaries marking the same list at once write one list."""
    return Assembly.objects.select_for_update().select_related("organisation__kind").get(pk=assembly.pk)


def _electors_by_number(assembly: Assembly, numbers) -> dict[int, Elector]:
    wanted = sorted(set(numbers))
    found = {e.number: e for e in Elector.objects.filter(assembly=assembly, number__in=wanted)}
    missing = [n for n in wanted if n not in found]
    if missing:
        raise ValidationError(_("No hay nadie con el número %(numbers)s en el padrón de esta asamblea.")
                              % {"numbers": ", ".join(map(str, missing))})
    return found


@transaction.atomic
def accredit_delegate(*, scope: Scope, assembly: Assembly, member_org: Organisation, person: Person) -> Elector:
    """Add a delegate of a member organisation to a federation assembly's roll. The federation
    or the member organisation itself may accredit her."""
    assembly = _locked(assembly)
    if not scope.holds(Can.EDIT, member_org):
        scope.require(Can.EDIT, assembly.organisation)
    if not assembly.by_delegates:
        raise ValidationError(_("Esta asamblea es de socias, no de delegadas."))
    if assembly.status != Assembly.Status.CONVENED:
        raise ValidationError(_("La acreditación de delegadas se cierra al verificar el quórum."))
    if member_org.parent_id != assembly.organisation_id or member_org.status != Organisation.Status.ACTIVE:
        raise ValidationError({"member_org": _("%(org)s no es una organización integrante activa.")
                               % {"org": member_org.name}})
    rule = rule_for(assembly.organisation)
    today = timezone.localdate()
    belongs = (Membership.objects.filter(person=person, organisation__path__startswith=member_org.path,
                                         since__lte=today).filter(Q(until__isnull=True) | Q(until__gte=today))
               .exists() or Position.objects.current(today).filter(person=person, organisation=member_org).exists())
    if not belongs:
        raise ValidationError({"person": _("%(name)s no es socia ni dirigenta de %(org)s.")
                               % {"name": person.full_name, "org": member_org.name}})
    if Elector.objects.filter(assembly=assembly, person=person).exists():
        raise ValidationError({"person": _("%(name)s ya está acreditada.") % {"name": person.full_name}})
    if Elector.objects.filter(assembly=assembly, delegate_of=member_org).count() >= rule.delegates_per_member:
        raise ValidationError({"member_org": _("%(org)s ya acreditó sus %(n)s delegadas.")
                               % {"org": member_org.name, "n": rule.delegates_per_member}})
    number = (Elector.objects.filter(assembly=assembly).order_by("-number").values_list("number", flat=True)
              .first() or 0) + 1
    elector = Elector.objects.create(assembly=assembly, person=person, number=number, delegate_of=member_org,
                                     weight=delegate_weight(rule, member_org, today))
    record(scope=scope, action="gov.delegate", obj=elector, org_path=assembly.organisation.path,
           after={"assembly": assembly.pk, "number": number, "delegate_of": member_org.pk, "weight": elector.weight})
    return elector


# --- Attendance, proxies and quorum -------------------------------------------------------------

def _taking_attendance(assembly: Assembly) -> None:
    if assembly.is_async:
        raise ValidationError(_("En una consulta de varios días la asistencia es quien vota."))
    if assembly.status not in (Assembly.Status.CONVENED, Assembly.Status.IN_SESSION):
        raise ValidationError(_("La asamblea ya concluyó: su asistencia no cambia."))
    if timezone.localdate(assembly.starts_at) > timezone.localdate():
        raise ValidationError(_("La asistencia se toma el día de la asamblea."))


@transaction.atomic
def record_attendance(*, scope: Scope, assembly: Assembly, numbers: list[int], how: str) -> int:
    """Mark electors present by their numbers on the roll (tapped, typed, or copied from the
    signed paper list). Already present ones are left as they were. Returns how many were new."""
    scope.require(Can.EDIT, assembly.organisation)
    assembly = _locked(assembly)
    _taking_attendance(assembly)
    if how not in (Attendance.How.TAP, Attendance.How.NUMBER, Attendance.How.PAPER):
        raise ValueError(how)
    electors = _electors_by_number(assembly, numbers)
    present = set(Attendance.objects.filter(assembly=assembly).values_list("elector_id", flat=True))
    new = [Attendance(assembly=assembly, elector=e, how=how, recorded_by=scope.actor)
           for e in electors.values() if e.pk not in present]
    Attendance.objects.bulk_create(new)
    if new:
        record(scope=scope, action="gov.attendance", obj=assembly, org_path=assembly.organisation.path,
               after={"how": how, "numbers": sorted(a.elector.number for a in new)})
    return len(new)


@transaction.atomic
def remove_attendance(*, scope: Scope, assembly: Assembly, number: int) -> None:
    """Undo a name marked by mistake, before the quorum is verified."""
    scope.require(Can.EDIT, assembly.organisation)
    assembly = _locked(assembly)
    _taking_attendance(assembly)
    if assembly.status != Assembly.Status.CONVENED:
        raise ValidationError(_("Con el quórum verificado la asistencia ya no se corrige."))
    elector = _electors_by_number(assembly, [number])[number]
    if elector.proxies_held.exists():
        raise ValidationError(_("Lleva una carta poder: quite primero la carta poder."))
    deleted, _rows = Attendance.objects.filter(elector=elector).delete()
    if deleted:
        record(scope=scope, action="gov.attendance.remove", obj=assembly, org_path=assembly.organisation.path,
               before={"numbers": [number]})


@transaction.atomic
def attend_by_text(*, scope: Scope, elector: Elector) -> bool:
    """She answered the convocation with PRESENTE: mark her present (the channel identified her
    by her phone). Already present, nothing changes — a text sent twice marks her once. Returns
    whether she was newly marked (`attend_by_texts` with one place)."""
    result = attend_by_texts(scope=scope, electors=[elector])[0]
    if isinstance(result, ValidationError):
        raise result
    return result


@transaction.atomic
def attend_by_texts(*, scope: Scope, electors: list[Elector]) -> list[bool | ValidationError]:
    """Many PRESENTE texts at once (a gateway's batch), in order: per place whether she was newly
    marked present, or the `ValidationError` saying why not (and nothing of it written). One query
    each for the batch — the assemblies, locked in order as `record_attendance` locks one; the
    proxies given; the attendance already taken — one insert for the new attendance, and one audit
    entry per assembly with the numbers marked, as the secretary's list writes."""
    results: list[bool | ValidationError | None] = [None] * len(electors)
    if not electors:
        return []
    assemblies = {a.pk: a for a in Assembly.objects.select_for_update(of=("self",))
                  .select_related("organisation__kind").filter(pk__in={e.assembly_id for e in electors})
                  .order_by("pk")}
    ids = {e.pk for e in electors}
    gave = {p.giver_id: p.holder for p in Proxy.objects.filter(giver_id__in=ids).select_related("holder")}
    present = set(Attendance.objects.filter(elector_id__in=ids).values_list("elector_id", flat=True))
    new, marked = [], {}
    for n, elector in enumerate(electors):
        assembly = assemblies[elector.assembly_id]
        try:
            _taking_attendance(assembly)
        except ValidationError as exc:
            results[n] = exc
            continue
        if elector.pk in gave:
            results[n] = ValidationError(_("Usted dio carta poder a N° %(n)s: si vino, pida a la secretaria que la "
                                           "quite.") % {"n": gave[elector.pk].number})
            continue
        results[n] = elector.pk not in present
        if results[n]:
            present.add(elector.pk)
            new.append(Attendance(elector=elector, assembly=assembly, how=Attendance.How.TEXT))
            marked.setdefault(assembly.pk, []).append(elector.number)
    Attendance.objects.bulk_create(new)
    record_many([entry(scope=scope, action="gov.attendance", obj=assemblies[pk],
                       org_path=assemblies[pk].organisation.path,
                       after={"how": Attendance.How.TEXT, "numbers": sorted(numbers)})
                 for pk, numbers in marked.items()])
    return results


def why_not_on_roll(person: Person, assembly: Assembly) -> str:
    """For a person of the assembly's own organisation who is not on its roll: why, in words she
    can act on. '' for anyone else — who must learn nothing about the assembly."""
    organisation = assembly.organisation
    on = timezone.localdate(assembly.convened_at)
    if assembly.by_delegates:
        inside = Membership.objects.filter(person=person, organisation__path__startswith=organisation.path).filter(
            Q(until__isnull=True) | Q(until__gte=on)).exists()
        return _("En esta asamblea votan las delegadas acreditadas por cada organización, y usted no figura como "
                 "delegada.") if inside else ""
    memberships = Membership.objects.filter(person=person, organisation=organisation).filter(
        Q(until__isnull=True) | Q(until__gte=on))
    if not memberships.exists():
        return ""
    if not memberships.filter(since__lte=on).exists():
        return _("Usted se inscribió como socia después de la convocatoria; vota en la próxima asamblea.")
    rule = rule_for(organisation)
    if not memberships.filter(since__lte=on - datetime.timedelta(days=rule.min_membership_days)).exists():
        return _("Usted no está en el padrón de esta asamblea: al convocarla no tenía la antigüedad de %(days)s días "
                 "que pide el estatuto.") % {"days": rule.min_membership_days}
    owed = dues.standings(organisation, on, [person.pk]).get(person.pk)
    if owed is not None and not owed.in_good_standing(rule):
        return _("Usted no está en el padrón de esta asamblea: al convocarla debía %(behind)s. Pague a su tesorera "
                 "para votar en la próxima.") % {"behind": dues.describe_behind(owed)}
    return _("Usted no figura en el padrón de esta asamblea. Consulte con su secretaria.")


@transaction.atomic
def record_proxy(*, scope: Scope, assembly: Assembly, giver_number: int, holder_number: int) -> Proxy:
    """An absent elector's proxy, carried by an elector who is present."""
    scope.require(Can.EDIT, assembly.organisation)
    assembly = _locked(assembly)
    _taking_attendance(assembly)
    rule = rule_for(assembly.organisation)
    if not rule.proxies_allowed:
        raise ValidationError(_("El estatuto de esta organización no admite cartas poder."))
    if giver_number == holder_number:
        raise ValidationError(_("Una carta poder es para otra persona."))
    electors = _electors_by_number(assembly, [giver_number, holder_number])
    giver, holder = electors[giver_number], electors[holder_number]
    if Attendance.objects.filter(elector=giver).exists():
        raise ValidationError(_("N° %(n)s está presente: vota ella misma.") % {"n": giver_number})
    if not Attendance.objects.filter(elector=holder).exists():
        raise ValidationError(_("Quien lleva la carta poder (N° %(n)s) debe estar presente; márquela primero.")
                              % {"n": holder_number})
    if Proxy.objects.filter(Q(giver=giver) | Q(giver=holder)).exists():
        raise ValidationError(_("Una de las dos ya otorgó una carta poder."))
    if Proxy.objects.filter(holder=giver).exists():
        raise ValidationError(_("N° %(n)s lleva una carta poder: no puede otorgar otra.") % {"n": giver_number})
    if Proxy.objects.filter(holder=holder).count() >= rule.max_proxies:
        raise ValidationError(_("El estatuto permite %(n)s carta(s) poder por persona, y N° %(h)s ya las tiene.")
                              % {"n": rule.max_proxies, "h": holder_number})
    proxy = Proxy.objects.create(assembly=assembly, giver=giver, holder=holder, recorded_by=scope.actor)
    record(scope=scope, action="gov.proxy", obj=assembly, org_path=assembly.organisation.path,
           after={"giver": giver_number, "holder": holder_number})
    return proxy


def present_weight(assembly: Assembly) -> int:
    """Votes in the room: the electors present, and the absent ones whose proxy is carried by
    someone present (`record_proxy` allows only those)."""
    own = Attendance.objects.filter(assembly=assembly).aggregate(w=Sum("elector__weight"))["w"] or 0
    carried = (Proxy.objects.filter(assembly=assembly, holder__attendance__isnull=False,
                                    giver__attendance__isnull=True)
               .aggregate(w=Sum("giver__weight"))["w"] or 0)
    return own + carried


@dataclass(frozen=True)
class QuorumState:
    present: int
    total: int
    needed_first: int
    needed_second: int

    @property
    def first(self) -> bool:
        return self.present >= self.needed_first

    @property
    def second(self) -> bool:
        return self.present >= self.needed_second


def quorum_state(assembly: Assembly, rule: StatuteRule | None = None) -> QuorumState:
    rule = rule or rule_for(assembly.organisation)
    total = assembly.electorate_weight
    return QuorumState(present=present_weight(assembly), total=total,
                       needed_first=max(1, quorum_needed(rule.quorum_first, total)),
                       needed_second=max(1, quorum_needed(rule.quorum_second, total)))


@transaction.atomic
def check_quorum(*, scope: Scope, assembly: Assembly, call: str) -> QuorumState:
    """Verify the quorum at the first or the second call. Met, the assembly is in session and
    may adopt agreements; not met at the second call, it is recorded without quorum and adopts
    nothing."""
    scope.require(Can.EDIT, assembly.organisation)
    if call not in Assembly.Call.values:
        raise ValidationError(_("Indique si es la primera o la segunda convocatoria."))
    assembly = _locked(assembly)
    if assembly.is_async:
        raise ValidationError(_("El quórum de una consulta se cuenta al cerrarla, con quienes votaron."))
    if assembly.status != Assembly.Status.CONVENED:
        raise ValidationError(_("El quórum de esta asamblea ya se verificó."))
    rule = rule_for(assembly.organisation)
    now = timezone.now()
    if now < assembly.starts_at:
        raise ValidationError(_("Aún no es la hora de la primera convocatoria (%(time)s).")
                              % {"time": date_format(localtime(assembly.starts_at), "H:i")})
    second_at = assembly.starts_at + datetime.timedelta(minutes=rule.second_call_minutes)
    if call == Assembly.Call.SECOND and now < second_at:
        raise ValidationError(_("La segunda convocatoria es desde las %(time)s.")
                              % {"time": date_format(localtime(second_at), "H:i")})
    state = quorum_state(assembly, rule)
    met = state.first if call == Assembly.Call.FIRST else state.second
    if met:
        assembly.status, assembly.quorum_call = Assembly.Status.IN_SESSION, call
    elif call == Assembly.Call.SECOND:
        assembly.status = Assembly.Status.NO_QUORUM
        assembly.closed_at = now
    assembly.quorum_present = state.present
    assembly.save(update_fields=["status", "quorum_call", "quorum_present", "closed_at"])
    record(scope=scope, action="gov.quorum", obj=assembly, org_path=assembly.organisation.path,
           after={"call": call, "present": state.present, "total": state.total, "met": met})
    return state


# --- Motions -----------------------------------------------------------------------------------

@transaction.atomic
def add_motion(*, scope: Scope, item: AgendaItem, text: str, decision: str = DecisionKind.ORDINARY,
               ballot: str = Motion.Ballot.OPEN) -> Motion:
    assembly = _locked(item.assembly)
    scope.require(Can.EDIT, assembly.organisation)
    if assembly.status not in (Assembly.Status.CONVENED, Assembly.Status.IN_SESSION):
        raise ValidationError(_("La asamblea ya concluyó: no se agregan mociones."))
    if assembly.is_async and timezone.now() >= assembly.starts_at:
        raise ValidationError(_("La consulta ya se abrió: sus mociones se fijan antes de abrirla."))
    if ballot == Motion.Ballot.HANDS and assembly.mode not in (Assembly.Mode.IN_PERSON, Assembly.Mode.HYBRID):
        raise ValidationError({"ballot": _("A mano alzada se vota solo en una asamblea presencial o mixta.")})
    if not text.strip():
        raise ValidationError({"text": _("Escriba la moción.")})
    motion = Motion.objects.create(item=item, text=text.strip()[:300], decision=decision, ballot=ballot)
    record(scope=scope, action="gov.motion", obj=motion, org_path=assembly.organisation.path,
           after=snapshot(motion))
    return motion


def _locked_motion(motion_id) -> Motion:
    try:
        return (Motion.objects.select_for_update(of=("self",))
                .select_related("item__assembly__organisation__kind").get(pk=motion_id))
    except (Motion.DoesNotExist, ValueError, TypeError):
        raise VoteRefused(_("No existe la moción %(n)s. Revise el número en la convocatoria.")
                          % {"n": motion_id}) from None


@transaction.atomic
def open_motion(*, scope: Scope, motion: Motion) -> Motion:
    """Put a motion to the vote in an assembly in session."""
    motion = _locked_motion(motion.pk)
    assembly = motion.item.assembly
    scope.require(Can.EDIT, assembly.organisation)
    if assembly.is_async:
        raise ValidationError(_("Las mociones de una consulta se votan durante todo su plazo."))
    if assembly.status != Assembly.Status.IN_SESSION:
        raise ValidationError(_("Solo se vota en una asamblea con quórum verificado."))
    if motion.status != Motion.Status.DRAFT:
        raise ValidationError(_("Esta moción ya se puso a votación."))
    motion.status, motion.opened_at = Motion.Status.OPEN, timezone.now()
    motion.save(update_fields=["status", "opened_at"])
    record(scope=scope, action="gov.motion.open", obj=motion, org_path=assembly.organisation.path)
    return motion


def _voting_open(motion: Motion, now: datetime.datetime) -> str:
    """Why a vote on this motion cannot be taken now, or ''."""
    assembly = motion.item.assembly
    if motion.ballot == Motion.Ballot.HANDS:
        return _("La moción %(n)s se vota a mano alzada en la asamblea.") % {"n": motion.pk}
    if assembly.is_async:
        if now < assembly.starts_at:
            return _("La votación de la moción %(n)s se abre el %(when)s.") % {
                "n": motion.pk, "when": date_format(localtime(assembly.starts_at), "d/m/Y H:i")}
        if now > assembly.ends_at or assembly.status != Assembly.Status.CONVENED:
            return _("La votación de la moción %(n)s cerró el %(when)s; su voto no se cuenta.") % {
                "n": motion.pk, "when": date_format(localtime(assembly.ends_at), "d/m/Y H:i")}
        return ""
    if motion.status == Motion.Status.DRAFT:
        return _("La moción %(n)s aún no está en votación.") % {"n": motion.pk}
    if motion.status == Motion.Status.CLOSED or assembly.status != Assembly.Status.IN_SESSION:
        return _("La votación de la moción %(n)s ya cerró; su voto no se cuenta.") % {"n": motion.pk}
    return ""


def voter_key(motion: Motion, elector: Elector) -> str:
    return salted_hmac("ayni.governance.vote", f"{motion.pk}:{elector.pk}", algorithm="sha256").hexdigest()


def _tally_field(choice: str) -> str:
    return {Choice.YES: "yes", Choice.NO: "no", Choice.ABSTAIN: "abstain"}[choice]


@dataclass(frozen=True)
class Ballot:
    """One vote to count: `person` votes `choice` on motion `motion_id` (as typed: it may not
    exist), for herself or with the proxy of `on_behalf_of`."""

    motion_id: object
    person: Person
    choice: str
    channel: str = "web"
    on_behalf_of: Person | None = None


@dataclass(frozen=True)
class Cast:
    """A vote counted: the ballot written, its motion, and whether it replaced an earlier one."""

    vote: Vote
    motion: Motion
    replaced: bool


def _motion_pk(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class VotersRoll:
    """The places on the rolls of a batch's voters, by (assembly, person), and the proxies those
    places gave (giver, holder)."""

    places: dict[tuple[int, int], Elector]
    proxies: set[tuple[int, int]]


def voters_roll(electors) -> VotersRoll:
    """`VotersRoll` of places already read (the senders of vote texts, found by their phones), with
    the proxies they gave: one query, read before the batch's write transaction."""
    places = {(e.assembly_id, e.person_id): e for e in electors}
    proxies = set(Proxy.objects.filter(giver_id__in=[e.pk for e in places.values()])
                  .values_list("giver_id", "holder_id")) if places else set()
    return VotersRoll(places=places, proxies=proxies)


@transaction.atomic
def cast_votes(*, scope: Scope, ballots: list[Ballot], roll: VotersRoll | None = None) -> list[Cast | VoteRefused]:
    """Count many votes at once, in order, each as `cast_vote` would one by one: per ballot a
    `Cast`, or the `VoteRefused` saying why it was not counted (and nothing of it written). The
    reads are one query each for the whole batch (motions, locked in order; the roll; proxies;
    attendance; current ballots; participations) and the writes one statement each, so that a
    batch of texts costs the same few statements as one.

    The motions' rows are locked, so their tallies move one batch at a time and always equal a
    recount. `scope` is the voter's own account on the web, or the system for a channel that
    identified her (a text message from her phone). `roll`, when the caller read it before its
    write transaction (`voters_roll`), saves reading the voters' places and proxies under the lock
    (on SQLite, the whole database's): a place or a proxy is not what a vote changes."""
    if not scope.is_system:
        for ballot in ballots:
            if getattr(scope.actor, "person_id", None) != ballot.person.pk:
                raise PermissionDenied(_("Cada persona vota desde su propia cuenta."))
    now = timezone.now()
    results: list[Cast | VoteRefused | None] = [None] * len(ballots)
    wanted = sorted({pk for b in ballots if (pk := _motion_pk(b.motion_id)) is not None})
    motions = {m.pk: m for m in (Motion.objects.select_for_update(of=("self",))
                                 .select_related("item__assembly__organisation__kind")
                                 .filter(pk__in=wanted).order_by("pk"))} if wanted else {}
    if roll is None:
        assemblies = {m.item.assembly_id for m in motions.values()}
        persons = {b.person.pk for b in ballots} | {b.on_behalf_of.pk for b in ballots if b.on_behalf_of is not None}
        # Unordered: the roll's own order (assembly, number) walked a national roll's 110,000 places
        # for every batch on PostgreSQL when its statistics were older than the roll.
        roll = voters_roll(Elector.objects.filter(assembly_id__in=assemblies, person_id__in=persons)
                           .select_related("person").order_by() if assemblies else [])
    proxies, roll = roll.proxies, roll.places
    elector_ids = [e.pk for e in roll.values()]
    attended, voted, current = set(), {}, {}
    if elector_ids:
        attended = set(Attendance.objects.filter(elector_id__in=elector_ids).values_list("elector_id", flat=True))
        voted = {(m, e): pk for pk, m, e in Participation.objects.filter(
            motion_id__in=motions, elector_id__in=elector_ids).values_list("pk", "motion_id", "elector_id")}
    gave = {giver for giver, _holder in proxies}
    plans = []
    for n, ballot in enumerate(ballots):
        if ballot.choice not in Choice.values:
            results[n] = VoteRefused(_("Vote a favor (SI), en contra (NO) o abstención (ABS)."))
            continue
        motion = motions.get(_motion_pk(ballot.motion_id))
        if motion is None:
            results[n] = VoteRefused(_("No existe la moción %(n)s. Revise el número en la convocatoria.")
                                     % {"n": ballot.motion_id})
            continue
        assembly = motion.item.assembly
        why = _voting_open(motion, now)
        if why:
            results[n] = VoteRefused(why)
            continue
        voter = roll.get((assembly.pk, ballot.person.pk))
        if voter is None:
            results[n] = VoteRefused(_("Usted no figura en el padrón de %(assembly)s.") % {"assembly": assembly})
            continue
        elector = voter
        if ballot.on_behalf_of is not None:
            elector = roll.get((assembly.pk, ballot.on_behalf_of.pk))
            if elector is None or (elector.pk, voter.pk) not in proxies:
                results[n] = VoteRefused(_("No tiene carta poder de esa persona para esta asamblea."))
                continue
        elif voter.pk in gave:
            results[n] = VoteRefused(_("Usted dio carta poder: vota quien la lleva."))
            continue
        if not assembly.is_async and voter.pk not in attended:
            results[n] = VoteRefused(_("Usted no figura en la asistencia; pida a la secretaria que la marque."))
            continue
        plans.append((n, ballot, motion, elector, voter_key(motion, elector)))
    if plans:
        current = {(v.motion_id, v.voter_key): v for v in Vote.objects.filter(
            motion_id__in={p[2].pk for p in plans}, voter_key__in={p[4] for p in plans}, is_current=True)}
    retired, new_votes, new_participations, new_attendance, entries = [], [], [], [], []
    touched = {}
    for n, ballot, motion, elector, key in plans:
        assembly = motion.item.assembly
        earlier = current.get((motion.pk, key))
        if earlier is not None and earlier.choice == ballot.choice:
            results[n] = VoteRefused(_("Ya votó «%(choice)s» en la moción %(n)s; su voto sigue igual.")
                                     % {"choice": Choice(ballot.choice).label, "n": motion.pk})
            continue
        secret = motion.ballot == Motion.Ballot.SECRET
        if earlier is not None:
            earlier.is_current = False
            if not earlier._state.adding:
                retired.append(earlier.pk)
            setattr(motion, _tally_field(earlier.choice),
                    getattr(motion, _tally_field(earlier.choice)) - earlier.weight)
        vote = Vote(motion=motion, elector=None if secret else elector, voter_key=key, choice=ballot.choice,
                    weight=elector.weight, sequence=earlier.sequence + 1 if earlier else 1, channel=ballot.channel,
                    cast_at=None if secret else now)
        current[(motion.pk, key)] = vote
        new_votes.append(vote)
        setattr(motion, _tally_field(ballot.choice), getattr(motion, _tally_field(ballot.choice)) + elector.weight)
        seen = voted.get((motion.pk, elector.pk))
        if isinstance(seen, Participation):  # she voted on it earlier in this batch
            participation = seen
        else:  # its audit label names her: no second read of her row
            participation = Participation(pk=seen, motion=motion, elector=elector)
        if seen is None:
            new_participations.append(participation)
            voted[(motion.pk, elector.pk)] = participation
            motion.voters += 1
            if assembly.is_async and elector.pk not in attended:
                # In a consultation, to vote is to attend: quorum counts who took part.
                new_attendance.append(Attendance(elector=elector, assembly=assembly, how=Attendance.How.VOTE))
                attended.add(elector.pk)
        touched[motion.pk] = motion
        # A secret ballot's entry says that she voted, never how.
        entries.append((participation, motion, {"motion": motion.pk, "channel": ballot.channel,
                                                **({} if secret else {"choice": ballot.choice})}))
        results[n] = Cast(vote=vote, motion=motion, replaced=earlier is not None)
    if retired:
        Vote.objects.filter(pk__in=retired).update(is_current=False)
    # Ballots (their UUIDs made here) and attendance are not read back: one prepared statement
    # each, without bulk_create's per-row SQL; participations are, for their audit entries (one
    # INSERT … RETURNING, without bulk_create's per-value machinery).
    insert_rows(new_votes)
    insert_returning(new_participations)
    insert_rows(new_attendance)
    if touched:
        update_rows(list(touched.values()), ["yes", "no", "abstain", "voters"])
    if entries:
        record_many([entry(scope=scope, action="gov.vote", obj=participation,
                           org_path=motion.item.assembly.organisation.path, after=after)
                     for participation, motion, after in entries])
    return results


def cast_vote(*, scope: Scope, motion_id, person: Person, choice: str, channel: str = "web",
              on_behalf_of: Person | None = None) -> Vote:
    """Count one vote (`cast_votes` with one ballot): `person` votes on motion `motion_id` (as
    typed: it may not exist), for herself or with the proxy of `on_behalf_of`. A second vote with
    another choice before the window closes replaces the first; both stay. Refuses with
    `VoteRefused`, whose message is the reply the voter reads."""
    result = cast_votes(scope=scope, ballots=[Ballot(motion_id=motion_id, person=person, choice=choice,
                                                     channel=channel, on_behalf_of=on_behalf_of)])[0]
    if isinstance(result, VoteRefused):
        raise result
    return result.vote


@transaction.atomic
def record_hand_count(*, scope: Scope, motion: Motion, yes: int, no: int, abstain: int = 0) -> HandCount:
    """The secretary's count of a show of hands; entered again, the new count replaces it."""
    motion = _locked_motion(motion.pk)
    assembly = motion.item.assembly
    scope.require(Can.EDIT, assembly.organisation)
    if motion.ballot != Motion.Ballot.HANDS:
        raise ValidationError(_("Esta moción no se vota a mano alzada."))
    if motion.status != Motion.Status.OPEN or assembly.status != Assembly.Status.IN_SESSION:
        raise ValidationError(_("La moción no está en votación."))
    if min(yes, no, abstain) < 0:
        raise ValidationError(_("Los conteos no pueden ser negativos."))
    present = present_weight(assembly)
    if yes + no + abstain > present:
        raise ValidationError(_("El conteo suma %(sum)s votos y solo hay %(present)s presentes (con cartas poder). "
                                "Cuente de nuevo.") % {"sum": yes + no + abstain, "present": present})
    HandCount.objects.filter(motion=motion, is_current=True).update(is_current=False)
    count = HandCount.objects.create(motion=motion, yes=yes, no=no, abstain=abstain, recorded_by=scope.actor)
    motion.yes, motion.no, motion.abstain, motion.voters = yes, no, abstain, yes + no + abstain
    motion.save(update_fields=["yes", "no", "abstain", "voters"])
    record(scope=scope, action="gov.hands", obj=motion, org_path=assembly.organisation.path,
           after={"yes": yes, "no": no, "abstain": abstain})
    return count


def _decide(motion: Motion, rule: StatuteRule, has_quorum: bool, now) -> None:
    motion.status, motion.closed_at = Motion.Status.CLOSED, now
    motion.majority = rule.majority_for(motion.decision)
    motion.outcome = (decide(motion.majority, yes=motion.yes, no=motion.no, abstain=motion.abstain)
                      if has_quorum else Motion.Outcome.NO_QUORUM)
    motion.save(update_fields=["status", "closed_at", "majority", "outcome"])


@transaction.atomic
def close_motion(*, scope: Scope, motion: Motion) -> Motion:
    """Close the vote and apply the statute's majority for its kind of decision."""
    motion = _locked_motion(motion.pk)
    assembly = motion.item.assembly
    scope.require(Can.EDIT, assembly.organisation)
    if assembly.is_async:
        raise ValidationError(_("Las mociones de una consulta se cierran al cerrar la consulta."))
    if motion.status != Motion.Status.OPEN:
        raise ValidationError(_("La moción no está en votación."))
    if motion.ballot == Motion.Ballot.HANDS and not motion.hand_counts.exists():
        raise ValidationError(_("Anote primero el conteo a mano alzada."))
    _decide(motion, rule_for(assembly.organisation), True, timezone.now())
    record(scope=scope, action="gov.motion.close", obj=motion, org_path=assembly.organisation.path,
           after={"yes": motion.yes, "no": motion.no, "abstain": motion.abstain, "outcome": motion.outcome})
    return motion


@transaction.atomic
def close_assembly(*, scope: Scope, assembly: Assembly) -> Assembly:
    """End the assembly. A consultation is closed after its window, and its quorum counted on
    who voted: without quorum, none of its motions is adopted. Motions left in vote are closed."""
    scope.require(Can.EDIT, assembly.organisation)
    assembly = _locked(assembly)
    rule = rule_for(assembly.organisation)
    now = timezone.now()
    if assembly.is_async:
        if assembly.status != Assembly.Status.CONVENED:
            raise ValidationError(_("Esta consulta ya se cerró."))
        if now <= assembly.ends_at:
            raise ValidationError(_("La consulta sigue abierta hasta el %(when)s.")
                                  % {"when": date_format(localtime(assembly.ends_at), "d/m/Y H:i")})
        present = present_weight(assembly)
        has_quorum = quorum_met(rule.quorum_first, present, assembly.electorate_weight)
        assembly.quorum_present = present
        assembly.quorum_call = Assembly.Call.FIRST if has_quorum else ""
        assembly.status = Assembly.Status.CLOSED if has_quorum else Assembly.Status.NO_QUORUM
        motions = Motion.objects.select_for_update().filter(item__assembly=assembly).exclude(
            status=Motion.Status.CLOSED)
    else:
        if assembly.status != Assembly.Status.IN_SESSION:
            raise ValidationError(_("Solo se cierra una asamblea en sesión; sin quórum en segunda convocatoria "
                                    "queda registrada sin quórum."))
        has_quorum = True
        assembly.status = Assembly.Status.CLOSED
        in_vote = Motion.objects.filter(item__assembly=assembly, status=Motion.Status.OPEN)
        if in_vote.filter(ballot=Motion.Ballot.HANDS, hand_counts__isnull=True).exists():
            raise ValidationError(_("Hay una moción a mano alzada sin conteo: anótelo o ciérrela antes."))
        motions = in_vote.select_for_update()
    for motion in motions:
        _decide(motion, rule, has_quorum, now)
    assembly.closed_at = now
    assembly.save(update_fields=["status", "quorum_call", "quorum_present", "closed_at"])
    record(scope=scope, action="gov.close", obj=assembly, org_path=assembly.organisation.path,
           after={"status": assembly.status, "present": assembly.quorum_present})
    return assembly



def close_due_consultations(now: datetime.datetime | None = None) -> int:
    """Close every consultation whose window has ended (`ayni close-consultations`, nightly):
    its count should not wait for a secretary to press the button."""
    now = now or timezone.now()
    scope = Scope.system(_("cierre de consultas vencidas"))
    due = Assembly.objects.filter(mode=Assembly.Mode.ASYNC, status=Assembly.Status.CONVENED, ends_at__lt=now)
    closed = 0
    for assembly in due.select_related("organisation").order_by("ends_at", "pk"):
        close_assembly(scope=scope, assembly=assembly)
        closed += 1
    return closed


def announce_open_consultations(now: datetime.datetime | None = None) -> int:
    """Text each consultation's ballot to its roll once its window is open (`ayni runperiodic`):
    a member without internet learns the motions' numbers to answer `V 12 SI`. Returns how many
    consultations were announced."""
    now = now or timezone.now()
    due = (Assembly.objects.filter(mode=Assembly.Mode.ASYNC, status=Assembly.Status.CONVENED, starts_at__lte=now,
                                   ends_at__gt=now, ballot_notice__isnull=True)
           .select_related("organisation").order_by("starts_at", "pk"))
    announced = 0
    for assembly in due:
        motions = list(Motion.objects.filter(item__assembly=assembly).exclude(ballot=Motion.Ballot.HANDS)
                       .order_by("item__number", "pk"))
        if not motions:
            continue
        with transaction.atomic():
            # Claimed first: two runs at once announce once.
            notice, created = BallotNotice.objects.get_or_create(assembly=assembly)
            if not created:
                continue
            phones = list(Elector.objects.filter(assembly=assembly).exclude(person__phone="")
                          .values_list("person__phone", flat=True))
            notice.recipients = notify.send_ballot(assembly, phones, motions)
            notice.save(update_fields=["recipients"])
        announced += 1
    return announced


# --- Agreements --------------------------------------------------------------------------------

@transaction.atomic
def record_agreement(*, scope: Scope, motion: Motion, responsible: Person, deadline: datetime.date,
                     text: str = "", involves_authority: bool = False, authority: str = "") -> Agreement:
    """Write down what an adopted motion commits to: who answers for it and by when."""
    motion = _locked_motion(motion.pk)
    organisation = motion.item.assembly.organisation
    scope.require(Can.EDIT, organisation)
    errors = {}
    if motion.outcome != Motion.Outcome.ADOPTED:
        raise ValidationError(_("Solo una moción aprobada da lugar a un acuerdo."))
    if Agreement.objects.filter(motion=motion).exists():
        raise ValidationError(_("Esta moción ya tiene su acuerdo."))
    if deadline < timezone.localdate():
        errors["deadline"] = _("El plazo no puede haber vencido ya.")
    if involves_authority and not authority.strip():
        errors["authority"] = _("Indique qué autoridad se comprometió.")
    today = timezone.localdate()
    in_org = (Membership.objects.filter(person=responsible, organisation__path__startswith=organisation.path,
                                        since__lte=today).filter(Q(until__isnull=True) | Q(until__gte=today))
              .exists() or Position.objects.current(today).filter(person=responsible,
                                                                 organisation=organisation).exists())
    if not in_org:
        errors["responsible"] = _("%(name)s no es socia ni dirigenta de %(org)s.") % {
            "name": responsible.full_name, "org": organisation.name}
    if errors:
        raise ValidationError(errors)
    agreement = Agreement.objects.create(
        organisation=organisation, motion=motion, text=(text.strip() or motion.text)[:300], responsible=responsible,
        deadline=deadline, involves_authority=involves_authority, authority=authority.strip() if involves_authority
        else "")
    record(scope=scope, action="gov.agreement", obj=agreement, org_path=organisation.path, after=snapshot(agreement))
    return agreement


@transaction.atomic
def set_agreement_status(*, scope: Scope, agreement: Agreement, status: str) -> Agreement:
    agreement = Agreement.objects.select_for_update().select_related("organisation").get(pk=agreement.pk)
    scope.require(Can.EDIT, agreement.organisation)
    if status not in Agreement.Status.values:
        raise ValidationError(_("Estado desconocido."))
    before = snapshot(agreement)
    agreement.status = status
    agreement.done_on = timezone.localdate() if status == Agreement.Status.DONE else None
    agreement.save(update_fields=["status", "done_on", "updated_at"])
    record(scope=scope, action="gov.agreement.status", obj=agreement, org_path=agreement.organisation.path,
           before=before, after=snapshot(agreement))
    return agreement


def send_agreement_reminders(on: datetime.date | None = None) -> int:
    """A text to each person responsible for a pending agreement whose deadline is within
    REMIND_DAYS_BEFORE days, once (`ayni remind-agreements`, nightly)."""
    on = on or timezone.localdate()
    due = (Agreement.objects.filter(status=Agreement.Status.PENDING, reminded_on__isnull=True,
                                    deadline__gte=on, deadline__lte=on + datetime.timedelta(days=REMIND_DAYS_BEFORE))
           .exclude(responsible__phone="").select_related("organisation", "responsible"))
    sent = 0
    for agreement in due:
        with transaction.atomic():
            # Claimed with a conditional update: two runs at once remind once.
            if not Agreement.objects.filter(pk=agreement.pk, reminded_on__isnull=True).update(reminded_on=on):
                continue
            notify.remind_agreement(agreement)
            sent += 1
    return sent
