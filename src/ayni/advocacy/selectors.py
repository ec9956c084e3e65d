"""Reads of advocacy. The private pages read through the scope; the public scorecard reads only
what is public — commitments the organisation publishes, evidence it published one by one —
and never a person's name other than the authority's (a public office)."""

import datetime
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Avg, Count, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from ayni.accounts.scope import Can, Scope
from ayni.advocacy.models import SCORE_FIELDS, Authority, Commitment, Evidence, Law, Rating, ScoreRound, StageChange
from ayni.kitchens.deliveries import summed
from ayni.kitchens.models import DeliverySchedule
from ayni.orgs.models import Organisation

PAGE = 20


# --- Private (scoped) ----------------------------------------------------------------------------------


def commitments_under(scope: Scope, organisation: Organisation) -> QuerySet[Commitment]:
    """Commitments made to the organisation or to any below it, in the caller's sight; overdue
    first, then by deadline."""
    return (
        Commitment.objects.filter(organisation__path__startswith=organisation.path)
        .filter(scope.q(Can.VIEW, prefix="organisation__"))
        .select_related("authority", "organisation")
        .order_by("-overdue", "due_sort", "pk")
    )


def get_commitment(scope: Scope, organisation: Organisation, pk) -> Commitment:
    """One commitment of the organisation, found only in the caller's sight (404 otherwise)."""
    try:
        return (
            Commitment.objects.filter(scope.q(Can.VIEW, prefix="organisation__"))
            .select_related("authority", "organisation", "municipality", "law", "agreement")
            .get(organisation=organisation, pk=pk)
        )
    except (Commitment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_evidence(commitment: Commitment, pk) -> Evidence:
    try:
        return Evidence.objects.select_related("file", "commitment__organisation").get(commitment=commitment, pk=pk)
    except (Evidence.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def history(commitment: Commitment) -> QuerySet[StageChange]:
    return StageChange.objects.filter(commitment=commitment).select_related("recorded_by").order_by("on", "pk")


def evidence_of(commitment: Commitment, *, published_only: bool = False) -> QuerySet[Evidence]:
    qs = Evidence.objects.filter(commitment=commitment).select_related("file").defer("file__content")
    return qs.filter(published=True) if published_only else qs


def authorities() -> QuerySet[Authority]:
    """Authorities and candidates are public offices, seen by anyone signed in."""
    return Authority.objects.order_by("name", "pk")


def get_authority(pk) -> Authority:
    try:
        return Authority.objects.get(pk=pk)
    except (Authority.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def laws_for(scope: Scope, organisation: Organisation) -> QuerySet[Law]:
    """Laws the organisation or the ones above it follow: a kitchen in the caller's sight reads its
    federations' (they are followed for it), though the federations themselves may be out of sight."""
    scope.require(Can.VIEW, organisation)
    return (
        Law.objects.filter(organisation__path__in=organisation.ancestor_paths() + [organisation.path])
        .prefetch_related("milestones")
        .annotate(n_commitments=Count("commitments"))
    )


def get_law(scope: Scope, organisation: Organisation, pk) -> Law:
    try:
        return laws_for(scope, organisation).get(pk=pk)
    except (Law.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def rounds_for(scope: Scope, organisation: Organisation) -> QuerySet[ScoreRound]:
    """Score-card rounds set by the organisation or one above it: a kitchen in the caller's sight
    rates its federations' rounds, though the federations themselves may be out of her sight."""
    scope.require(Can.VIEW, organisation)
    return ScoreRound.objects.filter(
        organisation__path__in=organisation.ancestor_paths() + [organisation.path]
    ).select_related("organisation")


def get_round(scope: Scope, organisation: Organisation, pk) -> ScoreRound:
    try:
        return rounds_for(scope, organisation).get(pk=pk)
    except (ScoreRound.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def agreements_to_commit(scope: Scope, organisation: Organisation):
    """Agreements of the organisation that involve an authority and are not a commitment yet:
    each becomes one with one click."""
    from ayni.governance.models import Agreement

    return (
        Agreement.objects.filter(organisation=organisation, involves_authority=True, commitment__isnull=True)
        .filter(scope.q(Can.EDIT, prefix="organisation__"))
        .order_by("deadline", "pk")
    )


def get_agreement_to_commit(scope: Scope, organisation: Organisation, pk):
    try:
        return agreements_to_commit(scope, organisation).get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- Figures shared by both sides ---------------------------------------------------------------------


def delivery_figures(commitment: Commitment, today: datetime.date | None = None) -> dict | None:
    """For a food-delivery commitment tied to a municipality's schedule: the deliveries promised
    to the organisation's kitchens in the period vs received, late and short, from the kitchens'
    own records (`kitchens.deliveries.summed`, the dashboards' rule)."""
    if not commitment.links_deliveries:
        return None
    today = today or timezone.localdate()
    schedules = DeliverySchedule.objects.filter(
        municipality_id=commitment.municipality_id,
        kitchen__path__startswith=commitment.organisation.path,
        due_on__gte=commitment.delivery_from,
        due_on__lte=commitment.delivery_to or today,
    )
    rows = summed(schedules, today, unit=F("item__unit"))
    if not rows:
        return {"deliveries": 0, "rows": []}
    total = {k: sum(r[k] for r in rows) for k in ("deliveries", "late", "days_late", "short", "pending")}
    for r in rows:
        r["shortfall"] = max(Decimal(0), r["promised"] - r["received"])
    total["rows"] = rows
    total["not_received"] = total["pending"]
    return total


def score_results(rounds: QuerySet[ScoreRound], *, by_municipality: bool = True) -> list[dict]:
    """Averages of each question per round (and per municipality of the kitchens that rated),
    with the count of kitchens behind each: one query."""
    group = ["round_id", "round__service", "round__opens_on"]
    if by_municipality:
        group += ["kitchen__district_id", "kitchen__district__name"]
    rows = (
        Rating.objects.filter(round__in=rounds)
        .order_by()
        .values(*group)
        .annotate(kitchens=Count("kitchen_id", distinct=True), **{f: Avg(f) for f in SCORE_FIELDS})
    )
    out = []
    for r in rows:
        scores = {f: round(float(r[f]), 1) for f in SCORE_FIELDS}
        out.append(
            {
                "round": r["round_id"],
                "service": r["round__service"],
                "opens_on": r["round__opens_on"],
                "municipality": r.get("kitchen__district__name") or "",
                "ubigeo": r.get("kitchen__district_id"),
                "kitchens": r["kitchens"],
                **scores,
                "overall": round(sum(scores.values()) / len(scores), 1),
            }
        )
    return sorted(out, key=lambda r: (r["opens_on"], r["municipality"]))


# --- Public -----------------------------------------------------------------------------------------------


class PublicView:
    """What one public page covers: the whole country, an authority, a municipality (UBIGEO) or a
    federation (and every organisation below it)."""

    KINDS = ("pais", "autoridad", "municipio", "federacion")

    def __init__(self, kind: str, key: str = ""):
        self.kind, self.key = kind, key
        self.authority = self.organisation = self.municipality = None
        qs = Commitment.objects.filter(is_public=True)
        if kind == "autoridad":
            self.authority = get_authority(key)
            qs = qs.filter(authority=self.authority)
        elif kind == "municipio":
            from ayni.geo.models import District

            self.municipality = District.objects.filter(code=str(key)).first()
            if self.municipality is None:
                raise Http404
            qs = qs.filter(municipality=self.municipality)
        elif kind == "federacion":
            try:
                self.organisation = Organisation.objects.select_related("kind").get(pk=key)
            except (Organisation.DoesNotExist, ValueError, TypeError):
                raise Http404 from None
            if self.organisation.kind.is_kitchen:
                raise Http404
            qs = qs.filter(organisation__path__startswith=self.organisation.path)
        elif kind != "pais":
            raise Http404
        self.commitments = qs

    @property
    def title(self) -> str:
        return str(self.authority or self.organisation or (self.municipality and self.municipality.name) or "")

    def counts(self) -> dict:
        """How many commitments by stage, and how many overdue: one query."""
        rows = (
            self.commitments.order_by()
            .values("stage")
            .annotate(n=Count("pk"), late=Count("pk", filter=Q(overdue=True)))
        )
        by_stage = {r["stage"]: r["n"] for r in rows}
        return {
            "total": sum(by_stage.values()),
            "overdue": sum(r["late"] for r in rows),
            "stages": [(label, by_stage.get(value, 0)) for value, label in Commitment.Stage.choices],
        }

    def page(self, number: int, size: int = PAGE) -> list[Commitment]:
        """One page of commitments, overdue first (longest overdue first), then by deadline."""
        start = max(0, number - 1) * size
        return list(
            self.commitments.select_related("authority", "organisation", "municipality")
            .only(
                "pk",
                "text",
                "kind",
                "stage",
                "overdue",
                "deadline",
                "made_on",
                "place",
                "delivery_from",
                "delivery_to",
                "municipality__name",
                "municipality__code",
                "organisation__name",
                "organisation__path",
                "authority__name",
                "authority__office",
                "authority__territory_name",
                "authority__is_candidate",
            )
            .order_by("-overdue", "due_sort", "pk")[start : start + size]
        )

    def laws(self) -> list[dict]:
        """Laws and demands the federation (or the ones above it) follows, with their milestones:
        one query (a law without milestones comes once, with none)."""
        if self.organisation is None:
            return []
        laws: dict[int, dict] = {}
        for pk, title, summary, on, text, reached in (
            Law.objects.filter(organisation__path__in=self.organisation.ancestor_paths() + [self.organisation.path])
            .order_by("title", "pk", "milestones__on", "milestones__pk")
            .values_list("pk", "title", "summary", "milestones__on", "milestones__text", "milestones__reached")
        ):
            law = laws.setdefault(pk, {"title": title, "summary": summary, "milestones": []})
            if on is not None:
                law["milestones"].append({"on": on, "text": text, "reached": reached})
        return list(laws.values())

    def results(self) -> list[dict]:
        """The score card: a federation's rounds by municipality; a municipality's own rows only."""
        if self.kind == "pais":
            return []
        rows = score_results(self.rounds())
        return [r for r in rows if r["ubigeo"] == self.municipality.code] if self.municipality else rows

    def rounds(self) -> QuerySet[ScoreRound]:
        if self.organisation is not None:
            return ScoreRound.objects.filter(organisation__path__startswith=self.organisation.path)
        if self.municipality is not None:
            return ScoreRound.objects.filter(ratings__kitchen__district=self.municipality).distinct()
        return ScoreRound.objects.none()


def published_evidence(commitments: list[Commitment]) -> dict[int, list[Evidence]]:
    """Published evidence of the commitments on a page, in one query."""
    out: dict[int, list[Evidence]] = {}
    for e in (
        Evidence.objects.filter(commitment__in=commitments, published=True)
        .select_related("file")
        .defer("file__content")
        .order_by("pk")
    ):
        out.setdefault(e.commitment_id, []).append(e)
    return out


def public_file(pk) -> Evidence:
    """A published evidence file of a public commitment; anything else is not found, whether it
    exists or not."""
    try:
        return (
            Evidence.objects.select_related("file")
            .defer("file__content")
            .get(pk=pk, published=True, commitment__is_public=True, file__isnull=False)
        )
    except (Evidence.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def public_history(commitment_ids: list[int]) -> dict[int, list[StageChange]]:
    out: dict[int, list[StageChange]] = {}
    for change in (
        StageChange.objects.filter(commitment_id__in=commitment_ids)
        .only("commitment_id", "on", "stage_to", "note")
        .order_by("on", "pk")
    ):
        out.setdefault(change.commitment_id, []).append(change)
    return out
