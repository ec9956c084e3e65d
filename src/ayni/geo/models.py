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
