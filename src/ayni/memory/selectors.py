"""Scoped reads of the memorial register and the library of experiences.

Names in the memorial are read under `Can.VIEW_PERSONAL`; the counts under `Can.VIEW`, with the
open data's small-cell suppression (`evidence/suppression.py`) for whoever may not read the
names, since one death in a small region and year points at a family. Experiences are seen by
everyone when public, by anyone of the movement when published to the network, and by the
organisation that writes them and the federation that reviews them before that.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce, ExtractYear
from django.http import Http404
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can, Scope
from ayni.audit.services import snapshot
from ayni.evidence.suppression import Cell, additive, protect, small
from ayni.lib.text import fold
from ayni.memory.models import Experience, ExperienceFile, ExperienceWord, MemorialRecord, MemorialVersion, Topic
from ayni.memory.services import MEMORIAL_FIELDS, words_of
from ayni.orgs.models import Organisation
from ayni.people.models import Membership, Person, Position

# --- The memorial register -----------------------------------------------------------------------


def memorial_records(scope: Scope, organisation: Organisation, *, withdrawn: bool = False) -> QuerySet[MemorialRecord]:
    """Records kept in the organisation and below it, with names: only where names may be read."""
    return (MemorialRecord.objects.filter(scope.q(Can.VIEW_PERSONAL, prefix="organisation__"))
            .filter(organisation__path__startswith=organisation.path, withdrawn=withdrawn)
            .select_related("person", "organisation", "district"))


def get_memorial(scope: Scope, pk) -> MemorialRecord:
    try:
        return (MemorialRecord.objects.filter(scope.q(Can.VIEW_PERSONAL, prefix="organisation__"))
                .select_related("person", "organisation", "district__department").get(pk=pk))
    except (MemorialRecord.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def public_memorial(pk) -> MemorialRecord:
    """A memorial page the family allowed to be public; any other is not found."""
    try:
        return (MemorialRecord.objects.filter(public=True, withdrawn=False)
                .select_related("person", "organisation", "district__department").get(pk=pk))
    except (MemorialRecord.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@dataclass
class Change:
    label: str
    before: object
    after: object


def history(memorial: MemorialRecord) -> list[tuple[MemorialVersion, list[Change]]]:
    """Each version a correction replaced, newest first, with what changed from it, in words."""
    versions = list(memorial.versions.select_related("by").order_by("version"))
    states = [v.data for v in versions] + [snapshot(memorial)]
    fields = (*MEMORIAL_FIELDS, "withdrawn")
    causes = dict(MemorialRecord.Cause.choices) | dict(MemorialRecord.ConsentBy.choices)

    def shown(value):
        if isinstance(value, bool):
            return _("sí") if value else _("no")
        return causes.get(value, value) if value not in (None, "") else "—"

    out = []
    for version, before, after in zip(versions, states, states[1:], strict=False):
        changes = [Change(str(MemorialRecord._meta.get_field(f).verbose_name), shown(before.get(f)),
                          shown(after.get(f))) for f in fields if before.get(f) != after.get(f)]
        out.append((version, changes))
    return out[::-1]


@dataclass
class Life:
    """The positions and organisations of her life, drawn from the registry."""

    positions: list[Position]
    memberships: list[Membership]


def life_of(person: Person) -> Life:
    return Life(
        positions=list(Position.objects.filter(person=person).select_related("kind", "organisation")
                       .order_by("starts_on", "pk")),
        memberships=list(Membership.objects.filter(person=person).select_related("organisation")
                         .order_by("since", "pk")),
    )


def candidates(scope: Scope, organisation: Organisation, text: str) -> QuerySet[Person]:
    """People of the organisation or below it (socias or with a position, ever) whose name holds
    every word typed, not yet in the register: whom a record may be opened for."""
    words = fold_words(text)
    if not words:
        return Person.objects.none()
    below = Organisation.objects.filter(path__startswith=organisation.path).filter(scope.q(Can.VIEW_PERSONAL))
    qs = Person.objects.filter(Q(memberships__organisation__in=below) | Q(positions__organisation__in=below),
                               memorial__isnull=True)
    for word in words:
        qs = qs.filter(search_name__contains=word)
    return qs.distinct().order_by("paternal_surname", "given_names")


def fold_words(text: str) -> list[str]:
    return fold(text).split()[:5]


@dataclass
class Counted:
    label: str
    n: int | None  # None: left blank, drawn from too few to publish


@dataclass
class MemorialCounts:
    total: int | None
    regions: list[Counted] = field(default_factory=list)
    years: list[Counted] = field(default_factory=list)
    causes: list[Counted] = field(default_factory=list)
    suppressed: bool = False


def _table(rows: list[tuple[str, int]], suppress: bool) -> list[Counted]:
    cells = [Cell(key=label, counts=(n,), suppressed=suppress and small(n)) for label, n in rows]
    if suppress:
        # The cells of a table add up to the published total: blank another where the total
        # minus the published ones would give back a small one.
        protect(cells, additive((0,)), known=(True,))
    return [Counted(c.key, None if c.suppressed else c.counts[0]) for c in cells]


def memorial_counts(scope: Scope, organisation: Organisation) -> MemorialCounts:
    """Leaders lost in the organisation and below it, by region, year and cause."""
    records = (MemorialRecord.objects.filter(scope.q(Can.VIEW, prefix="organisation__"))
               .filter(organisation__path__startswith=organisation.path, withdrawn=False))
    suppress = not scope.holds(Can.VIEW_PERSONAL, organisation)
    total = records.count()
    if suppress and small(total):
        return MemorialCounts(total=None, suppressed=True)
    regions = (records.annotate(region=Coalesce("district__department__name",
                                                "organisation__district__department__name"))
               .values_list("region").annotate(n=Count("pk")).order_by("region"))
    years = records.annotate(year=ExtractYear("died_on")).values_list("year").annotate(n=Count("pk")).order_by("year")
    causes = dict(records.values_list("cause").annotate(n=Count("pk")).order_by("cause"))
    labels = dict(MemorialRecord.Cause.choices)
    return MemorialCounts(
        total=total, suppressed=suppress,
        regions=_table([(r or _("Sin región"), n) for r, n in regions], suppress),
        years=_table([(str(y), n) for y, n in years], suppress),
        causes=_table([(str(labels.get(c, _("No se indicó"))), n) for c, n in causes.items()], suppress),
    )


# --- The library of experiences ------------------------------------------------------------------


def visible_experiences(scope: Scope) -> QuerySet[Experience]:
    """Public ones for everyone; published to the network for anyone with a role; drafts and
    those in review for their organisation's editors and the federation that reviews them."""
    published = Q(status=Experience.Status.PUBLISHED)
    seen = published & Q(audience=Experience.Audience.PUBLIC)
    if scope.is_platform_admin:
        return Experience.objects.all()
    if scope.holds(Can.VIEW):
        seen |= published
    if scope.holds(Can.EDIT):
        seen |= scope.q(Can.EDIT, prefix="organisation__")
    if scope.holds(Can.VALIDATE):
        seen |= scope.q(Can.VALIDATE, prefix="organisation__") & ~Q(status=Experience.Status.DRAFT)
    return Experience.objects.filter(seen)


