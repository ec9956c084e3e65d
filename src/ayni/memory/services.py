"""State changes of the memorial register and the library of experiences: one function each,
keyword arguments, atomic, scope checked, one audit entry."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can, Scope
from ayni.audit.services import record, snapshot
from ayni.files.services import keep_upload
from ayni.lib import uploads
from ayni.lib.text import fold
from ayni.memory.models import (
    Experience,
    ExperienceFile,
    ExperienceReview,
    ExperienceWord,
    MemorialRecord,
    MemorialVersion,
    Topic,
)
from ayni.orgs.models import Organisation
from ayni.people.models import Membership, Person, Position

# --- The memorial register -----------------------------------------------------------------------

MEMORIAL_FIELDS = ("died_on", "place", "district", "cause", "tribute", "consent_by", "consent_name",
                   "consent_relation", "consent_on", "public", "show_cause", "show_place", "show_positions",
                   "show_tribute")


def _belonged(person: Person, organisation: Organisation) -> bool:
    """She was a socia or held a position in the organisation or below it, at any time."""
    below = Q(organisation__path__startswith=organisation.path)
    return (Membership.objects.filter(below, person=person).exists()
            or Position.objects.filter(below, person=person).exists())


def _check_memorial(memorial: MemorialRecord) -> None:
    today = timezone.localdate()
    errors = {}
    if memorial.consent_by not in MemorialRecord.ConsentBy.values:
        errors["consent_by"] = _("Indique si el consentimiento lo dio su familia o su organización.")
    if not (memorial.consent_name or "").strip():
        errors["consent_name"] = _("Sin el consentimiento de su familia o de su organización no se registra: "
                                   "escriba quién lo dio.")
    if not (memorial.consent_relation or "").strip():
        errors["consent_relation"] = _("Escriba la relación con ella o el cargo de quien dio el consentimiento.")
    if memorial.died_on and memorial.died_on > today:
        errors["died_on"] = _("La fecha de fallecimiento no puede ser futura.")
    if memorial.consent_on and memorial.consent_on > today:
        errors["consent_on"] = _("La fecha del consentimiento no puede ser futura.")
    elif memorial.consent_on and memorial.died_on and memorial.consent_on < memorial.died_on:
        errors["consent_on"] = _("El consentimiento se da después del fallecimiento.")
    if errors:
        raise ValidationError(errors)
    memorial.consent_name = memorial.consent_name.strip()
    memorial.consent_relation = memorial.consent_relation.strip()
    memorial.full_clean(exclude=["person", "organisation"])


@transaction.atomic
def record_memorial(*, scope: Scope, organisation: Organisation, person: Person, died_on: datetime.date,
                    consent_by: str, consent_name: str, consent_relation: str, consent_on: datetime.date,
                    **details) -> MemorialRecord:
    """Count a leader who died, with the consent of her family or her organisation and who gave it."""
    scope.require(Can.EDIT, organisation)
    if not _belonged(person, organisation):
        raise ValidationError(_("%(name)s no figura como socia ni con cargo en %(org)s.")
                              % {"name": person.full_name, "org": organisation.name})
    if MemorialRecord.objects.filter(person=person).exists():
        raise ValidationError(_("%(name)s ya está en el registro de la memoria.") % {"name": person.full_name})
    unknown = set(details) - set(MEMORIAL_FIELDS)
    if unknown:
        raise TypeError(f"unknown memorial fields: {sorted(unknown)}")
    memorial = MemorialRecord(person=person, organisation=organisation, died_on=died_on, consent_by=consent_by,
                              consent_name=consent_name or "", consent_relation=consent_relation or "",
                              consent_on=consent_on, created_by=scope.actor, **details)
    _check_memorial(memorial)
    memorial.save()
    record(scope=scope, action="memorial.record", obj=memorial, org_path=organisation.path,
           after=snapshot(memorial))
    return memorial


def _lock(memorial: MemorialRecord) -> MemorialRecord:
    return MemorialRecord.objects.select_for_update().select_related("organisation", "person").get(pk=memorial.pk)


def _keep_version(scope: Scope, memorial: MemorialRecord, reason: str) -> dict:
    before = snapshot(memorial)
    MemorialVersion.objects.create(record=memorial, version=memorial.version, data=before, reason=reason,
                                   by=scope.actor)
    return before


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Escriba el motivo de %(what)s: queda en la historia del registro.")
                               % {"what": what}})
    return reason[:200]


@transaction.atomic
def correct_memorial(*, scope: Scope, memorial: MemorialRecord, reason: str, **changes) -> MemorialRecord:
    """Correct a record: the version it replaces is kept with the reason, never overwritten."""
    memorial = _lock(memorial)
    scope.require(Can.EDIT, memorial.organisation)
    reason = _reason(reason, _("la corrección"))
    if memorial.withdrawn:
        raise ValidationError(_("Este registro fue retirado; no se corrige."))
    unknown = set(changes) - set(MEMORIAL_FIELDS)
    if unknown:
        raise TypeError(f"unknown memorial fields: {sorted(unknown)}")
    changed = {k: v for k, v in changes.items() if getattr(memorial, k) != v}
    if not changed:
        raise ValidationError(_("No hay nada que corregir: los datos son los mismos."))
    before = _keep_version(scope, memorial, reason)
    for name, value in changed.items():
        setattr(memorial, name, value)
    _check_memorial(memorial)
    memorial.version += 1
    memorial.save()
    record(scope=scope, action="memorial.correct", obj=memorial, org_path=memorial.organisation.path,
           before=before, after={**snapshot(memorial), "reason": reason})
    return memorial


@transaction.atomic
def withdraw_memorial(*, scope: Scope, memorial: MemorialRecord, reason: str) -> MemorialRecord:
    """Take a record out of the counts and the public page, with a reason; the row stays."""
    memorial = _lock(memorial)
    scope.require(Can.EDIT, memorial.organisation)
    reason = _reason(reason, _("el retiro"))
    if memorial.withdrawn:
        raise ValidationError(_("Este registro ya fue retirado."))
    before = _keep_version(scope, memorial, reason)
    memorial.withdrawn, memorial.withdrawn_reason, memorial.public = True, reason, False
    memorial.version += 1
    memorial.save()
    record(scope=scope, action="memorial.withdraw", obj=memorial, org_path=memorial.organisation.path,
           before=before, after=snapshot(memorial))
    return memorial


# --- The library of experiences ------------------------------------------------------------------

EXPERIENCE_FIELDS = ("title", "language") + Experience.STEPS
MIN_WORD = 3
_WORD = re.compile(r"[a-z0-9ñ]+")


def words_of(text: str) -> set[str]:
    """The folded words search matches: three letters or more, cut to the column's width."""
    return {w[:40] for w in _WORD.findall(fold(text)) if len(w) >= MIN_WORD}


