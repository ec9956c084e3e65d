"""Leadership: training programmes (*escuelas de formación*), their modules and sessions, who was
invited and enrolled, attendance, completion, certificates that anyone can verify, the issuing
organisations' signing keys, trajectories with consent and representation won.

Completion is a stored state (`Enrolment.sessions_attended`, `completed_on`) kept by the
attendance services in the same transaction; `ayni check-integrity` recounts it.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ayni.files.models import StoredFile
from ayni.geo.models import District
from ayni.orgs.models import Organisation
from ayni.people.models import Language, Person


class Programme(models.Model):
    """A training programme or school (*escuela*, *taller*), run by an organisation."""

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("Presencial")
        ONLINE = "online", _("Virtual")
        MIXED = "mixed", _("Mixta")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="programmes",
                                     verbose_name=_("organiza"))
    name = models.CharField(_("nombre"), max_length=160)
    topic = models.CharField(_("tema"), max_length=120, blank=True)
    description = models.TextField(_("descripción"), blank=True)
    mode = models.CharField(_("modalidad"), max_length=10, choices=Mode.choices, default=Mode.IN_PERSON)
    place = models.CharField(_("lugar"), max_length=160, blank=True)
    link = models.URLField(_("enlace de la sesión virtual"), blank=True)
    languages = models.ManyToManyField(Language, blank=True, verbose_name=_("idiomas"))
    for_organisations = models.ManyToManyField(Organisation, blank=True, related_name="+",
                                               verbose_name=_("organizaciones a las que se dirige"))
    for_districts = models.ManyToManyField(District, blank=True, related_name="+",
                                           verbose_name=_("territorios a los que se dirige"))
    places = models.PositiveIntegerField(_("vacantes"), default=30)
    starts_on = models.DateField(_("inicio"))
    ends_on = models.DateField(_("fin"))
    # The completion rule (*regla de aprobación*): a share of the sessions and, when set, the final module.
    min_attendance_pct = models.PositiveSmallIntegerField(_("asistencia mínima (%)"), default=80)
    final_module_required = models.BooleanField(_("exige el módulo final"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("escuela de formación")
        verbose_name_plural = _("escuelas de formación")
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="programme_dates"),
            models.CheckConstraint(condition=models.Q(min_attendance_pct__lte=100), name="programme_pct"),
        ]

    def __str__(self) -> str:
        return self.name


class Module(models.Model):
    """A module of a programme; the last one may be the final module the completion rule asks for."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="modules")
    title = models.CharField(_("título"), max_length=160)
    order = models.PositiveSmallIntegerField(_("orden"), default=1)
    is_final = models.BooleanField(_("módulo final"), default=False)

    class Meta:
        ordering = ["programme", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["programme"], condition=models.Q(is_final=True),
                                               name="one_final_module")]

    def __str__(self) -> str:
        return self.title


class Session(models.Model):
    """One session (*sesión*) of a module, in a place or online, with its facilitators."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="sessions")
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="sessions")
    starts_at = models.DateTimeField(_("fecha y hora"))
    place = models.CharField(_("lugar"), max_length=160, blank=True)
    link = models.URLField(_("enlace"), blank=True)
    facilitators = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                          verbose_name=_("facilitadoras"))

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["programme", "starts_at"], name="session_programme_start")]

    def __str__(self) -> str:
        return f"{self.module.title} · {timezone.localtime(self.starts_at):%d/%m/%Y}"


class Enrolment(models.Model):
    """A woman invited to or enrolled in a programme (*inscripción*), and her completion."""

    class Status(models.TextChoices):
        INVITED = "invited", _("Invitada")
        ENROLLED = "enrolled", _("Inscrita")
        WITHDRAWN = "withdrawn", _("Retirada")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="enrolments")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="enrolments")
    # The base organisation she comes from, read from her membership when she was invited.
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organización de origen"))
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices, default=Status.INVITED)
    invited_on = models.DateField(_("invitada el"), default=timezone.localdate)
    enrolled_on = models.DateField(_("inscrita el"), null=True, blank=True)
    sessions_attended = models.PositiveIntegerField(default=0, editable=False)
    final_attended = models.BooleanField(default=False, editable=False)
    completed_on = models.DateField(_("completó el"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["programme", "pk"]
        constraints = [models.UniqueConstraint(fields=["programme", "person"], name="one_enrolment_per_person")]
        indexes = [models.Index(fields=["person", "completed_on"], name="enrolment_person_done")]

    def __str__(self) -> str:
        return f"{self.person} · {self.programme}"


class Attendance(models.Model):
    """She was at the session (*asistencia*): one row per enrolment and session."""

    class How(models.TextChoices):
        LIST = "list", _("Marcada en la lista")
        CARD = "card", _("Carné escaneado")
        NUMBER = "number", _("Número escrito")
        PAPER = "paper", _("Lista en papel")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendances")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="attendances")
    how = models.CharField(_("cómo"), max_length=8, choices=How.choices)
    paper = models.ForeignKey("PaperList", on_delete=models.SET_NULL, null=True, blank=True, related_name="marks")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "enrolment"], name="one_attendance_per_session")]


class PaperList(models.Model):
    """The photo of a signed paper list (*lista en papel*), entered after the session."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="paper_lists")
    file = models.ForeignKey(StoredFile, on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)


