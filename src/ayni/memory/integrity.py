"""`ayni check-integrity` for the memorial register and the library of experiences."""

from django.db.models import Count, Exists, F, OuterRef, Q

from ayni.memory.models import Experience, ExperienceReview, MemorialRecord


def memorial_violations() -> list[str]:
    """Every record has its consent and who gave it (the database refuses one without, this
    names one that slipped in by another road); a record's history has every version it
    replaced; a withdrawn record has no public page."""
    problems = []
    no_consent = MemorialRecord.objects.filter(Q(consent_name="") | Q(consent_relation="") | Q(consent_on__isnull=True))
    problems += [f"registro de la memoria {pk}: sin consentimiento ni quién lo dio"
                 for pk in no_consent.values_list("pk", flat=True)]
    gaps = (MemorialRecord.objects.annotate(kept=Count("versions")).exclude(version=F("kept") + 1)
            .values_list("pk", "version", "kept"))
    problems += [f"registro de la memoria {pk}: versión {v} pero {kept} versiones guardadas en su historia"
                 for pk, v, kept in gaps]
    problems += [f"registro de la memoria {pk}: retirado pero con página pública"
                 for pk in MemorialRecord.objects.filter(withdrawn=True, public=True).values_list("pk", flat=True)]
    return problems


def experience_violations() -> list[str]:
    """A published experience was published by a review; what a harvester may have seen has its
    datestamp."""
    problems = []
    published_by_review = ExperienceReview.objects.filter(experience=OuterRef("pk"), decision="publish")
    unreviewed = Experience.objects.filter(status=Experience.Status.PUBLISHED).exclude(Exists(published_by_review))
    problems += [f"experiencia {pk}: publicada sin revisión de la federación"
                 for pk in unreviewed.values_list("pk", flat=True)]
    public = Experience.objects.filter(status=Experience.Status.PUBLISHED, audience=Experience.Audience.PUBLIC)
    unstamped = public.filter(Q(harvested=False) | Q(oai_stamp__isnull=True))
    problems += [f"experiencia {pk}: pública pero fuera de OAI-PMH (sin fecha de cosecha)"
                 for pk in unstamped.values_list("pk", flat=True)]
    return problems
