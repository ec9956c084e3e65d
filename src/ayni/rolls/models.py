"""The beneficiary roll (*padrón de usuarios*): who eats at each kitchen.

A roll entry links a person (the same `people.Person` the registry uses, DNI optional but
validated) to a kitchen from a date until a date. Leaving closes the entry; it is never deleted,
so a person's history across kitchens stays readable. Names leave the database only through
`rolls.selectors`, which take the user's scope.
"""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ayni.orgs.models import Organisation
from ayni.people.models import Person


class Category(models.Model):
    """A programme category (PCA): child under 6, older adult… The list is data (migration 0002)."""

    code = models.SlugField(primary_key=True, max_length=40)
    name = models.CharField(_("nombre"), max_length=80)
    short_name = models.CharField(_("nombre corto"), max_length=30)
    # Ages are checked against the birth date when both are known (None: no bound).
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]
        verbose_name = _("categoría")
        verbose_name_plural = _("categorías")

    def __str__(self) -> str:
        return self.name

    def fits_age(self, age: int | None) -> bool:
        if age is None:
            return True
        return (self.min_age is None or age >= self.min_age) and (self.max_age is None or age <= self.max_age)


class Ration(models.TextChoices):
    PAYING = "paying", _("Pagante")
    SUBSIDISED = "subsidised", _("Subsidiada")
    FREE = "free", _("Caso social (gratuita)")


class ExitReason(models.TextChoices):
    MOVED = "moved", _("Se mudó")
    NO_LONGER_NEEDED = "not_needed", _("Ya no lo necesita")
    OTHER_KITCHEN = "other_kitchen", _("Pasó a otro comedor")
    DECEASED = "deceased", _("Falleció")
    DUPLICATE = "duplicate", _("Registro duplicado")
    OTHER = "other", _("Otro motivo")


class ConsentMethod(models.TextChoices):
    SIGNED = "signed", _("Hoja firmada")
    VERBAL = "verbal", _("Verbal, con testigo")


