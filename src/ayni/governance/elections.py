"""Board elections: an electoral committee, lists of candidates (*planchas*), the vote, and the
winning list written into the registry as the board's positions for the term.

The vote is the assembly's own: each list is put to the vote as a motion of kind «board
election» (`DecisionKind.ELECTION`, so the statute's `majority_election` applies), by web, text
message (`V 12 SI`) or show of hands. With a single list (the usual *lista única*) the motion
adopted elects it. With several, a socia votes SI on the list she supports; of the lists whose
motion was adopted, the one with most votes in favour wins, and a tie at the top elects nobody
(the election is repeated, as the statutes say). No list adopted: nobody is elected.

The positions are written through `people.services.assign_position` (its own checks and audit
entries); the outgoing board's terms that would overlap end the day before the new term starts
(`people.services.end_position`)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can, Scope
from ayni.audit.services import record, snapshot
from ayni.governance import services
from ayni.governance.models import (
    AgendaItem,
    Assembly,
    Candidate,
    CommitteeMember,
    DecisionKind,
    Election,
    Motion,
    Slate,
)
from ayni.orgs.models import Organisation
from ayni.people import services as people
from ayni.people.models import Membership, Person, Position, PositionKind

REQUIRED = ("presidenta",)  # a list without a presidenta is not a list


def _belongs(person: Person, organisation: Organisation, on: datetime.date) -> bool:
    """A socia of the organisation or of one below it (a federation's board comes from its bases)."""
    return Membership.objects.filter(person=person, organisation__path__startswith=organisation.path,
                                     since__lte=on).filter(Q(until__isnull=True) | Q(until__gte=on)).exists()


def _locked(election: Election) -> Election:
    return (Election.objects.select_for_update().select_related("organisation", "item__assembly")
            .get(pk=election.pk))


@transaction.atomic
def call_election(*, scope: Scope, item: AgendaItem, term_starts: datetime.date, term_ends: datetime.date,
                  committee: list[tuple[Person, str]]) -> Election:
    """An election on a point of a convened assembly's agenda, with its electoral committee."""
    assembly = Assembly.objects.select_related("organisation").get(pk=item.assembly_id)
    organisation = assembly.organisation
    scope.require(Can.EDIT, organisation)
    today = timezone.localdate()
    errors = {}
    if assembly.status not in (Assembly.Status.CONVENED, Assembly.Status.IN_SESSION):
        errors["item"] = _("La asamblea ya concluyó: convoque otra para la elección.")
    if term_ends <= term_starts:
        errors["term_ends"] = _("El periodo termina después de empezar.")
    elif (term_ends - term_starts).days > 366 * 6:
        errors["term_ends"] = _("Un periodo de más de seis años no es válido; revise el año de fin.")
    if term_starts < timezone.localdate(assembly.starts_at):
        errors["term_starts"] = _("La nueva junta empieza en la fecha de la asamblea o después.")
    if Election.objects.filter(item__assembly=assembly).exclude(status=Election.Status.VOID).exists():
        errors["item"] = _("Esta asamblea ya tiene una elección.")
    if not committee:
        errors["committee"] = _("Nombre al menos a una persona del comité electoral.")
    people_in = [p.pk for p, _role in committee]
    if len(set(people_in)) != len(people_in):
        errors["committee"] = _("Una persona figura dos veces en el comité electoral.")
    outsiders = [p.full_name for p, _role in committee if not _belongs(p, organisation, today)]
    if outsiders:
        errors["committee"] = _("No son socias de %(org)s: %(names)s.") % {"org": organisation.name,
                                                                           "names": ", ".join(outsiders)}
    if errors:
        raise ValidationError(errors)
    election = Election.objects.create(organisation=organisation, item=item, term_starts=term_starts,
                                       term_ends=term_ends, created_by=scope.actor)
    CommitteeMember.objects.bulk_create([CommitteeMember(election=election, person=p, role=role[:40])
                                         for p, role in committee])
    record(scope=scope, action="gov.election", obj=election, org_path=organisation.path,
           after={**snapshot(election), "committee": people_in})
    return election


@transaction.atomic
def register_slate(*, scope: Scope, election: Election, name: str,
                   candidates: list[tuple[PositionKind, Person]]) -> Slate:
    """Register a list: one candidate per board position (vocals may be several)."""
    election = _locked(election)
    organisation = election.organisation
    scope.require(Can.EDIT, organisation)
    if election.status != Election.Status.REGISTERING:
        raise ValidationError(_("La inscripción de listas ya se cerró."))
    today = timezone.localdate()
    errors = []
    if not name.strip():
        errors.append(_("Escriba el nombre de la lista."))
    kinds = [k.code for k, _p in candidates]
    for code in REQUIRED:
        if code not in kinds:
            errors.append(_("La lista necesita una candidata a %(kind)s.") % {
                "kind": PositionKind.objects.get(code=code).name.lower()})
    repeated = {c for c in kinds if c != "vocal" and kinds.count(c) > 1}
    if repeated:
        errors.append(_("Un solo cargo de cada uno por lista (repetido: %(kinds)s).") % {"kinds": ", ".join(repeated)})
    if any(k.group != PositionKind.Group.BOARD for k, _p in candidates):
        errors.append(_("Solo se eligen cargos de la junta directiva."))
    people_in = [p.pk for _k, p in candidates]
    if len(set(people_in)) != len(people_in):
        errors.append(_("Una persona figura dos veces en la lista."))
    committee = set(election.committee.values_list("person_id", flat=True))
    running = set(Candidate.objects.filter(slate__election=election).values_list("person_id", flat=True))
    for _kind, person in candidates:
        if person.pk in committee:
            errors.append(_("%(name)s es del comité electoral y no puede postular.") % {"name": person.full_name})
        elif person.pk in running:
            errors.append(_("%(name)s ya postula en otra lista.") % {"name": person.full_name})
        elif not _belongs(person, organisation, today):
            errors.append(_("%(name)s no es socia de %(org)s.") % {"name": person.full_name,
                                                                   "org": organisation.name})
    if errors:
        raise ValidationError(errors)
    number = (election.slates.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    slate = Slate.objects.create(election=election, number=number, name=name.strip()[:80])
    Candidate.objects.bulk_create([Candidate(slate=slate, kind=k, person=p) for k, p in candidates])
    record(scope=scope, action="gov.slate", obj=slate, org_path=organisation.path,
           after={"election": election.pk, "number": number, "name": slate.name,
                  "candidates": [[k.code, p.pk] for k, p in candidates]})
    return slate


def _ballot_text(slate: Slate) -> str:
    names = ", ".join(f"{c.kind.name} {c.person.full_name}" for c in slate.candidates.select_related("kind", "person"))
    return (_("Elegir a la %(slate)s: %(names)s") % {"slate": slate, "names": names})[:300]


@transaction.atomic
def open_ballot(*, scope: Scope, election: Election, ballot: str = Motion.Ballot.SECRET) -> list[Motion]:
    """Close the registration and put each list to the vote as a motion of kind board election."""
    election = _locked(election)
    scope.require(Can.EDIT, election.organisation)
    if election.status != Election.Status.REGISTERING:
        raise ValidationError(_("Las listas ya están en votación."))
    slates = list(election.slates.order_by("number"))
    if not slates:
        raise ValidationError(_("No hay listas inscritas."))
    motions = []
    for slate in slates:
        motion = services.add_motion(scope=scope, item=election.item, text=_ballot_text(slate),
                                     decision=DecisionKind.ELECTION, ballot=ballot)
        slate.motion = motion
        slate.save(update_fields=["motion"])
        motions.append(motion)
    election.status = Election.Status.VOTING
    election.save(update_fields=["status"])
    record(scope=scope, action="gov.election.ballot", obj=election, org_path=election.organisation.path,
           after={"motions": [m.pk for m in motions]})
    return motions


def winner_of(slates: list[Slate]) -> tuple[Slate | None, str]:
    """The list elected by its motions' outcomes, or None and why."""
    adopted = [s for s in slates if s.motion.outcome == Motion.Outcome.ADOPTED]
    if not adopted:
        return None, _("Ninguna lista alcanzó la mayoría que pide el estatuto.")
    best = max(s.motion.yes for s in adopted)
    top = [s for s in adopted if s.motion.yes == best]
    if len(top) > 1:
        return None, _("Empate entre %(slates)s: la elección se repite.") % {
            "slates": _(" y ").join(str(s) for s in top)}
    return top[0], ""


@transaction.atomic
def decide_election(*, scope: Scope, election: Election) -> tuple[Election, str]:
    """Once every list's motion is closed: the winning list becomes the board for the term —
    its positions written in the registry, the outgoing board's overlapping terms ended the day
    before. Returns the election and, when nobody was elected, why."""
    election = _locked(election)
    organisation = election.organisation
    scope.require(Can.EDIT, organisation)
    if election.status != Election.Status.VOTING:
        raise ValidationError(_("La elección no está en votación."))
    slates = list(election.slates.select_related("motion").order_by("number"))
    if any(s.motion.status != Motion.Status.CLOSED for s in slates):
        raise ValidationError(_("Cierre primero la votación de cada lista."))
    winner, why = winner_of(slates)
    election.decided_at = timezone.now()
    if winner is None:
        election.status = Election.Status.VOID
        election.save(update_fields=["status", "decided_at"])
        record(scope=scope, action="gov.election.decide", obj=election, org_path=organisation.path,
               after={"status": election.status, "why": why})
        return election, why
    elected_by = (_("Elección de %(date)s, %(slate)s") % {
        "date": timezone.localtime(election.item.assembly.starts_at).strftime("%d/%m/%Y"), "slate": winner})[:120]
    candidates = list(winner.candidates.select_related("kind", "person"))
    handover = election.term_starts - datetime.timedelta(days=1)
    outgoing = (Position.objects.filter(organisation=organisation, kind__in=[c.kind for c in candidates],
                                        ends_on__gte=election.term_starts, starts_on__lte=handover)
                .exclude(kind_id="vocal"))
    for position in outgoing:
        people.end_position(scope=scope, position=position, on=handover)
    for candidate in candidates:
        people.assign_position(scope=scope, person=candidate.person, organisation=organisation, kind=candidate.kind,
                               starts_on=election.term_starts, ends_on=election.term_ends, elected_by=elected_by)
    election.status, election.winner = Election.Status.DECIDED, winner
    election.save(update_fields=["status", "winner", "decided_at"])
    record(scope=scope, action="gov.election.decide", obj=election, org_path=organisation.path,
           after={"status": election.status, "winner": winner.pk, "positions": len(candidates)})
    return election, ""


# --- Scoped reads ----------------------------------------------------------------------------------

def elections_of(scope: Scope, organisation: Organisation) -> QuerySet[Election]:
    scope.require(Can.VIEW, organisation)
    return Election.objects.filter(organisation=organisation).select_related("item__assembly", "winner")


def get_election(scope: Scope, organisation: Organisation, pk) -> Election:
    """One election of the organisation, found only in the caller's sight (404 otherwise)."""
    if not scope.holds(Can.VIEW, organisation):
        raise Http404
    try:
        return Election.objects.select_related("organisation", "item__assembly", "winner").get(
            organisation=organisation, pk=pk)
    except (Election.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def open_assemblies_for_election(scope: Scope, organisation: Organisation) -> QuerySet[AgendaItem]:
    """Agenda points of the organisation's assemblies still to be held, where an election may go."""
    scope.require(Can.EDIT, organisation)
    return (AgendaItem.objects.filter(assembly__organisation=organisation,
                                      assembly__status__in=[Assembly.Status.CONVENED, Assembly.Status.IN_SESSION])
            .select_related("assembly").order_by("-assembly__starts_at", "number"))


def board_term_ending(organisation: Organisation, days: int = 90,
                      on: datetime.date | None = None) -> datetime.date | None:
    """When the organisation's board term ends, if within `days` and no election is under way for
    the next term: the date to call an election before."""
    on = on or timezone.localdate()
    ends = (Position.objects.ending_within(days, on).filter(organisation=organisation, kind__group="board")
            .order_by("ends_on").values_list("ends_on", flat=True).first())
    if ends is None:
        return None
    under_way = Election.objects.filter(organisation=organisation, term_starts__gt=on - datetime.timedelta(days=1)) \
        .exclude(status=Election.Status.VOID).exists()
    return None if under_way else ends