def index_words(experience: Experience) -> None:
    text = " ".join([experience.title, *(getattr(experience, s) for s in Experience.STEPS),
                     *experience.topics.values_list("name", flat=True)])
    ExperienceWord.objects.filter(experience=experience).delete()
    ExperienceWord.objects.bulk_create([ExperienceWord(experience=experience, word=w) for w in sorted(words_of(text))])


def topics_from(text: str) -> list[Topic]:
    """Topic tags from «gas, huertos; incidencia municipal»: found by slug or made."""
    out = []
    for name in re.split(r"[,;\n]+", text or ""):
        name = " ".join(name.split())[:60]
        slug = slugify(fold(name))[:60]
        if not slug:
            continue
        topic, _new = Topic.objects.get_or_create(slug=slug, defaults={"name": name})
        if topic not in out:
            out.append(topic)
    return out


def _stamp(experience: Experience) -> None:
    """Move the OAI-PMH datestamp (seconds: the granularity harvesters ask in) when what a
    harvester sees of the experience changes."""
    if experience.is_public or experience.harvested:
        experience.oai_stamp = timezone.now().replace(microsecond=0)
        experience.harvested = True


def _set_relations(experience: Experience, topics, organisations, districts) -> None:
    if isinstance(topics, str):
        topics = topics_from(topics)
    if topics is not None:
        experience.topics.set(topics)
    if organisations is not None:
        experience.organisations.set(organisations)
    if districts is not None:
        experience.districts.set(districts)


@transaction.atomic
def write_experience(*, scope: Scope, organisation: Organisation, title: str, language, starting_point: str,
                     initial_questions: str, recovery: str, reflection: str, arrival: str, topics=(),
                     organisations=(), districts=()) -> Experience:
    """A new experience, as a draft of the organisation that lived it."""
    scope.require(Can.EDIT, organisation)
    experience = Experience(organisation=organisation, title=title.strip(), language=language,
                            starting_point=starting_point.strip(), initial_questions=initial_questions.strip(),
                            recovery=recovery.strip(), reflection=reflection.strip(), arrival=arrival.strip(),
                            created_by=scope.actor)
    experience.full_clean()
    experience.save()
    _set_relations(experience, topics, list(organisations), list(districts))
    index_words(experience)
    record(scope=scope, action="experience.write", obj=experience, org_path=organisation.path,
           after=snapshot(experience, exclude=Experience.STEPS))
    return experience


def _lock_experience(experience: Experience) -> Experience:
    return Experience.objects.select_for_update().select_related("organisation").get(pk=experience.pk)


EDITABLE = (Experience.Status.DRAFT, Experience.Status.RETURNED)


@transaction.atomic
def edit_experience(*, scope: Scope, experience: Experience, topics=None, organisations=None, districts=None,
                    **fields) -> Experience:
    """Change a draft (or one returned with observations); a published one goes back to review
    through `withdraw_experience` first, so what the public read was what was reviewed."""
    experience = _lock_experience(experience)
    scope.require(Can.EDIT, experience.organisation)
    if experience.status not in EDITABLE:
        raise ValidationError(_("Solo se edita un borrador o una experiencia devuelta con observaciones."))
    unknown = set(fields) - set(EXPERIENCE_FIELDS)
    if unknown:
        raise TypeError(f"unknown experience fields: {sorted(unknown)}")
    before = snapshot(experience, exclude=Experience.STEPS)
    for name, value in fields.items():
        setattr(experience, name, value.strip() if isinstance(value, str) else value)
    experience.full_clean()
    experience.save()
    _set_relations(experience, topics, organisations, districts)
    index_words(experience)
    record(scope=scope, action="experience.edit", obj=experience, org_path=experience.organisation.path,
           before=before, after=snapshot(experience, exclude=Experience.STEPS))
    return experience


