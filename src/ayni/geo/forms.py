"""Form pieces for places, shared by every domain whose forms ask for one."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _lazy

from ayni.geo.models import District
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
