"""Scoped reads of leadership. Names leave only where the scope sees names (VIEW_PERSONAL), or to
a session's facilitator, for her own session's list."""

import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from ayni.accounts.scope import Can, Scope
from ayni.leadership.models import Attendance, Certificate, Enrolment, Programme, Representation, Session
from ayni.orgs.models import Organisation
from ayni.people.models import Membership, Person, Position


def visible_programmes(scope: Scope) -> QuerySet[Programme]:
    return (Programme.objects.filter(scope.q(Can.VIEW, prefix="organisation__"))
            .select_related("organisation").order_by("-starts_on", "pk"))


def get_programme(scope: Scope, pk) -> Programme:
    try:
        return visible_programmes(scope).get(pk=pk)
    except (Programme.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def facilitated_sessions(scope: Scope) -> QuerySet[Session]:
    """Her sessions as a facilitator, nearest first."""
    if scope.actor is None:
        return Session.objects.none()
    return (Session.objects.filter(facilitators=scope.actor).select_related("module", "programme")
            .order_by("starts_at"))


def get_session(scope: Scope, pk) -> Session:
    """A session its organisers see, or its facilitator; 404 for everyone else."""
    actor = scope.actor
    seen = scope.q(Can.VIEW, prefix="programme__organisation__")
    if actor is not None and seen.children:  # an empty Q is "everything" (the platform): OR would narrow it
        seen |= Q(facilitators=actor)
    try:
        return (Session.objects.filter(seen).select_related("module", "programme__organisation").distinct()
                .get(pk=pk))
    except (Session.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def session_list(session: Session) -> QuerySet[Enrolment]:
    """The enrolled women of the session's programme, with whether she is marked (the caller may
    take attendance)."""
    return (Enrolment.objects.filter(programme_id=session.programme_id, status=Enrolment.Status.ENROLLED)
            .select_related("person", "organisation")
            .annotate(present=Exists(Attendance.objects.filter(session=session, enrolment=OuterRef("pk"))))
            .order_by("person__paternal_surname", "person__given_names"))


def enrolments_of(scope: Scope, programme: Programme) -> QuerySet[Enrolment]:
    scope.require(Can.VIEW_PERSONAL, programme.organisation)
    return (programme.enrolments.select_related("person", "organisation", "certificate")
            .order_by("person__paternal_surname", "person__given_names"))


def sessions_of(programme: Programme) -> QuerySet[Session]:
    return programme.sessions.select_related("module").annotate(present=Count("attendances")).order_by("starts_at")


def get_certificate(scope: Scope, pk) -> Certificate:
    try:
        return (Certificate.objects.filter(scope.q(Can.VIEW_PERSONAL, prefix="issuer__"))
                .select_related("enrolment__person", "enrolment__programme", "issuer", "key").get(pk=pk))
    except (Certificate.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_enrolment(scope: Scope, programme: Programme, pk) -> Enrolment:
    try:
        return enrolments_of(scope, programme).get(pk=pk)
    except (Enrolment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def trajectory(person: Person) -> dict:
    """Her line: positions at every level with their terms, trainings and certificates,
    representation won. The caller has checked her consent and the scope."""
    return {
        "positions": list(Position.objects.filter(person=person).select_related("kind", "organisation__kind")
                          .order_by("-starts_on")),
        "trainings": list(Enrolment.objects.filter(person=person).select_related("programme__organisation")
                          .prefetch_related("certificate").order_by("-programme__starts_on")),
        "representations": list(Representation.objects.filter(person=person).select_related("territory")),
    }


# --- Succession ------------------------------------------------------------------------------

SUCCESSION_DAYS = 183  # "within six months"


def boards_ending(scope: Scope, on: datetime.date | None = None, limit: int = 30,
                  days: int = SUCCESSION_DAYS) -> list[Position]:
    """Board terms in the scope's sight ending within `days` (six months), soonest first: what
    `succession` reads, and the home page's terms ending within 60 days (their first rows)."""
    on = on or timezone.localdate()
    allowed = Organisation.objects.filter(scope.q(Can.VIEW_PERSONAL))
    return list(Position.objects.filter(organisation__in=allowed, kind__group="board", starts_on__lte=on,
                                        ends_on__gte=on, ends_on__lte=on + datetime.timedelta(days=days))
                .select_related("person", "kind", "organisation").order_by("ends_on", "pk")[:limit])


def succession(scope: Scope, on: datetime.date | None = None, limit: int = 30,
               ending: list[Position] | None = None) -> list[dict]:
    """For each board term in the scope's sight ending within six months: the organisation's
    socias who completed a training and never held that position there. An empty list of ready
    women is the warning. Three queries whatever the number of boards (two when the caller
    passes the terms `ending`, read by `boards_ending` with the same scope)."""
    on = on or timezone.localdate()
    if ending is None:
        ending = boards_ending(scope, on, limit)
    ending = ending[:limit]
    if not ending:
        return []
    orgs = {p.organisation_id for p in ending}
    trained = (Membership.objects.filter(organisation_id__in=orgs, since__lte=on)
               .filter(Q(until__isnull=True) | Q(until__gte=on))
               .filter(Exists(Enrolment.objects.filter(person=OuterRef("person"), completed_on__isnull=False)))
               .select_related("person").order_by("person__paternal_surname")
               .only("organisation_id", "person__given_names", "person__paternal_surname",
                     "person__maternal_surname"))
    by_org: dict[int, list[Person]] = {}
    for membership in trained:
        by_org.setdefault(membership.organisation_id, []).append(membership.person)
    candidates = {p.pk for people in by_org.values() for p in people}
    held = set(Position.objects.filter(organisation_id__in=orgs, person__in=candidates)
               .values_list("organisation_id", "kind_id", "person_id"))
    rows = []
    for position in ending:
        ready = [p for p in by_org.get(position.organisation_id, [])
                 if (position.organisation_id, position.kind_id, p.pk) not in held]
        rows.append({"position": position, "ready": ready})
    return rows
