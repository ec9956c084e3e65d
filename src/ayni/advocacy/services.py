"""State changes of advocacy: each one a function taking `scope=`, atomic, audited."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can, Scope
from ayni.advocacy.models import (
    SCORE_FIELDS,
    Authority,
    Commitment,
    Evidence,
    Law,
    Milestone,
    Rating,
    ScoreRound,
    StageChange,
)
from ayni.advocacy.publication import bump
from ayni.audit.services import entry, record, record_many, snapshot
from ayni.files.services import keep_upload
from ayni.geo.models import Department, District, Province
from ayni.governance.models import Agreement
from ayni.lib import uploads
from ayni.orgs.models import Organisation

EVIDENCE_KINDS = uploads.DOCUMENTS | uploads.AUDIO | {uploads.Kind.MP4}

# --- Authorities -----------------------------------------------------------------------------------


def _territory_name(code: str) -> str:
    model = {2: Department, 4: Province, 6: District}.get(len(code))
    place = model.objects.filter(code=code).first() if model else None
    if place is None:
        raise ValidationError(
            {"territory": _("El UBIGEO %(code)s no existe; escriba 2, 4 o 6 dígitos.") % {"code": code}}
        )
    return place.name


@transaction.atomic
def register_authority(
    *,
    scope: Scope,
    name: str,
    office: str,
    level: str,
    territory: str = "",
    period_start: int,
    period_end: int,
    party: str = "",
    is_candidate: bool = False,
) -> Authority:
    """An authority or candidate, shared by every organisation that follows her: any organisation
    that may edit its own data may add one."""
    if not scope.holds(Can.EDIT):
        raise ValidationError(_("No tiene permiso para registrar autoridades."))
    territory = (territory or "").strip()
    authority = Authority(
        name=name.strip(),
        office=office,
        level=level,
        territory=territory,
        territory_name=_territory_name(territory) if territory else "",
        period_start=period_start,
        period_end=period_end,
        party=(party or "").strip(),
        is_candidate=is_candidate,
    )
    if period_end < period_start:
        raise ValidationError({"period_end": _("El periodo termina antes de empezar.")})
    authority.full_clean()
    authority.save()
    bump()  # the public pages show it
    record(scope=scope, action="advocacy.authority", obj=authority, org_path="", after=snapshot(authority))
    return authority


@transaction.atomic
def mark_elected(*, scope: Scope, authority: Authority, on: datetime.date) -> Authority:
    """A candidate is elected: the same row becomes the authority, her pledges with it."""
    if not scope.holds(Can.EDIT):
        raise ValidationError(_("No tiene permiso para registrar autoridades."))
    authority = Authority.objects.select_for_update().get(pk=authority.pk)
    if not authority.is_candidate:
        raise ValidationError(_("%(name)s ya es autoridad.") % {"name": authority.name})
    before = snapshot(authority)
    authority.is_candidate, authority.elected_on = False, on
    authority.save(update_fields=["is_candidate", "elected_on"])
    bump()  # the public pages show it
    record(scope=scope, action="advocacy.elected", obj=authority, org_path="", before=before, after=snapshot(authority))
    return authority


# --- Commitments -----------------------------------------------------------------------------------


def _keep_evidence(
    *,
    scope: Scope,
    commitment: Commitment,
    files=(),
    link: str = "",
    caption: str = "",
    change: StageChange | None = None,
) -> list[Evidence]:
    """Kept files and a link as evidence of a commitment (or of one change): each file checked
    and hashed by `files`, stored once; the same file twice on a commitment is linked once."""
    kept = []
    user = scope.user_id
    for upload in files or ():
        stored, _new = keep_upload(upload, allowed=EVIDENCE_KINDS)
        existing = Evidence.objects.filter(commitment=commitment, file=stored).first()
        if existing is not None:
            kept.append(existing)
            continue
        kept.append(
            Evidence.objects.create(
                commitment=commitment,
                change=change,
                file=stored,
                name=(getattr(upload, "name", "") or "")[:120],
                caption=caption[:200],
                recorded_by_id=user,
            )
        )
    if link:
        kept.append(
            Evidence.objects.create(
                commitment=commitment, change=change, link=link, caption=caption[:200], recorded_by_id=user
            )
        )
    return kept


def _check_dates(made_on, deadline, delivery_from=None, delivery_to=None):
    errors = {}
    if deadline is not None and made_on is not None and deadline < made_on:
        errors["deadline"] = _("El plazo (%(d)s) no puede ser antes de la fecha del compromiso (%(m)s).") % {
            "d": f"{deadline:%d/%m/%Y}",
            "m": f"{made_on:%d/%m/%Y}",
        }
    if made_on is not None and made_on > timezone.localdate():
        errors["made_on"] = _("La fecha del compromiso no puede ser futura.")
    if delivery_from and delivery_to and delivery_to < delivery_from:
        errors["delivery_to"] = _("El periodo de entregas termina antes de empezar.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def record_commitment(
    *,
    scope: Scope,
    organisation: Organisation,
    authority: Authority,
    kind: str,
    text: str,
    made_on: datetime.date,
    deadline: datetime.date | None = None,
    place: str = "",
    municipality: District | None = None,
    law: Law | None = None,
    is_public: bool = True,
    delivery_from: datetime.date | None = None,
    delivery_to: datetime.date | None = None,
    files=(),
    link: str = "",
    caption: str = "",
    agreement: Agreement | None = None,
) -> Commitment:
    """A commitment made to the organisation, with its source evidence, in one transaction: a
    file refused (not what it claims, too big) leaves nothing saved."""
    scope.require(Can.EDIT, organisation)
    _check_dates(made_on, deadline, delivery_from, delivery_to)
    if (
        law is not None
        and not organisation.path.startswith(law.organisation.path)
        and not law.organisation.path.startswith(organisation.path)
    ):
        raise ValidationError({"law": _("Esa ley no la sigue esta organización.")})
    if kind == Commitment.Kind.FOOD and delivery_from and municipality is None:
        raise ValidationError({"municipality": _("Diga qué municipio programa las entregas.")})
    commitment = Commitment(
        organisation=organisation,
        authority=authority,
        kind=kind,
        text=text.strip(),
        made_on=made_on,
        deadline=deadline,
        place=(place or "").strip(),
        municipality=municipality or organisation.district,
        law=law,
        is_public=is_public,
        delivery_from=delivery_from,
        delivery_to=delivery_to if delivery_from else None,
        agreement=agreement,
    )
    commitment.full_clean(exclude=["agreement"] if agreement else None)
    commitment.save()
    StageChange.objects.create(
        commitment=commitment,
        on=made_on,
        stage_to=commitment.stage,
        note=_("Registrado."),
        recorded_by_id=scope.user_id,
    )
    _keep_evidence(scope=scope, commitment=commitment, files=files, link=link, caption=caption)
    bump()  # the public pages show it
    record(
        scope=scope, action="advocacy.commit", obj=commitment, org_path=organisation.path, after=snapshot(commitment)
    )
    return commitment


@transaction.atomic
def commitment_from_agreement(*, scope: Scope, agreement: Agreement) -> Commitment:
    """One click: an assembly's agreement that involves an authority becomes a commitment of that
    authority to the organisation, with the agreement's text, date and deadline."""
    scope.require(Can.EDIT, agreement.organisation)
    if not agreement.involves_authority:
        raise ValidationError(_("Este acuerdo no compromete a ninguna autoridad."))
    if Commitment.objects.filter(agreement=agreement).exists():
        raise ValidationError(_("Este acuerdo ya está registrado como compromiso."))
    made_on = timezone.localdate(agreement.created_at)
    authority = Authority.objects.filter(name__iexact=agreement.authority.strip()).order_by(
        "-period_end"
    ).first() or register_authority(
        scope=scope,
        name=agreement.authority,
        office=Authority.Office.OTHER,
        level=Authority.Level.DISTRICT,
        period_start=made_on.year,
        period_end=made_on.year,
    )
    return record_commitment(
        scope=scope,
        organisation=agreement.organisation,
        authority=authority,
        kind=Commitment.Kind.OTHER,
        text=agreement.text,
        made_on=made_on,
        deadline=max(agreement.deadline, made_on),
        place=_("Asamblea"),
        agreement=agreement,
    )


