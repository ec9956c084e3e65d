"""The memorial register (*registro de la memoria*) and the library of experiences
(*sistematización de experiencias*).

A memorial record counts a leader the movement lost. It exists only with the consent of her
family or her organisation, and names who gave it; it is never deleted, only withdrawn with a
reason, and every correction keeps the version it replaced (`MemorialVersion`).

An experience is written in Oscar Jara's five steps, reviewed by the federation and published to
the network or to everyone; public ones are also harvested over OAI-PMH (`oai.py`).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ayni.files.models import StoredFile
from ayni.geo.models import District
from ayni.lib import uploads
from ayni.orgs.models import Organisation
from ayni.people.models import Language, Person


class MemorialRecord(models.Model):
    """A leader who died (*lideresa fallecida*), recorded with consent."""

    class Cause(models.TextChoices):
        COVID = "covid", _("COVID-19")
        ILLNESS = "illness", _("Enfermedad")
        VIOLENCE = "violence", _("Violencia")
        ACCIDENT = "accident", _("Accidente")
        OTHER = "other", _("Otra causa")

    class ConsentBy(models.TextChoices):
        FAMILY = "family", _("Su familia")
        ORGANISATION = "organisation", _("Su organización")

    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="memorial")
    # The organisation that keeps the record: the scope reads through it.
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="memorial_records")
    died_on = models.DateField(_("fecha de fallecimiento"))
    place = models.CharField(_("lugar"), max_length=160, blank=True)
    # Where she died, for the counts by region; her organisation's district when not given.
    district = models.ForeignKey(District, on_delete=models.PROTECT, null=True, blank=True,
                                 verbose_name=_("distrito"))
    cause = models.CharField(_("causa"), max_length=10, choices=Cause.choices, blank=True)
    tribute = models.TextField(_("palabras de recuerdo"), max_length=3000, blank=True)
    consent_by = models.CharField(_("consentimiento de"), max_length=12, choices=ConsentBy.choices)
    consent_name = models.CharField(_("quién dio el consentimiento"), max_length=120)
    consent_relation = models.CharField(_("relación con ella o cargo"), max_length=80)
    consent_on = models.DateField(_("fecha del consentimiento"))
    # The public page and what it may show: only what the family allowed.
    public = models.BooleanField(_("página pública de memoria"), default=False)
    show_cause = models.BooleanField(_("mostrar la causa"), default=False)
    show_place = models.BooleanField(_("mostrar el lugar"), default=False)
    show_positions = models.BooleanField(_("mostrar sus cargos y organizaciones"), default=True)
    show_tribute = models.BooleanField(_("mostrar las palabras de recuerdo"), default=True)
    version = models.PositiveIntegerField(default=1)
    withdrawn = models.BooleanField(_("retirado"), default=False)
    withdrawn_reason = models.CharField(_("motivo del retiro"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-died_on", "pk"]
        verbose_name = _("registro de la memoria")
        verbose_name_plural = _("registros de la memoria")
        indexes = [models.Index(fields=["organisation", "withdrawn"], name="memorial_org_withdrawn")]
        constraints = [
            # Consent is not a form nicety: a row without it cannot exist.
            models.CheckConstraint(condition=~models.Q(consent_name="") & ~models.Q(consent_relation=""),
                                   name="memorial_has_consent"),
            models.CheckConstraint(condition=models.Q(consent_by__in=["family", "organisation"]),
                                   name="memorial_consent_by_known"),
        ]

    def __str__(self) -> str:
        return f"{self.person} († {self.died_on:%Y})"


def refuse_deletion(sender, instance, **kwargs):
    """Connected to `pre_delete` of the register's rows (apps.py), so neither `delete()` nor a
    queryset's bulk delete removes a woman from the memory: `services.withdraw_memorial` keeps
    the row and says why."""
    raise models.ProtectedError(str(_("Un registro de la memoria no se borra; se retira con un motivo.")), {instance})


class MemorialVersion(models.Model):
    """The state a correction replaced, and why it was corrected."""

    record = models.ForeignKey(MemorialRecord, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    data = models.JSONField()
    reason = models.CharField(_("motivo de la corrección"), max_length=200)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["record", "version"], name="memorial_version_once")]

    def __str__(self) -> str:
        return f"{self.record_id} v{self.version}"


class Topic(models.Model):
    """A topic tag of experiences (gas paid by the municipality, a garden in the dry season…)."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(_("tema"), max_length=60)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tema")
        verbose_name_plural = _("temas")

    def __str__(self) -> str:
        return self.name