class IssuerKey(models.Model):
    """An Ed25519 key an organisation signs its credentials with (*clave de firma*). One is active;
    rotating retires it: it still verifies what it signed before, never anything after."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="issuer_keys")
    kid = models.CharField(max_length=40, unique=True)
    public_key = models.BinaryField()
    # The private key, wrapped under the key-encryption key kept outside the database
    # (`leadership/keys.py`), named by `wrapped_by`; empty = still under SECRET_KEY (before it).
    private_key = models.BinaryField()
    wrapped_by = models.CharField(max_length=16, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organisation", "created_at"]
        constraints = [models.UniqueConstraint(fields=["organisation"], condition=models.Q(retired_at__isnull=True),
                                               name="one_active_key")]


class Certificate(models.Model):
    """A certificate (*certificado*) of a completed programme: the printable PDF is drawn from it,
    and `credential` holds the signed Open Badges 3.0 credential (VC-JWT)."""

    enrolment = models.OneToOneField(Enrolment, on_delete=models.PROTECT, related_name="certificate")
    issuer = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="certificates")
    key = models.ForeignKey(IssuerKey, on_delete=models.PROTECT, related_name="certificates")
    code = models.CharField(_("código de verificación"), max_length=24, unique=True)
    status_index = models.PositiveIntegerField()
    credential = models.TextField()
    issued_at = models.DateTimeField(default=timezone.now)
    show_name = models.BooleanField(_("mostrar su nombre al verificar"), default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(_("motivo"), max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "status_index"], name="one_status_index")]
        # The revoked of an issuer, counted for its status list's fingerprint without reading the rest.
        indexes = [models.Index(fields=["issuer"], condition=models.Q(revoked_at__isnull=False),
                                name="certificate_revoked")]


class TrajectoryConsent(models.Model):
    """Her consent to keep and show her trajectory (*trayectoria*), and who recorded it."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="trajectory_consent")
    given_on = models.DateField(_("fecha del consentimiento"))
    how = models.CharField(_("cómo lo dio"), max_length=120)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    withdrawn_on = models.DateField(_("retirado el"), null=True, blank=True)


class Representation(models.Model):
    """Representation won (*representación ganada*): an office outside the movement's own boards."""

    class Kind(models.TextChoices):
        COUNCILLOR = "councillor", _("Regidora")
        MAYOR = "mayor", _("Alcaldesa")
        COMMITTEE = "committee", _("Integrante de comité local")
        ROUNDTABLE = "roundtable", _("Mesa de concertación")
        CANDIDATE = "candidate", _("Candidata")
        OTHER = "other", _("Otra")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="representations")
    # The organisation that records it: the scope it is read under.
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("tipo"), max_length=12, choices=Kind.choices)
    office = models.CharField(_("cargo"), max_length=160)
    territory = models.ForeignKey(District, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("territorio"))
    starts_on = models.DateField(_("desde"))
    ends_on = models.DateField(_("hasta"), null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "pk"]
        constraints = [models.CheckConstraint(
            condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
            name="representation_dates")]


class VerificationMiss(models.Model):
    """A verification code asked for that does not exist, kept for throttling guesses."""

    address = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        # The throttle's count: one address's misses in the window, from the index alone.
        indexes = [models.Index(fields=["address", "at"], name="verification_miss_address_at")]


class EquityCell(models.Model):
    """One cell of the equity roll-up: the memberships under one organisation at
    `equity.CELL_DEPTH` or above (the confederation's own, a provincial federation's subtree).
    `n` grows by one in the transaction of every write that changes who is counted or trained
    in the cell (`equity.invalidate`); the cell's `EquityCount` rows are current when they were
    built today from revision `n` (`built_n`, `built_on`). A read rebuilds the cells that are not
    (their age bands and current memberships move with the date too), so a page never shows
    figures older than the last committed write."""

    path = models.CharField(max_length=255, unique=True)
    n = models.BigIntegerField(default=0)
    built_n = models.BigIntegerField(null=True)
    built_on = models.DateField(null=True)


class EquityCount(models.Model):
    """Members and the trained among them in one cell, for one value of one dimension of the
    equity table (a region's name, rural or urban, a language's code, an age band, a level):
    distinct women within the cell. Aggregates only, never names."""

    path = models.CharField(max_length=255)
    dimension = models.CharField(max_length=10)
    value = models.CharField(max_length=120, blank=True)
    members = models.PositiveIntegerField()
    trained = models.PositiveIntegerField()

    class Meta:
        # A few thousand rows in all (cells × values): the national page reads them all.
        constraints = [models.UniqueConstraint(fields=["path", "dimension", "value"], name="one_equity_count")]