def _stage_label(stage: str) -> str:
    return str(Commitment.Stage(stage).label)


@transaction.atomic
def change_stage(
    *,
    scope: Scope,
    commitment: Commitment,
    stage: str,
    note: str = "",
    on: datetime.date | None = None,
    files=(),
    link: str = "",
    by_text: int | None = None,
) -> StageChange:
    """Move a commitment to a stage, or record a follow-up in the same stage, with a note and
    evidence. Going back (a fulfilled one that was not, a partial one back to registered) needs
    a note saying why; a follow-up in the same stage needs a note too, or it says nothing."""
    scope.require(Can.EDIT, commitment.organisation)
    commitment = Commitment.objects.select_for_update().select_related("organisation").get(pk=commitment.pk)
    if stage not in Commitment.Stage.values:
        raise ValidationError({"stage": _("Esa etapa no existe.")})
    note = (note or "").strip()
    old = commitment.stage
    terminal_to_other = old not in Commitment.OPEN and stage != old
    backwards = Commitment.RANK[stage] < Commitment.RANK[old] or terminal_to_other
    if backwards and not note:
        raise ValidationError(
            {
                "note": _("Pasar de «%(old)s» a «%(new)s» es volver atrás: escriba en la nota por qué.")
                % {"old": _stage_label(old), "new": _stage_label(stage)}
            }
        )
    if stage == old and not note and not files and not link:
        raise ValidationError(
            {
                "note": _("El compromiso ya está en «%(s)s»: escriba una nota del seguimiento.")
                % {"s": _stage_label(old)}
            }
        )
    on = on or timezone.localdate()
    if on < commitment.made_on:
        raise ValidationError({"on": _("La fecha es anterior al compromiso.")})
    if on > timezone.localdate():
        raise ValidationError({"on": _("La fecha no puede ser futura.")})
    before = snapshot(commitment)
    change = StageChange.objects.create(
        commitment=commitment,
        on=on,
        stage_from=old,
        stage_to=stage,
        note=note[:500],
        recorded_by_id=scope.user_id,
        by_text=by_text,
    )
    _keep_evidence(scope=scope, commitment=commitment, files=files, link=link, caption=note[:200], change=change)
    commitment.stage = stage
    # A commitment fulfilled or declared not fulfilled is no longer overdue; one reopened past
    # its deadline is overdue again at once, not only after tonight's sweep.
    commitment.overdue = (
        stage in Commitment.OPEN and commitment.deadline is not None and commitment.deadline < timezone.localdate()
    )
    commitment.save(update_fields=["stage", "overdue", "updated_at"])
    bump()  # the public pages show it
    record(
        scope=scope,
        action="advocacy.stage",
        obj=commitment,
        org_path=commitment.organisation.path,
        before=before,
        after={**snapshot(commitment), "note": note},
    )
    return change