class Experience(models.Model):
    """An experience written in Oscar Jara's five steps (*sistematización de experiencias*)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Borrador")
        IN_REVIEW = "review", _("En revisión")
        RETURNED = "returned", _("Devuelta con observaciones")
        PUBLISHED = "published", _("Publicada")

    class Audience(models.TextChoices):
        NETWORK = "network", _("La red de organizaciones")
        PUBLIC = "public", _("Todo el público")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="experiences",
                                     verbose_name=_("organización que la escribe"))
    title = models.CharField(_("título"), max_length=160)
    language = models.ForeignKey(Language, on_delete=models.PROTECT, verbose_name=_("idioma"))
    starting_point = models.TextField(_("1. El punto de partida"), max_length=6000, blank=True)
    initial_questions = models.TextField(_("2. Las preguntas iniciales"), max_length=6000, blank=True)
    recovery = models.TextField(_("3. La recuperación de lo vivido"), max_length=12000, blank=True)
    reflection = models.TextField(_("4. La reflexión de fondo"), max_length=12000, blank=True)
    arrival = models.TextField(_("5. Los puntos de llegada"), max_length=6000, blank=True)
    topics = models.ManyToManyField(Topic, blank=True, related_name="experiences", verbose_name=_("temas"))
    organisations = models.ManyToManyField(Organisation, blank=True, related_name="+",
                                           verbose_name=_("organizaciones que participaron"))
    districts = models.ManyToManyField(District, blank=True, related_name="+", verbose_name=_("territorios"))
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    audience = models.CharField(_("publicada para"), max_length=8, choices=Audience.choices, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # OAI-PMH: the datestamp harvesters ask by (to the second), moved whenever what they see of
    # it changes; `harvested` once it was ever public, so a withdrawal is announced as deleted.
    oai_stamp = models.DateTimeField(null=True, blank=True)
    harvested = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("experiencia")
        verbose_name_plural = _("experiencias")
        indexes = [
            models.Index(fields=["status", "audience", "published_at"], name="experience_published"),
            models.Index(fields=["harvested", "oai_stamp", "id"], name="experience_oai"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="published") | ~models.Q(audience=""),
                name="experience_published_has_audience"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.audience == self.Audience.PUBLIC

    STEPS = ("starting_point", "initial_questions", "recovery", "reflection", "arrival")

    def steps(self) -> list[tuple[str, str]]:
        """(label, text) of the five steps, in order."""
        return [(self._meta.get_field(name).verbose_name, getattr(self, name)) for name in self.STEPS]


class ExperienceWord(models.Model):
    """One folded word of an experience: search by words is an indexed lookup on both engines,
    not a LIKE over every text."""

    experience = models.ForeignKey(Experience, on_delete=models.CASCADE, related_name="words")
    word = models.CharField(max_length=40)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["word", "experience"], name="experience_word_once")]


class ExperienceReview(models.Model):
    """The federation's review of an experience: published, or returned with its observations."""

    class Decision(models.TextChoices):
        PUBLISH = "publish", _("Publicar")
        RETURN = "return", _("Devolver con observaciones")

    experience = models.ForeignKey(Experience, on_delete=models.CASCADE, related_name="reviews")
    decision = models.CharField(_("decisión"), max_length=8, choices=Decision.choices)
    audience = models.CharField(_("publicar para"), max_length=8, choices=Experience.Audience.choices, blank=True)
    note = models.TextField(_("observaciones"), max_length=2000, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} — {self.experience_id}"


class ExperienceFile(models.Model):
    """A photo or document of an experience: the kept file and what it is to the experience."""

    experience = models.ForeignKey(Experience, on_delete=models.CASCADE, related_name="files")
    file = models.ForeignKey(StoredFile, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("nombre"), max_length=120)
    caption = models.CharField(_("descripción"), max_length=200, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["experience", "file"], name="experience_file_once")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_photo(self) -> bool:
        return self.file.kind in uploads.IMAGES