class Household(models.Model):
    """A household (*hogar*) eating at a kitchen: a head and the members whose entries point here."""

    kitchen = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="households")
    head = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="households_headed",
                             verbose_name=_("jefa o jefe de hogar"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("hogar")
        verbose_name_plural = _("hogares")
        constraints = [models.UniqueConstraint(fields=["kitchen", "head"], name="one_household_per_head")]

    def __str__(self) -> str:
        return _("Hogar de %(head)s") % {"head": self.head}


class RollEntryQuerySet(models.QuerySet):
    def current(self, on: datetime.date | None = None):
        on = on or timezone.localdate()
        # `until` is the day she left: from that day on she is no longer on the roll.
        return self.filter(since__lte=on).filter(models.Q(until__isnull=True) | models.Q(until__gt=on))


class RollEntry(models.Model):
    """A person eats at a kitchen from `since`, until `until` (or still)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="roll_entries")
    kitchen = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="roll_entries",
                                verbose_name=_("comedor"))
    category = models.ForeignKey(Category, on_delete=models.PROTECT, verbose_name=_("categoría"))
    ration = models.CharField(_("tipo de ración"), max_length=12, choices=Ration.choices, default=Ration.SUBSIDISED)
    social_case_reason = models.CharField(_("motivo del caso social"), max_length=200, blank=True)
    since = models.DateField(_("desde"))
    until = models.DateField(_("hasta"), null=True, blank=True)
    exit_reason = models.CharField(_("motivo de salida"), max_length=16, choices=ExitReason.choices, blank=True)
    exit_note = models.CharField(_("detalle de la salida"), max_length=200, blank=True)
    household = models.ForeignKey(Household, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="entries", verbose_name=_("hogar"))
    consent_on = models.DateField(_("fecha del consentimiento"), null=True, blank=True)
    consent_method = models.CharField(_("forma del consentimiento"), max_length=8, choices=ConsentMethod.choices,
                                      blank=True)
    consent_witness = models.CharField(_("testigo"), max_length=120, blank=True)
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("consentimiento registrado por"),
    )
    notes = models.TextField(_("observaciones"), blank=True)
    import_batch = models.ForeignKey("ImportBatch", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="entries")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RollEntryQuerySet.as_manager()

    class Meta:
        ordering = ["person__paternal_surname", "person__maternal_surname", "person__given_names"]
        verbose_name = _("inscripción en el padrón")
        verbose_name_plural = _("inscripciones en el padrón")
        indexes = [models.Index(fields=["kitchen", "until"], name="roll_kitchen_until")]
        constraints = [
            # One open entry per person and kitchen: leaving closes it, coming back opens a new one.
            models.UniqueConstraint(fields=["person", "kitchen"], condition=models.Q(until__isnull=True),
                                    name="roll_one_open_entry"),
            models.CheckConstraint(condition=models.Q(until__isnull=True) | models.Q(until__gte=models.F("since")),
                                   name="roll_until_after_since"),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.kitchen}"

    def is_current(self, on: datetime.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.since <= on and (self.until is None or self.until > on)

    @property
    def has_consent(self) -> bool:
        return bool(self.consent_on and self.consent_method)


class ImportBatch(models.Model):
    """An uploaded spreadsheet, kept raw before anything is read from it, so that nothing typed
    is lost. The task worker reads it once (within a time limit) and keeps what it found in
    `preview`: every later view of the preview, and the confirm, use that and never read the
    file again. Her answers about columns the reading did not recognise are `column_choices`;
    each answer means a new reading (`reading` counts them, so a late answer from an older reading
    is never kept)."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Subido")
        READING = "reading", _("Leyendo")
        PREVIEWED = "previewed", _("Revisado")
        APPLIED = "applied", _("Aplicado")
        REJECTED = "rejected", _("No se pudo leer")

    kitchen = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="roll_imports")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    filename = models.CharField(_("archivo"), max_length=200)
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices, default=Status.UPLOADED)
    message = models.TextField(blank=True)
    consent_method = models.CharField(_("forma del consentimiento"), max_length=8, choices=ConsentMethod.choices,
                                      blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_valid = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    applied_at = models.DateTimeField(null=True, blank=True)
    reading = models.PositiveIntegerField(default=0)
    reading_since = models.DateTimeField(null=True, blank=True)  # queued, then started, the current reading
    column_choices = models.JSONField(default=dict, blank=True)  # column index -> field, or "ignore"
    preview = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("importación de padrón")
        verbose_name_plural = _("importaciones de padrón")

    def __str__(self) -> str:
        return f"{self.filename} ({self.uploaded_at:%d/%m/%Y %H:%M})"


class ExportLog(models.Model):
    """Every export of personal data: who, which organisation's roll, when, how many rows."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.SET_NULL, null=True, related_name="+")
    org_path = models.CharField(max_length=255, db_index=True)
    fmt = models.CharField(_("formato"), max_length=8)
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("exportación de datos personales")
        verbose_name_plural = _("exportaciones de datos personales")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.fmt} {self.rows}"


class RollFlow(models.Model):
    """How many roll entries of a roll-up cell (the kitchens under one provincial federation and
    in one district, as `kitchens.MonthlyRollup`) start in `month` and how many end in it (the
    month of the last day she ate there: `until` is the day she left). "People fed between F and
    L" is then a few sums: the entries started by L, less those ended before F, less the repeats
    of people with more than one entry (`RepeatedPersonEntry`). Kept by `rolls.counts` in the
    transaction of every roll write."""

    path = models.CharField(max_length=255)
    district = models.CharField(max_length=6, blank=True)  # UBIGEO; "" for a kitchen without one
    month = models.DateField()
    entries_started = models.IntegerField(default=0)
    entries_ended = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["path", "district", "month"],
                                               name="one_roll_flow_per_cell_month")]


class RepeatedPersonEntry(models.Model):
    """Each entry of a person with more than one entry (she moved kitchens, came back, or two
    records were merged), with its roll-up cell and months: the exact correction that turns the
    entries counted by `RollFlow` into people, each once. A few thousand rows at national scale."""

    entry = models.OneToOneField(RollEntry, on_delete=models.CASCADE, primary_key=True, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=255)
    district = models.CharField(max_length=6, blank=True)
    first_month = models.DateField()
    last_month = models.DateField(null=True)  # None: still on the roll