@transaction.atomic
def add_evidence(
    *, scope: Scope, commitment: Commitment, files=(), link: str = "", caption: str = "", published: bool = False
) -> list[Evidence]:
    scope.require(Can.EDIT, commitment.organisation)
    if not files and not link:
        raise ValidationError(_("Adjunte un archivo o escriba un enlace."))
    kept = _keep_evidence(scope=scope, commitment=commitment, files=files, link=link, caption=caption)
    if published:
        Evidence.objects.filter(pk__in=[e.pk for e in kept]).update(published=True)
    bump()  # the public pages show it
    record(
        scope=scope,
        action="advocacy.evidence",
        obj=commitment,
        org_path=commitment.organisation.path,
        after={"evidence": [e.pk for e in kept], "files": [e.file.sha256 for e in kept if e.file_id]},
    )
    return kept


@transaction.atomic
def publish_evidence(*, scope: Scope, evidence: Evidence, published: bool) -> Evidence:
    """The organisation decides, file by file, what the public scorecard shows."""
    scope.require(Can.EDIT, evidence.commitment.organisation)
    before = {"published": evidence.published}
    Evidence.objects.filter(pk=evidence.pk).update(published=published)
    evidence.published = published
    bump()  # the public pages show it
    record(
        scope=scope,
        action="advocacy.publish",
        obj=evidence,
        org_path=evidence.commitment.organisation.path,
        before=before,
        after={"published": published},
    )
    return evidence


