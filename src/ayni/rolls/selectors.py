"""Scoped reads of the roll. Names and DNIs of the people who eat at a kitchen leave the
database only through these; viewers and allies get the counts."""

import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from ayni.accounts.scope import Can, Scope
from ayni.lib.dni import ascii_digits
from ayni.lib.text import fold
from ayni.orgs.models import Organisation
from ayni.people.models import DuplicatePair, Person
from ayni.people.search import dni_starts_with
from ayni.rolls.models import Category, ImportBatch, Ration, RollEntry


def require_kitchen(scope: Scope, org: Organisation, can: Can) -> None:
    """Only kitchens have a roll; 404 otherwise, then the usual 404/403 of the scope."""
    scope.require(can, org)
    if not org.kind.is_kitchen:
        raise Http404


def roll_entries(scope: Scope, org: Organisation, *, on: datetime.date | None = None, text: str = "",
                 category: str = "", ration: str = "") -> QuerySet[RollEntry]:
    """Current entries of the roll of `org` and the kitchens below it, with names."""
    scope.require(Can.VIEW_PERSONAL, org)
    qs = (RollEntry.objects.current(on).filter(kitchen__path__startswith=org.path)
          .select_related("person", "category", "kitchen", "household__head"))
    if category:
        qs = qs.filter(category_id=category)
    if ration:
        qs = qs.filter(ration=ration)
    text = text.strip()
    if text.isdigit():
        qs = qs.filter(dni_starts_with(ascii_digits(text), field="person__dni"))
    else:
        for word in fold(text).split():
            qs = qs.filter(person__search_name__contains=word)
    return qs


def likely_category(scope: Scope, kitchen: Organisation, on: datetime.date | None = None) -> str:
    """The category a new person on this roll most likely has: the commonest on it today, or
    "otro" on an empty roll — a default she rarely changes, not the first row of the list."""
    scope.require(Can.VIEW, kitchen)
    row = (RollEntry.objects.current(on).filter(kitchen=kitchen).values("category_id")
           .annotate(n=Count("id")).order_by("-n", "category_id").first())
    return row["category_id"] if row else "otro"


def roll_counts(scope: Scope, org: Organisation, on: datetime.date | None = None) -> dict:
    """Counts for `org`'s subtree: by category, by ration type, people counted once. No names,
    so a viewer may read them."""
    scope.require(Can.VIEW, org)
    current = RollEntry.objects.current(on).filter(kitchen__path__startswith=org.path)
    names = {c.code: c.short_name for c in Category.objects.all()}
    by_category = {row["category_id"]: row["n"] for row in current.values("category_id").annotate(n=Count("id"))}
    by_ration = {row["ration"]: row["n"] for row in current.values("ration").annotate(n=Count("id"))}
    totals = current.aggregate(entries=Count("id"), people=Count("person", distinct=True),
                               kitchens=Count("kitchen", distinct=True),
                               no_consent=Count("id", filter=Q(consent_method="")))
    return {
        "by_category": [(code, name, by_category.get(code, 0)) for code, name in names.items()],
        "by_ration": [(value, label, by_ration.get(value, 0)) for value, label in Ration.choices],
        **totals,
    }


def visible_roll_people(scope: Scope) -> QuerySet[Person]:
    """People on the roll (now or before) of a kitchen where the user may see names."""
    if scope.is_platform_admin:
        return Person.objects.all()
    allowed = Organisation.objects.filter(scope.q(Can.VIEW_PERSONAL))
    return Person.objects.filter(Exists(RollEntry.objects.filter(person=OuterRef("pk"), kitchen__in=allowed)))


def person_history(scope: Scope, pk) -> tuple[Person, list[RollEntry]]:
    """A person and her entries across the kitchens this user may see names of, newest first."""
    try:
        person = visible_roll_people(scope).select_related("district").get(pk=pk)
    except (Person.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    entries = (RollEntry.objects.filter(person=person).filter(scope.q(Can.VIEW_PERSONAL, prefix="kitchen__"))
               .select_related("kitchen", "category", "consent_recorded_by").order_by("-since"))
    return person, list(entries)


def get_entry(scope: Scope, pk, can: Can = Can.VIEW_PERSONAL) -> RollEntry:
    try:
        entry = RollEntry.objects.select_related("person", "kitchen__kind", "category").get(pk=pk)
    except (RollEntry.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    scope.require(can, entry.kitchen)
    return entry


def duplicate_queue(scope: Scope, status: str = DuplicatePair.Status.OPEN) -> QuerySet[DuplicatePair]:
    """Pairs whose two kitchens this user may validate."""
    return (DuplicatePair.objects.filter(status=status)
            .filter(scope.q(Can.VALIDATE, prefix="kitchen_a__"))
            .filter(scope.q(Can.VALIDATE, prefix="kitchen_b__"))
            .select_related("person_a", "person_b", "kitchen_a", "kitchen_b"))


def get_pair(scope: Scope, pk) -> DuplicatePair:
    """A pair of records that may be one person, if one of its kitchens is in the user's sight
    (404 otherwise); deciding it then needs VALIDATE on both (`scope.require`, 404 for a side
    out of sight)."""
    try:
        return (DuplicatePair.objects.filter(scope.q(Can.VIEW, prefix="kitchen_a__")
                                             | scope.q(Can.VIEW, prefix="kitchen_b__"))
                .select_related("person_a", "person_b", "kitchen_a", "kitchen_b").get(pk=pk))
    except (DuplicatePair.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_import(scope: Scope, pk) -> ImportBatch:
    """An uploaded roll, if its kitchen is in the user's sight (404 otherwise), without the file."""
    try:
        return (ImportBatch.objects.filter(scope.q(Can.VIEW, prefix="kitchen__")).defer("content")
                .select_related("kitchen__kind").get(pk=pk))
    except (ImportBatch.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def household_heads(org: Organisation, on: datetime.date | None = None) -> QuerySet[Person]:
    """People on this kitchen's roll who may head a household (the caller has checked scope)."""
    on = on or timezone.localdate()
    return Person.objects.filter(pk__in=RollEntry.objects.current(on).filter(kitchen=org).values("person"))


def similar_people(scope: Scope, kitchen: Organisation, fields: dict, limit: int = 5) -> list[tuple]:
    """"Is this the same person as …?": people the user may see, on any roll in her scope, who
    look like the one about to be registered. (person, kind, score, reason), best first."""
    from ayni.rolls import dedupe

    new = dedupe.make_record(0, fields.get("given_names", ""), fields.get("paternal_surname", ""),
                             fields.get("maternal_surname", ""), fields.get("birth_date"), fields.get("dni") or "",
                             kitchen.district_id)
    block = Q()
    for surname in (new.paternal, new.maternal):
        if len(surname) >= 3:
            block |= Q(search_name__contains=surname[:3])
    if new.birth:
        block |= Q(birth_date=new.birth)
    if not block:
        return []
    candidates = (visible_roll_people(scope).filter(block)
                  .prefetch_related("roll_entries__kitchen").order_by("pk")[:2000])
    found = []
    for person in candidates:
        entries = list(person.roll_entries.all())
        district = person.district_id or (entries[0].kitchen.district_id if entries else "")
        other = dedupe.make_record(person.pk, person.given_names, person.paternal_surname, person.maternal_surname,
                                   person.birth_date, person.dni, district)
        result = dedupe.classify(new, other)
        if result:
            found.append((person, *result))
    found.sort(key=lambda row: -row[2])
    return found[:limit]
