"""Scoped reads of people. Names and DNIs leave the database only through these."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Exists, F, Lookup, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can, Scope
from ayni.lib.dni import ascii_digits
from ayni.lib.text import fold
from ayni.orgs.models import Organisation
from ayni.people.models import DuplicatePair, Membership, Person, Position
from ayni.people.search import MIN_INDEXED, dni_starts_with, long_enough, names_contain

# How many people a search counts and lists, at most: past that the page says «más de 1,000»
# and asks for more letters, rather than count and sort the 54,000 Quispes of the country.
SEARCH_LIMIT = 1000
# On SQLite, a scope with fewer memberships than this is searched by reading its people's names
# (`LIKE`), not through the trigram index: SQLite lists every match of the index in the whole
# country before it keeps those of the scope. On national-full, a kitchen leader's «quispe»
# costs 1.2 ms of CPU read whole and 16 ms through the index; a provincial coordinator's
# (14,131 people) 16 and 32 ms; the national board's 137 ms read whole for a rare name, 16 through the index.
SMALL_SCOPE = 20_000


def visible_people(scope: Scope) -> QuerySet[Person]:
    """People with a membership or a position in an organisation where names may be seen."""
    if scope.is_platform_admin or _covers_every_tree(scope):
        # The national board sees everyone: skip a per-row EXISTS over 100,000 people.
        return Person.objects.all()
    allowed = Organisation.objects.filter(scope.q(Can.VIEW_PERSONAL))
    return Person.objects.filter(
        Exists(Membership.objects.filter(person=OuterRef("pk"), organisation__in=allowed))
        | Exists(Position.objects.filter(person=OuterRef("pk"), organisation__in=allowed))
    )


def _covers_every_tree(scope: Scope) -> bool:
    whole = {path for path, subtree in scope.reach(Can.VIEW_PERSONAL) if subtree}
    if not whole:
        return False
    roots = set(Organisation.objects.filter(parent__isnull=True).values_list("path", flat=True))
    return bool(roots) and roots <= whole


def get_person(scope: Scope, pk) -> Person:
    try:
        return visible_people(scope).select_related("district__province", "district__department").get(pk=pk)
    except (Person.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def search_people(scope: Scope, text: str) -> QuerySet[Person]:
    """People in the user's personal scope whose name contains every word (accents folded) or
    whose DNI starts with the digits.

    Not `visible_people`: its EXISTS suits one person looked up by id, but a search tests every
    person whose name matches, and PostgreSQL ran both EXISTS once per matching row (a
    coordinator's «quispe» on the province demo: 435 ms). Here the people of the scope's
    memberships and positions are read once each, as hashed sets (13 ms). The words are looked up
    in the trigram index of the names (`people.search`), which the scope then narrows — or, on
    SQLite, for a scope of fewer than `SMALL_SCOPE` memberships, in its people's names."""
    everyone = scope.is_platform_admin or _covers_every_tree(scope)
    if everyone:
        qs = Person.objects.all()
    else:
        # One IN over the union, not two joined by OR: an OR keeps PostgreSQL from joining the
        # scope's people, so it tested each person whose name matched against both (a leader's
        # «quispe» on the national-full demo: 186 ms for her one socia; 5 ms with the union).
        allowed = Organisation.objects.filter(scope.q(Can.VIEW_PERSONAL))
        in_allowed = _in_organisations(allowed)
        in_scope = (Membership.objects.filter(in_allowed).order_by().values("person_id")
                    .union(Position.objects.filter(in_allowed).order_by().values("person_id")))
        qs = Person.objects.filter(pk__in=in_scope)
    text = text.strip()
    if text.isdigit():
        return qs.filter(dni_starts_with(ascii_digits(text)))
    words = fold(text).split()
    if everyone or connection.vendor != "sqlite":
        return qs.filter(names_contain(words))
    # PostgreSQL's planner weighs the index against the scope itself; SQLite needs telling.
    memberships = Membership.objects.filter(organisation__in=allowed).order_by().values("pk")[:SMALL_SCOPE].count()
    return qs.filter(names_contain(words, through_index=memberships >= SMALL_SCOPE))


class _AnyOf(Lookup):
    """`lhs = ANY(ARRAY(subquery))`: the subquery read once, first, into an array."""

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


def _in_organisations(allowed: QuerySet[Organisation]) -> Q | Lookup:
    """Memberships or positions in the `allowed` organisations, read through their organisation's
    index on PostgreSQL.

    Written `IN (SELECT …)`, a provincial coordinator's «quispe» on national-full read all 349,898
    memberships and 117,820 positions of the country, and the 54,388 Quispes' 16,000 pages through
    the trigram index, to keep the 662 of her 14,131 people (`EXPLAIN ANALYZE` 230–455 ms):
    PostgreSQL counted her 737 organisations and 15,000 memberships right, but priced reading them
    by organisation, and looking her people up by id, above those scans. An array read first is
    priced as a handful of organisations, so the plan starts from them: her organisations by the
    path index, their memberships and positions by `organisation_id`, her people by id, each name
    tested there (28 ms; a rare name, a DNI: 12 to 30 ms). That plan costs what the scope holds,
    not what the name matches (docs/performance.md). SQLite picks its plan by `SMALL_SCOPE`
    (`search_people`)."""
    if connection.vendor == "postgresql":
        return _AnyOf(F("organisation_id"), Subquery(allowed.order_by().values("pk")))
    return Q(organisation__in=allowed)


class FoundPeople:
    """What the search page lists: the first `SEARCH_LIMIT` people a search finds, by surname.

    Limit first, then sort: the ids come from the index in whatever order it yields them, and
    stop at `SEARCH_LIMIT` + 1, so a common surname costs what a rare one does (national-full
    «quispe», 54,388 people: counting them and sorting them for the first page took 320 ms on
    SQLite). `count` is exact up to the limit; `more` says there were more. Only the page shown
    is read in full, sorted in the database among those ids. A `Paginator` takes it as it is.
    """

    ORDER = ("paternal_surname", "maternal_surname", "given_names", "pk")

    def __init__(self, ids: list[int]):
        self.more = len(ids) > SEARCH_LIMIT
        self.ids = ids[:SEARCH_LIMIT]

    def count(self) -> int:
        return len(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, page: slice) -> list[Person]:
        if not self.ids:
            return []
        return list(Person.objects.filter(pk__in=self.ids).select_related("district").order_by(*self.ORDER)[page])


def find_people(scope: Scope, text: str) -> FoundPeople:
    """The search page's people (see `FoundPeople`); a search too short for the index
    (`people.search.long_enough`) is refused with the reason, in words."""
    if not long_enough(text):
        raise ValidationError(
            _("Escriba al menos %(n)d letras del nombre o %(n)d cifras del DNI.") % {"n": MIN_INDEXED},
            code="too_short")
    ids = search_people(scope, text).order_by().values_list("pk", flat=True)[:SEARCH_LIMIT + 1]
    return FoundPeople(list(ids))


@dataclass(frozen=True)
class DniMatch:
    """Who holds a DNI, seen from one user's scope.

    `person` is the holder when the user may already see her (a membership, a position or a roll
    entry, now or before, in an organisation where she sees names): the only one a caller may
    show, name or attach. `held_by` is the holder when the user may not see her: a caller treats
    the DNI exactly as if nobody held it, and only the services read `held_by`, to send the DNI to
    the duplicate review of a coordinator who covers both (`services.hold_dni_for_review`).

    While that review is open, the person the DNI was typed for stands in for the holder: when
    the user may see her, she is `person` (with `held_by` still set). So typing the DNI a second
    time finds the one registered the first time, as it would had nobody else held it, and a
    re-imported file adds nobody twice.
    """

    person: Person | None = None
    held_by: Person | None = None


NO_MATCH = DniMatch()


def find_by_dni(scope: Scope, dni: str | None) -> DniMatch:
    """The one lookup of a person by DNI, for every path (member and roll forms, the API, the
    import). The system scope (demo, tasks) sees everyone."""
    if not dni:
        return NO_MATCH
    return find_by_dnis(scope, [dni]).get(dni, NO_MATCH)


def find_by_dnis(scope: Scope, dnis) -> dict[str, DniMatch]:
    """`find_by_dni` for many DNIs in a few queries (an import); DNIs nobody holds are left out."""
    holders: dict[str, Person] = {}
    wanted = sorted({d for d in dnis if d})
    for i in range(0, len(wanted), 500):
        holders.update({p.dni: p for p in Person.objects.filter(dni__in=wanted[i:i + 500])})
    seen = _seen_among(scope, [p.pk for p in holders.values()])
    waiting = _waiting_for(scope, [p.pk for p in holders.values() if p.pk not in seen])
    return {dni: DniMatch(person=p) if p.pk in seen else DniMatch(person=waiting.get(p.pk), held_by=p)
            for dni, p in holders.items()}


def _waiting_for(scope: Scope, holder_ids: list[int]) -> dict[int, Person]:
    """For each holder out of sight, the person in sight whose typed DNI waits in an open
    same-DNI review with her (the lowest id, if several)."""
    if not holder_ids:
        return {}
    pairs = DuplicatePair.objects.filter(status=DuplicatePair.Status.OPEN, kind=DuplicatePair.Kind.SAME_DNI)
    other_of: dict[int, set[int]] = {}
    for i in range(0, len(holder_ids), 500):
        chunk = holder_ids[i:i + 500]
        for a, b in pairs.filter(Q(person_a_id__in=chunk) | Q(person_b_id__in=chunk)).values_list("person_a_id",
                                                                                                  "person_b_id"):
            holder, other = (a, b) if a in chunk else (b, a)
            if other is not None:
                other_of.setdefault(holder, set()).add(other)
    seen = _seen_among(scope, sorted({o for others in other_of.values() for o in others}))
    chosen = {h: min(others & seen) for h, others in other_of.items() if others & seen}
    people = Person.objects.in_bulk(chosen.values())
    return {h: people[pk] for h, pk in chosen.items()}


def _seen_among(scope: Scope, ids: list[int]) -> set[int]:
    """Which of these people the user may see: by membership or position (`visible_people`) or
    by a roll entry (`rolls.selectors.visible_roll_people`, through the reverse relation so that
    people does not import rolls)."""
    if scope.is_platform_admin or (ids and _covers_every_tree(scope)):
        return set(ids)
    allowed = Organisation.objects.filter(scope.q(Can.VIEW_PERSONAL))
    seen: set[int] = set()
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        seen.update(Membership.objects.filter(person_id__in=chunk, organisation__in=allowed)
                    .values_list("person_id", flat=True))
        seen.update(Position.objects.filter(person_id__in=chunk, organisation__in=allowed)
                    .values_list("person_id", flat=True))
        seen.update(Person.objects.filter(pk__in=chunk, roll_entries__kitchen__in=allowed)
                    .values_list("pk", flat=True))
    return seen


def _current_members(org: Organisation, on: datetime.date | None) -> QuerySet[Membership]:
    on = on or timezone.localdate()
    return org.memberships.filter(since__lte=on).filter(Q(until__isnull=True) | Q(until__gte=on))


def members_of(scope: Scope, org: Organisation, on: datetime.date | None = None) -> QuerySet[Membership]:
    """Current socias of one organisation, by name: only where the scope may see names."""
    scope.require(Can.VIEW_PERSONAL, org)
    return (
        _current_members(org, on).select_related("person")
        .order_by("person__paternal_surname", "person__given_names")
    )


def member_count(scope: Scope, org: Organisation, on: datetime.date | None = None) -> int:
    """How many socias it has: a figure, which whoever sees the organisation may see."""
    scope.require(Can.VIEW, org)
    return _current_members(org, on).count()


def board_of(scope: Scope, org: Organisation, on: datetime.date | None = None) -> QuerySet[Position]:
    """Its board today, by name: only where the scope may see names."""
    scope.require(Can.VIEW_PERSONAL, org)
    return org.positions.current(on).select_related("person", "kind")


def terms_ending(scope: Scope, days: int = 60, on: datetime.date | None = None) -> QuerySet[Position]:
    """Board terms in the user's personal scope that end within `days` (coordinators' alert)."""
    allowed = Organisation.objects.filter(scope.q(Can.VIEW_PERSONAL))
    return (
        Position.objects.ending_within(days, on)
        .filter(organisation__in=allowed, kind__group="board")
        .select_related("person", "kind", "organisation")
        .order_by("ends_on")
    )


def organisations_without_board(scope: Scope, on: datetime.date | None = None) -> QuerySet[Organisation]:
    on = on or timezone.localdate()
    current = Position.objects.current(on).filter(organisation=OuterRef("pk"), kind__group="board")
    return (
        Organisation.objects.filter(scope.q(Can.VIEW_PERSONAL), kind__level=4, status="active")
        .exclude(Exists(current))
        .select_related("kind")
    )