def mark_overdue(today: datetime.date | None = None) -> int:
    """The daily sweep: every open commitment whose deadline has passed becomes overdue
    (*vencido*), in one statement, with one audit entry each. Returns how many it marked.

    The rows marked are told apart by the time the sweep wrote into them (`updated_at`), read
    back in the same transaction, so no list of ids is sent to the database and back."""
    today = today or timezone.localdate()
    scope = Scope.system(_("vencimiento diario de compromisos"))
    due = {"stage__in": Commitment.OPEN, "deadline__lt": today}
    with transaction.atomic():
        stamp = timezone.now()
        if not Commitment.objects.filter(**due, overdue=False).update(overdue=True, updated_at=stamp):
            return 0
        rows = list(
            Commitment.objects.filter(**due, overdue=True, updated_at=stamp)
            .order_by("pk")
            .values_list("pk", "organisation__path", "deadline")
        )
        stub = Commitment()
        entries = []
        for pk, path, deadline in rows:
            stub.pk = pk
            entries.append(
                entry(
                    scope=scope,
                    action="advocacy.overdue",
                    obj=stub,
                    org_path=path,
                    before={"overdue": False},
                    after={"overdue": True, "deadline": str(deadline)},
                )
            )
        record_many(entries)
        bump()
    return len(rows)


# --- Laws --------------------------------------------------------------------------------------------


@transaction.atomic
def follow_law(*, scope: Scope, organisation: Organisation, kind: str, title: str, summary: str = "") -> Law:
    scope.require(Can.EDIT, organisation)
    law = Law(organisation=organisation, kind=kind, title=title.strip(), summary=(summary or "").strip())
    law.full_clean()
    law.save()
    bump()  # the public pages show it
    record(scope=scope, action="advocacy.law", obj=law, org_path=organisation.path, after=snapshot(law))
    return law


@transaction.atomic
def add_milestone(*, scope: Scope, law: Law, on: datetime.date, text: str, reached: bool = False) -> Milestone:
    scope.require(Can.EDIT, law.organisation)
    milestone = Milestone(law=law, on=on, text=text.strip(), reached=reached)
    milestone.full_clean()
    milestone.save()
    bump()  # the public pages show it
    record(scope=scope, action="advocacy.milestone", obj=law, org_path=law.organisation.path, after=snapshot(milestone))
    return milestone


# --- Community score card ------------------------------------------------------------------------------


@transaction.atomic
def open_round(
    *, scope: Scope, organisation: Organisation, service: str, opens_on: datetime.date, closes_on: datetime.date
) -> ScoreRound:
    """A federation sets a round: which public service its kitchens rate, and when."""
    scope.require(Can.EDIT, organisation)
    if organisation.kind.is_kitchen:
        raise ValidationError(_("Las rondas las convoca una federación, no una cocina."))
    if closes_on < opens_on:
        raise ValidationError({"closes_on": _("La ronda termina antes de empezar.")})
    score_round = ScoreRound(organisation=organisation, service=service.strip(), opens_on=opens_on, closes_on=closes_on)
    score_round.full_clean()
    score_round.save()
    bump()  # the public pages show it
    record(
        scope=scope, action="advocacy.round", obj=score_round, org_path=organisation.path, after=snapshot(score_round)
    )
    return score_round


@transaction.atomic
def rate(
    *, scope: Scope, score_round: ScoreRound, kitchen: Organisation, today: datetime.date | None = None, **scores: int
) -> Rating:
    """A kitchen's rating in a round of one of its federations, 1 to 5 on each question; rating
    again replaces it (so a text sent twice counts once)."""
    scope.require(Can.EDIT, kitchen)
    if not kitchen.kind.is_kitchen or not kitchen.path.startswith(score_round.organisation.path):
        raise ValidationError(_("Esta ronda no es de una federación de su cocina."))
    today = today or timezone.localdate()
    if not score_round.opens_on <= today <= score_round.closes_on:
        raise ValidationError(
            _("La ronda de calificación va del %(a)s al %(b)s.")
            % {"a": f"{score_round.opens_on:%d/%m/%Y}", "b": f"{score_round.closes_on:%d/%m/%Y}"}
        )
    values = {}
    for field in SCORE_FIELDS:
        value = scores.get(field)
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise ValidationError({field: _("Cada calificación va de 1 a 5.")})
        values[field] = value
    rating, created = Rating.objects.update_or_create(round=score_round, kitchen=kitchen, defaults=values)
    bump()  # the public pages show it
    record(scope=scope, action="advocacy.rate", obj=rating, org_path=kitchen.path, after=values)
    return rating
