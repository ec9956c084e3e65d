"""People, their memberships (socias) and their positions with terms (cargos)."""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ayni.geo.models import District
from ayni.lib.text import fold
from ayni.orgs.models import Organisation


class Language(models.Model):
    """A language a person speaks (data: castellano, quechua, aimara, asháninka…)."""

    code = models.SlugField(primary_key=True, max_length=20)
    name = models.CharField(_("nombre"), max_length=60)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("idioma")
        verbose_name_plural = _("idiomas")

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """A person: a socia, a leader, a promoter. Personal data: read through scoped selectors."""

    class Sex(models.TextChoices):
        FEMALE = "F", _("Mujer")
        MALE = "M", _("Hombre")
        OTHER = "X", _("Otro / prefiere no decir")

    given_names = models.CharField(_("nombres"), max_length=80)
    paternal_surname = models.CharField(_("apellido paterno"), max_length=60)
    maternal_surname = models.CharField(_("apellido materno"), max_length=60, blank=True)
    sex = models.CharField(_("sexo"), max_length=1, choices=Sex.choices, default=Sex.FEMALE)
    birth_date = models.DateField(_("fecha de nacimiento"), null=True, blank=True)
    # Peru's DNI as eight digits; another country's number with its ISO code in front
    # (`BO-1234567`, see lib/identity.py), so one unique column holds every country's.
    dni = models.CharField(_("DNI"), max_length=24, null=True, blank=True, unique=True)
    dni_check = models.CharField(_("carácter de verificación"), max_length=1, blank=True)
    phone = models.CharField(_("celular"), max_length=15, blank=True)
    languages = models.ManyToManyField(Language, blank=True, verbose_name=_("idiomas"))
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("distrito")
    )
    # Accent- and case-free copy of the full name, so search is one indexed LIKE on any engine.
    search_name = models.CharField(max_length=200, editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["paternal_surname", "maternal_surname", "given_names"]
        verbose_name = _("persona")
        verbose_name_plural = _("personas")
        # A text message names no account, only a phone: votes by text and the kitchens' texts find
        # the sender by it, and a national consultation must not scan every person per vote.
        indexes = [models.Index(fields=["phone"], name="person_phone")]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.given_names, self.paternal_surname, self.maternal_surname) if p)

    def age(self, on: datetime.date | None = None) -> int | None:
        if not self.birth_date:
            return None
        on = on or timezone.localdate()
        return on.year - self.birth_date.year - ((on.month, on.day) < (self.birth_date.month, self.birth_date.day))

    def save(self, *args, **kwargs):
        self.search_name = fold(f"{self.given_names} {self.paternal_surname} {self.maternal_surname}")
        if self.dni == "":
            self.dni = None
        super().save(*args, **kwargs)


