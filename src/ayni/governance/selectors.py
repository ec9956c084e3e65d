"""Scoped reads of governance. Names of electors leave through `roll_of` only, and only when
the caller sees names in the organisation; a secret ballot is read only as its tally."""

import datetime

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from ayni.accounts.scope import Can, Scope
from ayni.governance.models import AgendaItem, Agreement, Assembly, Attendance, Elector, Motion, Participation, Proxy
from ayni.governance.rules import ATTENDANCE_OPENS_BEFORE
from ayni.orgs.models import Organisation
from ayni.people.models import Membership, Person


def visible_assemblies(scope: Scope) -> QuerySet[Assembly]:
    return (Assembly.objects.filter(scope.q(Can.VIEW, prefix="organisation__"))
            .select_related("organisation__kind").order_by("-starts_at", "-pk"))


def assemblies_of(scope: Scope, organisation: Organisation) -> QuerySet[Assembly]:
    """The organisation's assemblies, if it is in the caller's sight."""
    return visible_assemblies(scope).filter(organisation=organisation)


def get_assembly(scope: Scope, organisation: Organisation, pk) -> Assembly:
    """One assembly of the organisation, found only in the caller's sight (404 otherwise)."""
    try:
        return (visible_assemblies(scope).select_related("organisation__kind")
                .prefetch_related(Prefetch("agenda__motions",
                                           queryset=Motion.objects.select_related("agreement").order_by("pk")))
                .get(organisation=organisation, pk=pk))
    except (Assembly.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_motion(assembly: Assembly, pk) -> Motion:
    try:
        return Motion.objects.select_related("item__assembly__organisation").get(item__assembly=assembly, pk=pk)
    except (Motion.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def ballot_of(person, motion_pk) -> tuple[Motion, Elector]:
    """A motion and the person's place on its assembly's roll, found only if she is on it — the
    voting page's lookup: anyone else (and anyone without a person record) gets 404, never a hint
    that the motion exists."""
    if person is None:
        raise Http404
    try:
        elector = (Elector.objects.filter(person=person)
                   .get(assembly__agenda__motions__pk=motion_pk))
        motion = Motion.objects.select_related("item__assembly__organisation").get(pk=motion_pk)
    except (Elector.DoesNotExist, Motion.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    return motion, elector


def roll_of(assembly: Assembly) -> QuerySet[Elector]:
    """The assembly's roll with who is present and whose proxy she carries (the caller has
    checked VIEW_PERSONAL: names and DNI are on it)."""
    return (Elector.objects.filter(assembly=assembly)
            .annotate(present=Exists(Attendance.objects.filter(elector=OuterRef("pk"))))
            .select_related("person", "delegate_of", "proxy_given__holder").order_by("number"))


def proxies_of(assembly: Assembly) -> QuerySet[Proxy]:
    return Proxy.objects.filter(assembly=assembly).select_related("giver__person", "holder__person")


def ballots_for(person, now=None) -> list[tuple[Elector, Motion, bool]]:
    """The motions a person (a Person or its id) may vote on now, from her own account: (her
    place on the roll, the motion, whether she already voted). Her own participation is hers to see, never how others
    voted."""
    if person is None:
        return []
    now = now or timezone.now()
    electors = {e.assembly_id: e for e in Elector.objects.filter(person=person).filter(
        assembly__status__in=[Assembly.Status.CONVENED, Assembly.Status.IN_SESSION])}
    if not electors:
        return []
    motions = (Motion.objects.filter(item__assembly_id__in=electors).exclude(ballot=Motion.Ballot.HANDS)
               .select_related("item__assembly__organisation").order_by("item__assembly__starts_at", "pk"))
    voted = set(Participation.objects.filter(elector__in=electors.values()).values_list("motion_id", flat=True))
    return [(electors[motion.item.assembly.pk], motion, motion.pk in voted) for motion in motions
            if _takes_votes(motion.item.assembly, motion, now)]


def _window_open(assembly: Assembly, now) -> bool:
    """A consultation over days takes votes while convened and within its window."""
    return (assembly.is_async and assembly.status == Assembly.Status.CONVENED
            and assembly.starts_at <= now <= assembly.ends_at)


def _takes_votes(assembly: Assembly, motion: Motion, now) -> bool:
    """A motion takes votes now: in a consultation's open window, or opened by the secretary in
    an assembly in session (the one rule of the ballots on her home and governance pages)."""
    if assembly.is_async:
        return _window_open(assembly, now)
    return motion.status == Motion.Status.OPEN and assembly.status == Assembly.Status.IN_SESSION


def agreements_under(scope: Scope, organisation: Organisation, *, overdue: bool = False) -> QuerySet[Agreement]:
    """Agreements of the organisation and every organisation below it that the caller sees;
    `overdue`: pending past their deadline."""
    qs = (Agreement.objects.filter(organisation__path__startswith=organisation.path)
          .filter(scope.q(Can.VIEW, prefix="organisation__"))
          .select_related("organisation", "responsible", "motion__item__assembly"))
    if overdue:
        qs = qs.filter(status=Agreement.Status.PENDING, deadline__lt=timezone.localdate())
    return qs.order_by("deadline", "pk")


def get_agreement(scope: Scope, organisation: Organisation, pk) -> Agreement:
    """One agreement of the organisation, found only in the caller's sight (404 otherwise)."""
    try:
        return (Agreement.objects.filter(scope.q(Can.VIEW, prefix="organisation__")).select_related("organisation")
                .get(organisation=organisation, pk=pk))
    except (Agreement.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def home_assemblies(person, now=None) -> tuple[list[tuple[None, Motion, bool]], list[dict]]:
    """Her ballots and her convocations at once, for her home page: the open
    motions she may vote on now as (None, motion, whether she already voted) — her place on the
    roll is not read — and the assemblies she is convened to. Both come from her own place on a
    roll, so they are read together: one query when she is convened to none, two when none of
    her assemblies is voting now, three otherwise (the assemblies, their agenda, the motions she
    may vote on with whether she voted)."""
    if person is None:
        return [], []
    now = now or timezone.now()
    assemblies, seen = [], set()
    for assembly in (Assembly.objects.filter(electors__person=person,
                                             status__in=[Assembly.Status.CONVENED, Assembly.Status.IN_SESSION])
                     .select_related("organisation").order_by("starts_at", "pk")):
        if assembly.pk not in seen:  # on its roll twice (a delegate's place too): one convocation
            seen.add(assembly.pk)
            assemblies.append(assembly)
    if not assemblies:
        return [], []
    agenda: dict[int, list[AgendaItem]] = {a.pk: [] for a in assemblies}
    by_pk = {a.pk: a for a in assemblies}
    items = {}
    for item in AgendaItem.objects.filter(assembly_id__in=list(by_pk)):
        item.assembly = by_pk[item.assembly_id]
        agenda[item.assembly_id].append(item)
        items[item.pk] = item

    voting = [a.pk for a in assemblies
              if _window_open(a, now) or (not a.is_async and a.status == Assembly.Status.IN_SESSION)]
    motions: dict[int, list[Motion]] = {pk: [] for pk in voting}
    if voting:
        mine = Participation.objects.filter(motion=OuterRef("pk"), elector__person=person)
        for motion in (Motion.objects.filter(item__assembly_id__in=voting).exclude(ballot=Motion.Ballot.HANDS)
                       .annotate(voted=Exists(mine)).order_by("pk")):
            motion.item = items[motion.item_id]
            motions[motion.item.assembly_id].append(motion)
    ballots, convocations = [], []
    for assembly in assemblies:
        open_window = _window_open(assembly, now)
        ballots.extend((None, motion, motion.voted) for motion in motions.get(assembly.pk, [])
                       if _takes_votes(assembly, motion, now))
        if len(convocations) < 20:
            convocations.append({"assembly": assembly, "agenda": agenda[assembly.pk], "open": open_window,
                                 "motions": motions.get(assembly.pk, []) if open_window else []})
    return ballots, convocations


# --- Texts from a member's phone ----------------------------------------------------------------
# A text names no account: the sender is whoever the roll says holds that phone. These reads look
# only at the rolls the phone is on, so a motion of an assembly she is not on is as absent as one
# that does not exist.

def phone_forms(phone: str) -> list[str]:
    """The ways a normalised phone ('987654321') may have been written on a person's record."""
    return [phone, f"+51{phone}", f"51{phone}"] if phone else []


def motion_of_her_organisation(people, number: int) -> Motion | None:
    """The motion numbered `number` if one of `people` (the sender of a text) belongs to its
    assembly's organisation or one below it, so that she can be told why she is not on its roll;
    None otherwise — for anyone else it reads as a motion that does not exist."""
    motion = Motion.objects.filter(pk=number).select_related("item__assembly__organisation").first()
    if motion is None:
        return None
    inside = Membership.objects.filter(person__in=people,
                                       organisation__path__startswith=motion.item.assembly.organisation.path)
    return motion if inside.exists() else None


def people_with_phone(phone: str) -> QuerySet[Person]:
    """The people whose record carries this (normalised) phone: who a text is from."""
    return Person.objects.filter(phone__in=phone_forms(phone)).order_by("pk")


def places_of_phone(phone: str) -> QuerySet[Elector]:
    """Every place on an assembly's roll held by a person with this (normalised) phone."""
    return (Elector.objects.filter(person__phone__in=phone_forms(phone))
            .select_related("person", "assembly__organisation"))


def ballots_by_phone(phone: str, motion_pk) -> tuple[Motion | None, list[Elector]]:
    """The motion and the places on its assembly's roll held with this phone — (None, []) when the
    motion does not exist or the phone is not on its roll, which the caller must not tell apart."""
    try:
        motion_pk = int(motion_pk)
    except (TypeError, ValueError):
        return None, []
    electors = list(places_of_phone(phone).filter(assembly__agenda__motions__pk=motion_pk).order_by("number"))
    if not electors:
        return None, []
    motion = Motion.objects.select_related("item__assembly__organisation").get(pk=motion_pk)
    return motion, electors


def ballots_by_phones(pairs) -> dict[tuple[str, int], list[Elector]]:
    """`ballots_by_phone` for many texts in one query: for each (normalised phone, motion number)
    whose phone holds a place on that motion's assembly's roll, those places (by number). A pair
    left out is a motion that does not exist or a phone not on its roll, not told apart."""
    wanted = {(phone, int(n)) for phone, n in pairs if phone and str(n).isdigit()}
    if not wanted:
        return {}
    forms = {form: phone for phone, _n in wanted for form in phone_forms(phone)}
    motions: dict[int, list[int]] = {}
    for pk, assembly_id in Motion.objects.filter(pk__in={n for _p, n in wanted}).values_list("pk",
                                                                                           "item__assembly_id"):
        motions.setdefault(assembly_id, []).append(pk)
    if not motions:
        return {}
    # The senders first, by the phone index, then their places: joined from the motions, the
    # planner read a national assembly's whole roll (110,000 places) for every batch of texts.
    rows = (Elector.objects.filter(person__in=Person.objects.filter(phone__in=forms), assembly_id__in=motions)
            .select_related("person").order_by("number"))
    found: dict[tuple[str, int], list[Elector]] = {}
    for elector in rows:
        for motion_pk in motions[elector.assembly_id]:
            key = (forms[elector.person.phone], motion_pk)
            if key in wanted:
                found.setdefault(key, []).append(elector)
    return found


def attendance_open_for_phone(phone: str, now=None) -> list[Elector]:
    """Her places on the rolls of assemblies (not consultations) taking attendance now: convened
    or in session, on today's date, from an hour before the first call."""
    return attendance_open_for_phones([phone], now).get(phone, [])


def _by_phone(phones) -> dict[str, str]:
    """Every way the (normalised) phones may be written on a person's record, to the phone."""
    return {form: phone for phone in set(phones) for form in phone_forms(phone)}


def people_with_phones(phones) -> dict[str, list[Person]]:
    """`people_with_phone` for many phones in one query: by normalised phone, those with it."""
    forms = _by_phone(phones)
    found: dict[str, list[Person]] = {}
    for person in Person.objects.filter(phone__in=forms).order_by("pk") if forms else []:
        found.setdefault(forms[person.phone], []).append(person)
    return found


def attendance_open_for_phones(phones, now=None) -> dict[str, list[Elector]]:
    """`attendance_open_for_phone` for many phones in one query, by normalised phone."""
    now = now or timezone.now()
    forms = _by_phone(phones)
    if not forms:
        return {}
    today_start = timezone.make_aware(datetime.datetime.combine(timezone.localdate(now), datetime.time()))
    places = (Elector.objects.filter(person__phone__in=forms).select_related("person", "assembly__organisation")
              .filter(assembly__status__in=[Assembly.Status.CONVENED, Assembly.Status.IN_SESSION],
                      assembly__starts_at__gte=today_start, assembly__starts_at__lte=now + ATTENDANCE_OPENS_BEFORE)
              .exclude(assembly__mode=Assembly.Mode.ASYNC).order_by("assembly__starts_at", "assembly_id", "number"))
    found: dict[str, list[Elector]] = {}
    for place in places:
        found.setdefault(forms[place.person.phone], []).append(place)
    return found


def next_assembly_of_phones(phones, now=None) -> dict[str, Elector]:
    """For each phone on the roll of an assembly convened for later: her place in the soonest one."""
    now = now or timezone.now()
    forms = _by_phone(phones)
    found: dict[str, Elector] = {}
    if not forms:
        return found
    places = (Elector.objects.filter(person__phone__in=forms, assembly__status=Assembly.Status.CONVENED,
                                     assembly__starts_at__gt=now)
              .select_related("person", "assembly__organisation").order_by("assembly__starts_at", "assembly_id"))
    for place in places:
        found.setdefault(forms[place.person.phone], place)
    return found
