"""Form pieces for places, shared by every domain whose forms ask for one."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _lazy

from ayni.geo.models import Area, Country, District
from ayni.lib.text import fold


class DistrictField(forms.CharField):
    """A district by its 6-digit UBIGEO code or by its name ("Villa El Salvador").

    A select of 1,890 districts would weigh more than the whole page budget; a name is what a
    leader knows. An ambiguous name gets an error listing the candidates with their codes.
    """

    default_error_messages = {
        "unknown": _lazy("No existe un distrito con el código UBIGEO «%(value)s»."),
        "not_found": _lazy("No se encontró el distrito «%(value)s». Escriba su nombre o su código UBIGEO."),
        "ambiguous": _lazy("Hay varios distritos «%(value)s»: %(options)s. Escriba el código UBIGEO."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 80)
        kwargs.setdefault("help_text", _lazy("Nombre del distrito o código UBIGEO de 6 dígitos."))
        self.near_department = None
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, District):
            return value.code
        return value

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        text = value.strip()
        if text.isdigit():
            district = District.objects.select_related("province", "department").filter(code=text).first()
            if district is None:
                raise ValidationError(self.error_messages["unknown"] % {"value": text}, code="unknown")
            return district
        name = fold(text).upper()
        matches = list(
            District.objects.select_related("province", "department").filter(name__iexact=name)[:20]
        ) or [d for d in District.objects.select_related("province", "department").filter(name__icontains=name[:4])
              if fold(d.name).upper() == name]
        if self.near_department and len(matches) > 1:
            local = [d for d in matches if d.department_id == self.near_department]
            matches = local or matches
        if not matches:
            raise ValidationError(self.error_messages["not_found"] % {"value": text}, code="not_found")
        if len(matches) > 1:
            options = "; ".join(f"{d.code} {d.title()}" for d in matches[:6])
            raise ValidationError(self.error_messages["ambiguous"] % {"value": text, "options": options},
                                  code="ambiguous")
        return matches[0]


def current_areas(country: str, on: datetime.date | None = None):
    """The places of a country pack in force on `on` (today): a split municipality's old row is
    history, its successors are offered."""
    on = on or timezone.localdate()
    return (Area.objects.filter(country_id=country)
            .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on))
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=on))
            .select_related("parent__parent").order_by("level", "name", "code"))


class AreaField(forms.ChoiceField):
    """A place of another country than Peru, from its pack (`geo.Area`), grouped by the levels
    the pack names (Bolivia: departamentos, provincias, municipios). A pack holds a few hundred
    places at most, so a select with one group per level is light enough, unlike Peru's districts."""

    def __init__(self, country: str, **kwargs):
        pack = Country.objects.filter(code=country).first()
        self.areas = {str(a.pk): a for a in current_areas(country)}
        levels = sorted({a.level for a in self.areas.values()})
        names = [pack.level_name(level) for level in levels] if pack else []
        groups = []
        for level in levels:
            plural = next((lv.get("plural", "") for lv in pack.levels if lv["level"] == level), "") if pack else ""
            groups.append((str(plural or level).capitalize(),
                           [(pk, self.describe(a)) for pk, a in self.areas.items() if a.level == level]))
        kwargs.setdefault("label", _lazy("Lugar (%(levels)s)") % {"levels": " / ".join(n for n in names if n)}
                          if any(names) else _lazy("Lugar"))
        if not self.areas:
            kwargs.setdefault("help_text", _lazy("Los lugares de este país aún no están cargados "
                                                 "(ayni load-country-pack)."))
        super().__init__(choices=[("", "—"), *groups], **kwargs)

    @staticmethod
    def describe(area: Area) -> str:
        """"El Alto · Pedro Domingo Murillo, La Paz": a name with the places above it, since
        names repeat (Bolivia has five provinces called Cercado)."""
        above = []
        parent = area.parent
        while parent is not None and len(above) < 2:
            above.append(parent.name)
            parent = parent.parent if len(above) < 2 else None
        return f"{area.name} · {', '.join(above)}" if above else area.name

    def prepare_value(self, value):
        return str(value.pk) if isinstance(value, Area) else value

    def clean(self, value):
        value = super().clean(value)
        return self.areas.get(str(value)) if value else None


def bounds(country: str, margin: float = 3.0) -> tuple[float, float, float, float] | None:
    """(south, north, west, east) around a pack's places, with a margin for what lies between
    its capitals: a coordinate far outside the country is a typing mistake."""
    found = Area.objects.filter(country_id=country, latitude__isnull=False, longitude__isnull=False).aggregate(
        south=Min("latitude"), north=Max("latitude"), west=Min("longitude"), east=Max("longitude"))
    if found["south"] is None:
        return None
    return (max(-90.0, found["south"] - margin), min(90.0, found["north"] + margin),
            max(-180.0, found["west"] - margin), min(180.0, found["east"] + margin))