class Membership(models.Model):
    """A person is a socia of an organisation from a date, until a date (or still)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    since = models.DateField(_("desde"))
    until = models.DateField(_("hasta"), null=True, blank=True)

    class Meta:
        ordering = ["-since"]
        verbose_name = _("membresía")
        verbose_name_plural = _("membresías")
        indexes = [models.Index(fields=["organisation", "until"], name="membership_org_until")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(until__isnull=True) | models.Q(until__gte=models.F("since")),
                name="membership_until_after_since",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.organisation}"

    def is_current(self, on: datetime.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.since <= on and (self.until is None or self.until >= on)


class PositionKind(models.Model):
    """A position: board (presidenta…), promoter roles, legal counsellor (data: migration)."""

    class Group(models.TextChoices):
        BOARD = "board", _("Junta directiva")
        PROMOTER = "promoter", _("Promotora")
        COUNSEL = "counsel", _("Consejería legal")

    code = models.SlugField(primary_key=True, max_length=40)
    name = models.CharField(_("nombre"), max_length=80)
    group = models.CharField(_("grupo"), max_length=10, choices=Group.choices)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["group", "order"]
        verbose_name = _("cargo")
        verbose_name_plural = _("cargos")

    def __str__(self) -> str:
        return self.name


class PositionQuerySet(models.QuerySet):
    def current(self, on: datetime.date | None = None):
        on = on or timezone.localdate()
        return self.filter(starts_on__lte=on, ends_on__gte=on)

    def ending_within(self, days: int, on: datetime.date | None = None):
        on = on or timezone.localdate()
        return self.current(on).filter(ends_on__lte=on + datetime.timedelta(days=days))


class Position(models.Model):
    """A person holds a position in an organisation for a term (*cargo con periodo*)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="positions")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="positions")
    kind = models.ForeignKey(PositionKind, on_delete=models.PROTECT, verbose_name=_("cargo"))
    starts_on = models.DateField(_("inicio del periodo"))
    ends_on = models.DateField(_("fin del periodo"))
    elected_by = models.CharField(_("acta de elección"), max_length=120, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    objects = PositionQuerySet.as_manager()

    class Meta:
        ordering = ["kind__group", "kind__order", "-starts_on"]
        verbose_name = _("cargo con periodo")
        verbose_name_plural = _("cargos con periodo")
        indexes = [models.Index(fields=["organisation", "ends_on"], name="position_org_ends")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="position_term_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.person} ({self.starts_on:%Y}–{self.ends_on:%Y})"

    def is_current(self, on: datetime.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.starts_on <= on <= self.ends_on


# --- The duplicate review ----------------------------------------------------------------------

class DuplicatePair(models.Model):
    """Two people who may be the same, found on save or by the scope-wide search, waiting for a
    coordinator. A decision is kept: a pair marked different is never suggested again.

    The review is about people, so it lives here; rolls finds the pairs (dedupe.py) and merges
    them (services.merge_people), and the people services hold a DNI typed out of sight here
    (services.hold_dni_for_review). The tables kept their names from when the rolls app held
    them (people migration 0005): no row moved."""

    class Kind(models.TextChoices):
        SAME_DNI = "same_dni", _("Mismo DNI")
        DNI_TYPO = "dni_typo", _("DNI probablemente mal escrito")
        NAMES = "names", _("Nombres parecidos")

    class Status(models.TextChoices):
        OPEN = "open", _("Por revisar")
        SAME = "same", _("Misma persona (unidas)")
        DIFFERENT = "different", _("Personas distintas")

    # person_a has the lower id; the ids stay after a merge removes one of them, so the decision
    # is remembered even then.
    person_a = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, related_name="+")
    person_b = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, related_name="+")
    a_id_kept = models.BigIntegerField()
    b_id_kept = models.BigIntegerField()
    kind = models.CharField(_("tipo"), max_length=10, choices=Kind.choices)
    score = models.FloatField(_("parecido"))
    reason = models.CharField(_("por qué"), max_length=200)
    # The kitchens where each one is (or was last) on the roll: the pair is visible to whoever
    # may validate both.
    kitchen_a = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kitchen_b = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices, default=Status.OPEN)
    found_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "rolls_duplicatepair"
        ordering = ["-score", "found_at"]
        verbose_name = _("posible duplicado")
        verbose_name_plural = _("posibles duplicados")
        constraints = [
            models.UniqueConstraint(fields=["a_id_kept", "b_id_kept"], name="one_pair"),
            models.CheckConstraint(condition=models.Q(a_id_kept__lt=models.F("b_id_kept")), name="pair_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.a_id_kept} ~ {self.b_id_kept} ({self.kind})"


class PersonMerge(models.Model):
    """Two records of one person joined: what the removed record held, so nothing is lost."""

    kept = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, related_name="+")
    kept_id_kept = models.BigIntegerField()
    removed_id = models.BigIntegerField()
    removed_data = models.JSONField()
    moved = models.JSONField(default=dict)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "rolls_personmerge"
        ordering = ["-at"]
        verbose_name = _("unión de registros")
        verbose_name_plural = _("uniones de registros")

    def __str__(self) -> str:
        return f"{self.removed_id} → {self.kept_id_kept}"