@transaction.atomic
def attach_file(*, scope: Scope, experience: Experience, upload, caption: str = "") -> ExperienceFile:
    """A photo or document of the experience, kept once by its content (the kind read from the
    bytes: a file that is not what it claims is refused)."""
    experience = _lock_experience(experience)
    scope.require(Can.EDIT, experience.organisation)
    if experience.status not in EDITABLE:
        raise ValidationError(_("Solo se añaden archivos a un borrador o a una experiencia devuelta."))
    stored, _new = keep_upload(upload, allowed=uploads.DOCUMENTS)
    if ExperienceFile.objects.filter(experience=experience, file=stored).exists():
        raise ValidationError(_("Ese archivo ya está en esta experiencia."))
    attached = ExperienceFile.objects.create(experience=experience, file=stored,
                                             name=(getattr(upload, "name", "") or stored.short_hash)[:120],
                                             caption=(caption or "").strip()[:200])
    record(scope=scope, action="experience.attach", obj=experience, org_path=experience.organisation.path,
           after={"file": stored.sha256, "name": attached.name})
    return attached


@transaction.atomic
def submit_experience(*, scope: Scope, experience: Experience) -> Experience:
    """Send a draft to the federation's review."""
    experience = _lock_experience(experience)
    scope.require(Can.EDIT, experience.organisation)
    if experience.status not in EDITABLE:
        raise ValidationError(_("Esta experiencia ya fue enviada a revisión."))
    missing = [str(label) for label, text in experience.steps() if not text.strip()]
    if missing:
        raise ValidationError(_("Faltan pasos por escribir: %(steps)s.") % {"steps": ", ".join(missing)})
    experience.status = Experience.Status.IN_REVIEW
    experience.save(update_fields=["status", "updated_at"])
    record(scope=scope, action="experience.submit", obj=experience, org_path=experience.organisation.path,
           after={"status": experience.status})
    return experience


@transaction.atomic
def review_experience(*, scope: Scope, experience: Experience, decision: str, audience: str = "",
                      note: str = "") -> ExperienceReview:
    """The federation reads it: publish it (to the network or to everyone) or return it with
    observations. Whoever wrote it does not review it."""
    experience = _lock_experience(experience)
    scope.require(Can.VALIDATE, experience.organisation)
    if experience.status != Experience.Status.IN_REVIEW:
        raise ValidationError(_("Esta experiencia no está en revisión."))
    if scope.actor is not None and experience.created_by_id == scope.actor.pk:
        raise ValidationError(_("Quien escribió la experiencia no la revisa: pida la revisión a otra dirigenta "
                                "de la federación."))
    note = (note or "").strip()
    if decision == ExperienceReview.Decision.PUBLISH:
        if audience not in Experience.Audience.values:
            raise ValidationError({"audience": _("Elija si se publica para la red o para todo el público.")})
        experience.status, experience.audience = Experience.Status.PUBLISHED, audience
        experience.published_at = timezone.now()
    elif decision == ExperienceReview.Decision.RETURN:
        if not note:
            raise ValidationError({"note": _("Escriba las observaciones para quien la escribió.")})
        experience.status, audience = Experience.Status.RETURNED, ""
    else:
        raise ValidationError({"decision": _("Elija publicar o devolver con observaciones.")})
    _stamp(experience)
    experience.save()
    review = ExperienceReview.objects.create(experience=experience, decision=decision, audience=audience, note=note,
                                             by=scope.actor)
    record(scope=scope, action="experience.review", obj=experience, org_path=experience.organisation.path,
           after={"decision": decision, "audience": audience, "status": experience.status})
    return review


@transaction.atomic
def withdraw_experience(*, scope: Scope, experience: Experience, reason: str) -> Experience:
    """Take a published experience down (harvesters are told it was deleted); the organisation
    may then edit it and send it to review again."""
    experience = _lock_experience(experience)
    scope.require(Can.VALIDATE, experience.organisation)
    reason = _reason(reason, _("el retiro"))
    if experience.status != Experience.Status.PUBLISHED:
        raise ValidationError(_("Solo se retira una experiencia publicada."))
    experience.status, experience.audience = Experience.Status.RETURNED, ""
    _stamp(experience)
    experience.save()
    ExperienceReview.objects.create(experience=experience, decision=ExperienceReview.Decision.RETURN,
                                    note=reason, by=scope.actor)
    record(scope=scope, action="experience.withdraw", obj=experience, org_path=experience.organisation.path,
           after={"status": experience.status, "reason": reason})
    return experience
