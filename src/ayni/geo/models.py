"""Peru's geography: departments, provinces and districts keyed by INEI UBIGEO.

The RENIEC code is kept beside it because national-ID addresses use it and the two differ for
some places (Callao is 07 for INEI, 24 for RENIEC). Indicators come from
`geo/data/SOURCES.md`; a few districts have none, so every indicator is nullable.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Place(models.Model):
    code = models.CharField(_("código INEI"), max_length=6, primary_key=True)
    reniec_code = models.CharField(_("código RENIEC"), max_length=6, blank=True)
    name = models.CharField(_("nombre"), max_length=80)
    capital = models.CharField(_("capital"), max_length=80, blank=True)
    area_km2 = models.FloatField(_("superficie (km²)"), null=True)
    population = models.PositiveIntegerField(_("población estimada 2020"), null=True)
    altitude_m = models.IntegerField(_("altitud (m)"), null=True)
    latitude = models.FloatField(_("latitud"), null=True)
    longitude = models.FloatField(_("longitud"), null=True)
    food_vulnerability = models.FloatField(_("índice de vulnerabilidad alimentaria"), null=True)
    hdi = models.FloatField(_("IDH 2019"), null=True)
    poverty_pct = models.FloatField(_("% pobreza total"), null=True)
    extreme_poverty_pct = models.FloatField(_("% pobreza extrema"), null=True)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return self.title()

    def title(self) -> str:
        return self.name.title()


class Department(Place):
    """Departamento (25, Lima Metropolitana and Callao included)."""

    iso_code = models.CharField(_("ISO 3166-2"), max_length=6, blank=True)

    class Meta(Place.Meta):
        verbose_name = _("departamento")
        verbose_name_plural = _("departamentos")


class Province(Place):
    """Provincia (196)."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="provinces")

    class Meta(Place.Meta):
        verbose_name = _("provincia")
        verbose_name_plural = _("provincias")

    def title(self) -> str:
        return f"{self.name.title()} ({self.department_id and self.department.name.title()})"


class District(Place):
    """Distrito (about 1,890)."""

    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="districts")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="districts")

    class Meta(Place.Meta):
        verbose_name = _("distrito")
        verbose_name_plural = _("distritos")

    def title(self) -> str:
        return f"{self.name.title()} – {self.province.name.title()}, {self.department.name.title()}"


class DatasetVersion(models.Model):
    """Fingerprint of the loaded CSV files, so re-running migrate skips an unchanged load."""

    name = models.CharField(max_length=40, primary_key=True)
    fingerprint = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(auto_now=True)


class Country(models.Model):
    """A country whose pack is loaded (`ayni load-country-pack <iso>`): what its data is called
    and how its numbers are written. Peru's places stay in the UBIGEO tables above; another
    country's are `Area` rows.
    """

    code = models.CharField(_("código ISO 3166-1"), max_length=2, primary_key=True)
    name = models.CharField(_("nombre"), max_length=80)
    # [{"level": 1, "name": "departamento", "plural": "departamentos"}, …]
    levels = models.JSONField(_("niveles del territorio"), default=list)
    identity_name = models.CharField(_("documento de identidad"), max_length=60)
    calling_code = models.CharField(_("código telefónico"), max_length=4)
    currency = models.CharField(_("moneda (ISO 4217)"), max_length=3)
    currency_name = models.CharField(_("nombre de la moneda"), max_length=40)
    programmes = models.JSONField(_("programas sociales"), default=list)
    sources = models.JSONField(_("fuentes y licencias"), default=list)
    fingerprint = models.CharField(max_length=64, blank=True)
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("país")
        verbose_name_plural = _("países")

    def __str__(self) -> str:
        return self.name

    def level_name(self, level: int) -> str:
        return next((lv["name"] for lv in self.levels if lv["level"] == level), "")


class Area(models.Model):
    """A territorial unit of a country other than Peru (*unidad territorial*): a Bolivian
    department, province or municipality, an Ecuadorian province… Boundaries carry their
    validity: when a municipality is split, the old row gets `valid_until` and the new ones
    `valid_from`, so history keeps its places.
    """

    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="areas")
    level = models.PositiveSmallIntegerField(_("nivel"))
    code = models.CharField(_("código oficial"), max_length=12)
    name = models.CharField(_("nombre"), max_length=120)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    valid_from = models.DateField(_("vigente desde"), null=True, blank=True)
    valid_until = models.DateField(_("vigente hasta"), null=True, blank=True)
    latitude = models.FloatField(_("latitud de la capital"), null=True, blank=True)
    longitude = models.FloatField(_("longitud de la capital"), null=True, blank=True)
    # GeoJSON geometry (Polygon or MultiPolygon, WGS84), when the pack has one.
    boundary = models.JSONField(_("límite"), null=True, blank=True)
    source = models.CharField(_("fuente"), max_length=200)

    class Meta:
        ordering = ["country", "level", "code", "valid_from"]
        verbose_name = _("unidad territorial")
        verbose_name_plural = _("unidades territoriales")
        constraints = [
            models.UniqueConstraint(fields=["country", "code", "valid_from"], name="area_one_code_per_start"),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_from__isnull=True)
                | models.Q(valid_until__gt=models.F("valid_from")),
                name="area_valid_until_after_from",
            ),
        ]

    def __str__(self) -> str:
        return self.name