def get_experience(scope: Scope, pk) -> Experience:
    try:
        return (visible_experiences(scope).select_related("organisation", "language")
                .prefetch_related("topics", "districts__department", "organisations",
                                  Prefetch("files", queryset=ExperienceFile.objects.select_related("file")
                                           .defer("file__content")))
                .get(pk=pk))
    except (Experience.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_experience_file(scope: Scope, experience_pk, file_pk) -> ExperienceFile:
    """A file of an experience the caller may read (404 otherwise)."""
    experience = get_experience(scope, experience_pk)
    try:
        return ExperienceFile.objects.select_related("file").defer("file__content").get(
            experience=experience, pk=file_pk)
    except (ExperienceFile.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def search_experiences(scope: Scope, *, words: str = "", topic: str = "", place: str = "",
                       mine: bool = False) -> QuerySet[Experience]:
    """Published experiences the caller may read (and, with `mine`, those of her organisations in
    any state), by topic slug, place (a UBIGEO code: department, province or district) and
    words — each word an indexed lookup on its folded form or a longer word it starts."""
    qs = visible_experiences(scope)
    if not mine:
        qs = qs.filter(status=Experience.Status.PUBLISHED)
    if topic:
        qs = qs.filter(topics__slug=topic)
    if place and place.isdigit() and len(place) in (2, 4, 6):
        # A UBIGEO code begins with its department's and province's: a prefix finds the place
        # and every district in it, through the primary key's index.
        qs = qs.filter(Q(districts__code__gte=place) & Q(districts__code__lt=place + "~"))
    for word in sorted(words_of(words))[:6]:
        # A range on the word, not LIKE: both engines walk the index (SQLite's LIKE does not).
        qs = qs.filter(pk__in=ExperienceWord.objects.filter(word__gte=word, word__lt=word + "~")
                       .values("experience_id"))
    return (qs.distinct().select_related("organisation", "language").prefetch_related("topics")
            .order_by("-published_at", "-pk"))


def review_queue(scope: Scope) -> QuerySet[Experience]:
    return (Experience.objects.filter(scope.q(Can.VALIDATE, prefix="organisation__"),
                                      status=Experience.Status.IN_REVIEW)
            .select_related("organisation").order_by("updated_at", "pk"))


def topics_in_use() -> QuerySet[Topic]:
    return (Topic.objects.filter(experiences__status=Experience.Status.PUBLISHED)
            .annotate(n=Count("experiences", distinct=True)).order_by("name"))
