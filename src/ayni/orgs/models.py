"""The organisation tree: confederation → federations → base organisations (kitchens…).

Subtrees are read with one indexed prefix query on a materialized path (`path`), never by
recursion in Python: a coordinator's 150 kitchens and the national board's 4,500 come back in
one query. The path is the chain of primary keys, each as 7 base-36 characters and a slash.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ayni.geo.models import District

PATH_STEP = 8  # 7 base-36 characters and "/"


def path_segment(pk: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while pk:
        pk, rem = divmod(pk, 36)
        out = digits[rem] + out
    return out.rjust(7, "0") + "/"


class OrgKind(models.Model):
    """A kind of organisation. The list and the containment rules are data (migration 0002)."""

    code = models.SlugField(primary_key=True, max_length=40)
    name = models.CharField(_("nombre"), max_length=80)
    name_plural = models.CharField(_("nombre en plural"), max_length=80)
    level = models.PositiveSmallIntegerField(
        _("nivel"), help_text=_("1 confederación, 2 provincial, 3 distrital, 4 organización de base")
    )
    is_kitchen = models.BooleanField(_("es cocina"), default=False)
    may_contain = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="may_be_inside")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["level", "order"]
        verbose_name = _("tipo de organización")
        verbose_name_plural = _("tipos de organización")

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    """An organisation: *organización social de base*, federation or confederation."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Activa")
        INACTIVE = "inactive", _("Inactiva")
        SUSPENDED = "suspended", _("Suspendida")
        CLOSED = "closed", _("Cerrada")

    kind = models.ForeignKey(OrgKind, on_delete=models.PROTECT, verbose_name=_("tipo"))
    name = models.CharField(_("nombre"), max_length=160)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
        verbose_name=_("organización superior"),
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, related_name="organisations",
        verbose_name=_("distrito"),
    )
    address = models.CharField(_("dirección"), max_length=200, blank=True)
    # The country whose pack names its places, identity numbers and phones (`geo.Country`). A
    # regional network crosses borders at its top; each federation below stays in one country.
    country = models.CharField(_("país"), max_length=2, default="PE")
    # Outside Peru, the place is its country pack's unit (a Bolivian municipality); in Peru, `district`.
    area = models.ForeignKey(
        "geo.Area", on_delete=models.PROTECT, null=True, blank=True, related_name="organisations",
        verbose_name=_("lugar"),
    )
    latitude = models.DecimalField(_("latitud"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitud"), max_digits=9, decimal_places=6, null=True, blank=True)
    founded_on = models.DateField(_("fecha de fundación"), null=True, blank=True)
    status = models.CharField(_("estado"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    status_changed_on = models.DateField(_("fecha del estado"), null=True, blank=True)
    status_reason = models.CharField(_("motivo del estado"), max_length=200, blank=True)
    ruos_number = models.CharField(_("N° de registro RUOS"), max_length=40, blank=True)
    municipal_resolution = models.CharField(_("resolución municipal"), max_length=80, blank=True)
    sunarp_entry = models.CharField(_("partida registral SUNARP"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("organización")
        verbose_name_plural = _("organizaciones")
        indexes = [
            # A plain btree serves prefix LIKE on PostgreSQL only with the pattern opclass.
            models.Index(fields=["path"], name="org_path_like", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["kind", "status"], name="org_kind_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True) | models.Q(latitude__gte=-90, latitude__lte=90),
                name="org_latitude_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_kitchen(self) -> bool:
        return self.kind.is_kitchen

    def ancestor_paths(self) -> list[str]:
        return [self.path[: i + PATH_STEP] for i in range(0, len(self.path) - PATH_STEP, PATH_STEP)]

    def ancestors(self):
        return Organisation.objects.filter(path__in=self.ancestor_paths()).select_related("kind").order_by("depth")

    def subtree(self):
        return Organisation.objects.filter(path__startswith=self.path)


class RequirementItem(models.Model):
    """An item of the membership-requirements checklist (data: migration 0002)."""

    code = models.SlugField(primary_key=True, max_length=40)
    name = models.CharField(_("nombre"), max_length=120)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]
        verbose_name = _("requisito")
        verbose_name_plural = _("requisitos")

    def __str__(self) -> str:
        return self.name


class RequirementCheck(models.Model):
    """That an organisation's document was seen, when and by whom."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="requirement_checks")
    item = models.ForeignKey(RequirementItem, on_delete=models.PROTECT)
    verified_on = models.DateField(_("fecha de verificación"))
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
        verbose_name=_("verificado por"),
    )
    note = models.CharField(_("observación"), max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "item"], name="one_check_per_item")]
        verbose_name = _("requisito verificado")
        verbose_name_plural = _("requisitos verificados")

    def __str__(self) -> str:
        return f"{self.organisation}: {self.item}"
