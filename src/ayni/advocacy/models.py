"""Advocacy and social control (*incidencia y vigilancia ciudadana*): the commitments that
authorities and candidates make to the organisations, their evidence, their stages, the laws the
movement follows, and the community score card.

A commitment (*compromiso*) is owned by the organisation it was made to; its stage moves only
through `services.change_stage`, which writes a `StageChange` row for every move, so the history
is the record twenty years later. `overdue` (*vencido*) is set by the daily sweep
(`services.mark_overdue`) and read with the days since the deadline. Evidence files are
`files.StoredFile` rows (hashed, kind from the bytes, stored once) linked from `Evidence`, where
the organisation decides, per file, whether the public scorecard shows it.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from ayni.files.models import StoredFile
from ayni.geo.models import District
from ayni.governance.models import Agreement
from ayni.orgs.models import Organisation

NO_DATE = datetime.date(9999, 12, 31)


class Authority(models.Model):
    """An authority or a candidate (*autoridad o candidata*): a public office, its level and
    territory (UBIGEO of 2, 4 or 6 digits), its period and party. A candidate who is elected
    becomes an authority on the same row, so her campaign pledges stay hers."""

    class Office(models.TextChoices):
        MAYOR = "mayor", _("Alcalde(sa)")
        COUNCILLOR = "councillor", _("Regidor(a)")
        GOVERNOR = "governor", _("Gobernador(a) regional")
        REGIONAL_COUNCILLOR = "regional", _("Consejero(a) regional")
        MINISTER = "minister", _("Ministro(a)")
        CONGRESS = "congress", _("Congresista")
        PROGRAMME_HEAD = "programme", _("Jefe(a) de programa")
        OTHER = "other", _("Otro cargo")

    class Level(models.TextChoices):
        DISTRICT = "district", _("Distrital")
        PROVINCE = "province", _("Provincial")
        REGION = "region", _("Regional")
        NATIONAL = "national", _("Nacional")

    name = models.CharField(_("nombre"), max_length=160)
    office = models.CharField(_("cargo"), max_length=10, choices=Office.choices)
    level = models.CharField(_("nivel"), max_length=8, choices=Level.choices)
    territory = models.CharField(
        _("territorio (UBIGEO)"),
        max_length=6,
        blank=True,
        help_text=_(
            "2 dígitos para una región, 4 para una provincia, 6 para un distrito; vacío para el nivel nacional."
        ),
    )
    territory_name = models.CharField(max_length=120, blank=True, editable=False)
    period_start = models.PositiveSmallIntegerField(_("periodo desde (año)"))
    period_end = models.PositiveSmallIntegerField(_("periodo hasta (año)"))
    party = models.CharField(_("partido o movimiento"), max_length=120, blank=True)
    is_candidate = models.BooleanField(_("es candidata(o)"), default=False)
    elected_on = models.DateField(_("elegida(o) el"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("autoridad")
        verbose_name_plural = _("autoridades")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="authority_period_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_office_display()}{', ' + self.territory_name if self.territory_name else ''})"


class Law(models.Model):
    """A law, ordinance, regulation or bill the organisation follows (*ley o demanda*), e.g.
    Ley 31458 and its regulation, with its milestones and the commitments attached to it."""

    class Kind(models.TextChoices):
        LAW = "law", _("Ley")
        BILL = "bill", _("Proyecto de ley")
        REGULATION = "regulation", _("Reglamento")
        ORDINANCE = "ordinance", _("Ordenanza")
        DEMAND = "demand", _("Demanda")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="laws")
    kind = models.CharField(_("tipo"), max_length=10, choices=Kind.choices, default=Kind.LAW)
    title = models.CharField(_("nombre"), max_length=160, help_text=_("Por ejemplo: Ley 31458"))
    summary = models.CharField(_("de qué trata"), max_length=400, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = _("ley o demanda")
        verbose_name_plural = _("leyes y demandas")

    def __str__(self) -> str:
        return self.title


class Milestone(models.Model):
    """A step of a law: presented, approved, published, regulated, applied (*hito*)."""

    law = models.ForeignKey(Law, on_delete=models.CASCADE, related_name="milestones")
    on = models.DateField(_("fecha"))
    text = models.CharField(_("hito"), max_length=200)
    reached = models.BooleanField(_("logrado"), default=False)

    class Meta:
        ordering = ["on", "pk"]
        verbose_name = _("hito")
        verbose_name_plural = _("hitos")


class Commitment(models.Model):
    """A commitment (*compromiso*) of an authority or candidate to an organisation."""

    class Kind(models.TextChoices):
        FOOD = "food", _("Entrega de alimentos")
        BUDGET = "budget", _("Presupuesto")
        LAW = "law", _("Ley u ordenanza")
        INFRASTRUCTURE = "infra", _("Infraestructura")
        PROGRAMME = "programme", _("Programa")
        OTHER = "other", _("Otro")

    class Stage(models.TextChoices):
        REGISTERED = "registered", _("Registrado")
        IN_PROGRESS = "progress", _("En avance")
        PARTLY = "partly", _("Cumplido en parte")
        FULFILLED = "fulfilled", _("Cumplido")
        NOT_FULFILLED = "failed", _("No cumplido")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="commitments", verbose_name=_("organización")
    )
    authority = models.ForeignKey(
        Authority, on_delete=models.PROTECT, related_name="commitments", verbose_name=_("autoridad o candidata(o)")
    )
    kind = models.CharField(_("tipo"), max_length=10, choices=Kind.choices, default=Kind.OTHER)
    text = models.CharField(_("compromiso"), max_length=500)
    made_on = models.DateField(_("fecha del compromiso"))
    place = models.CharField(_("dónde se hizo"), max_length=160, blank=True)
    deadline = models.DateField(_("plazo"), null=True, blank=True)
    municipality = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("municipio")
    )
    stage = models.CharField(_("etapa"), max_length=10, choices=Stage.choices, default=Stage.REGISTERED)
    overdue = models.BooleanField(_("vencido"), default=False)
    is_public = models.BooleanField(_("se publica"), default=True)
    agreement = models.OneToOneField(
        Agreement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commitment",
        verbose_name=_("acuerdo de asamblea"),
    )
    law = models.ForeignKey(
        Law,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commitments",
        verbose_name=_("ley o demanda"),
    )
    # A food-delivery commitment is held to the municipality's delivery schedule for the
    # organisation's kitchens over a period: the promise beside the kitchens' own receipts.
    delivery_from = models.DateField(_("entregas desde"), null=True, blank=True)
    delivery_to = models.DateField(_("entregas hasta"), null=True, blank=True)
    # The deadline, or a far day for «sin plazo»: the public order (overdue first, then by
    # deadline, undated last) read straight from an index, the same on both engines.
    due_sort = models.GeneratedField(
        expression=Coalesce("deadline", Value(NO_DATE)), output_field=models.DateField(), db_persist=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    OPEN = (Stage.REGISTERED, Stage.IN_PROGRESS, Stage.PARTLY)
    RANK = {Stage.REGISTERED: 0, Stage.IN_PROGRESS: 1, Stage.PARTLY: 2, Stage.FULFILLED: 3, Stage.NOT_FULFILLED: 3}

    class Meta:
        ordering = ["-overdue", "deadline", "pk"]
        verbose_name = _("compromiso")
        verbose_name_plural = _("compromisos")
        indexes = [
            models.Index(fields=["is_public", "-overdue", "due_sort", "id"], name="commitment_public_order"),
            models.Index(fields=["municipality", "is_public", "-overdue", "due_sort", "id"], name="commitment_muni"),
            models.Index(fields=["is_public", "stage", "overdue"], name="commitment_public_stage"),
            models.Index(fields=["stage", "deadline"], name="commitment_open_deadline"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(deadline__isnull=True) | models.Q(deadline__gte=models.F("made_on")),
                name="commitment_deadline_after_made",
            ),
            models.CheckConstraint(
                condition=models.Q(overdue=False) | models.Q(deadline__isnull=False),
                name="commitment_overdue_has_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"N° {self.pk}: {self.text[:80]}"

    @property
    def is_open(self) -> bool:
        return self.stage in self.OPEN

    @property
    def links_deliveries(self) -> bool:
        return self.kind == self.Kind.FOOD and self.municipality_id is not None and self.delivery_from is not None

    def days_overdue(self, today: datetime.date | None = None) -> int:
        from django.utils import timezone

        if not self.overdue or self.deadline is None:
            return 0
        return max(0, ((today or timezone.localdate()) - self.deadline).days)


class StageChange(models.Model):
    """One move of a commitment's stage, or a follow-up in the same stage (*seguimiento*): when,
    who recorded it, her note. A text message's change carries the text's id, so a replay
    records it once."""

    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="changes")
    on = models.DateField(_("fecha"))
    stage_from = models.CharField(max_length=10, choices=Commitment.Stage.choices, blank=True)
    stage_to = models.CharField(_("etapa"), max_length=10, choices=Commitment.Stage.choices)
    note = models.CharField(_("nota"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    by_text = models.PositiveBigIntegerField(null=True, blank=True, unique=True, editable=False)  # Inbound.pk
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["commitment", "pk"]
        verbose_name = _("cambio de etapa")
        verbose_name_plural = _("cambios de etapa")


class Evidence(models.Model):
    """A source of a commitment or of one of its changes: a kept file (the photo of the signed
    acta, a scan, audio, a PDF) or a link (a video, a news item). Unpublished unless the
    organisation publishes it: the public page never shows, nor serves, an unpublished file."""

    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="evidence")
    change = models.ForeignKey(StageChange, on_delete=models.PROTECT, null=True, blank=True, related_name="evidence")
    file = models.ForeignKey(StoredFile, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    link = models.URLField(_("enlace"), max_length=400, blank=True)
    name = models.CharField(_("nombre"), max_length=120, blank=True)
    caption = models.CharField(_("descripción"), max_length=200, blank=True)
    published = models.BooleanField(_("publicado"), default=False)
    received_at = models.DateTimeField(_("recibido"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["commitment", "pk"]
        verbose_name = _("evidencia")
        verbose_name_plural = _("evidencias")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(file__isnull=False) | ~models.Q(link=""), name="evidence_file_or_link"
            ),
            models.UniqueConstraint(fields=["commitment", "file"], name="evidence_file_once_per_commitment"),
        ]

    def __str__(self) -> str:
        return self.caption or self.name or self.link or str(self.file)


class ScoreRound(models.Model):
    """A round of the community score card (*tarjeta de calificación comunitaria*): a federation
    sets the dates and the public service its kitchens rate."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="score_rounds")
    service = models.CharField(_("servicio calificado"), max_length=160)
    opens_on = models.DateField(_("desde"))
    closes_on = models.DateField(_("hasta"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_on", "-pk"]
        verbose_name = _("ronda de calificación")
        verbose_name_plural = _("rondas de calificación")
        constraints = [
            models.CheckConstraint(condition=models.Q(closes_on__gte=models.F("opens_on")), name="round_dates_order")
        ]

    def __str__(self) -> str:
        return f"{self.service} ({self.opens_on:%d/%m/%Y})"


SCORE_FIELDS = ("timeliness", "quantity", "quality", "treatment")


def _score(label):
    return models.PositiveSmallIntegerField(label)


class Rating(models.Model):
    """One kitchen's rating in a round, 1 to 5 on each of four questions. One per kitchen and
    round: rating again replaces it."""

    round = models.ForeignKey(ScoreRound, on_delete=models.CASCADE, related_name="ratings")
    kitchen = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    timeliness = _score(_("puntualidad"))
    quantity = _score(_("cantidad"))
    quality = _score(_("calidad"))
    treatment = _score(_("trato"))
    rated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("calificación")
        verbose_name_plural = _("calificaciones")
        constraints = [
            models.UniqueConstraint(fields=["round", "kitchen"], name="one_rating_per_kitchen_round"),
            *[
                models.CheckConstraint(condition=models.Q(**{f"{f}__gte": 1, f"{f}__lte": 5}), name=f"rating_{f}_1_5")
                for f in SCORE_FIELDS
            ],
        ]


class PublicEdition(models.Model):
    """The edition of the public scorecard (*edición pública*): one row, whose token every change
    a public page shows (a commitment, a stage, an evidence file published, an authority, a law,
    a rating, the overdue sweep) replaces in its own transaction. A rendered public page is kept
    in the cache under the token it was drawn from, so a change makes every kept page stale at
    once, on every worker, without deleting a key (`advocacy/publication.py`)."""

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("edición pública")
