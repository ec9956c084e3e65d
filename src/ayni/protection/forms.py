from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ayni.geo.forms import DistrictField
from ayni.lib.forms import DateField, not_future
from ayni.protection.models import Case, CaseFile, Referral, Service, Step

# Peru's bounding box: a point outside it was typed wrong (a sign, lat and lon swapped).
LAT, LON = (-18.4, 0.1), (-81.4, -68.6)


def _point(text: str) -> list[float]:
    try:
        lat, lon = (float(x) for x in text.replace(";", ",").split(","))
    except ValueError as exc:
        raise ValidationError(_("Escriba cada punto como «latitud, longitud», por ejemplo -12.21, -76.94.")) from exc
    if not (LAT[0] <= lat <= LAT[1] and LON[0] <= lon <= LON[1]):
        raise ValidationError(_("El punto %(p)s no está en el Perú: revise el signo o el orden latitud, longitud.")
                              % {"p": text.strip()})
    return [lon, lat]  # GeoJSON order


class CaseForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Organización"), queryset=None)
    kind = forms.ChoiceField(label=_("Tipo de caso"), choices=Case.Kind.choices)
    problem = forms.ChoiceField(label=_("Problema"), choices=Case.Problem.choices)
    alias = forms.CharField(label=_("Alias"), max_length=60,
                            help_text=_("Un nombre que no sea el real. Es lo que se ve en la lista."))
    name = forms.CharField(label=_("Nombre real (opcional)"), max_length=120, required=False)
    age_band = forms.ChoiceField(label=_("Edad"), choices=Case.AgeBand.choices)
    district = DistrictField(label=_("Distrito"))
    risk = forms.ChoiceField(label=_("Riesgo"), choices=Case.Risk.choices)
    opened_on = DateField(label=_("Fecha de inicio"))
    notes = forms.CharField(label=_("Notas breves"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                            max_length=2000)
    land_use = forms.ChoiceField(label=_("Uso de la parcela"), choices=[("", "—"), *Case.LandUse.choices],
                                 required=False)
    tenure = forms.ChoiceField(label=_("Tenencia"), choices=[("", "—"), *Case.Tenure.choices], required=False)
    parcel_points = forms.CharField(
        label=_("Ubicación de la parcela"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Un punto «latitud, longitud», o tres o más puntos (uno por línea) para el contorno."))
    area_m2 = forms.IntegerField(label=_("Área (m²)"), required=False, min_value=1, max_value=100_000_000)
    claim = forms.CharField(label=_("Qué reclama"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                            max_length=2000)
    involved = forms.CharField(label=_("Otras personas involucradas"), required=False, max_length=2000,
                               widget=forms.Textarea(attrs={"rows": 2}),
                               help_text=_("Herederos, familiares, la comunidad."))

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["organisation"].empty_label = None

    def clean_opened_on(self):
        value = self.cleaned_data["opened_on"]
        not_future(value, _("La fecha de inicio no puede ser futura."))
        return value

    def clean(self):
        data = super().clean()
        points = [line for line in (data.get("parcel_points") or "").splitlines() if line.strip()]
        if data.get("kind") == Case.Kind.LAND:
            if not data.get("land_use") or not data.get("tenure"):
                raise ValidationError(_("En un caso de tierra diga el uso de la parcela y la tenencia."))
            try:
                coords = [_point(p) for p in points]
            except ValidationError as exc:
                self.add_error("parcel_points", exc)
                return data
            if len(coords) == 2:
                self.add_error("parcel_points", _("Un punto, o al menos tres para el contorno; no dos."))
            elif coords:
                geometry = ({"type": "Point", "coordinates": coords[0]} if len(coords) == 1 else
                            {"type": "Polygon", "coordinates": [[*coords, coords[0]]]})
                data["parcel"] = {"geometry": geometry, "area_m2": data.get("area_m2")}
            elif data.get("area_m2"):
                data["parcel"] = {"area_m2": data["area_m2"]}
        data.pop("parcel_points", None)
        data.pop("area_m2", None)
        return data


class CaseUpdateForm(forms.Form):
    risk = forms.ChoiceField(label=_("Riesgo"), choices=Case.Risk.choices)
    status = forms.ChoiceField(label=_("Estado"), choices=Case.Status.choices)
    notes = forms.CharField(label=_("Notas breves"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                            max_length=2000)


class ReferralForm(forms.Form):
    kind = forms.ChoiceField(label=_("A dónde"), choices=Service.Kind.choices)
    service = forms.ModelChoiceField(label=_("Servicio del directorio"), queryset=None, required=False)
    referred_on = DateField(label=_("Fecha de la derivación"))
    follow_up_on = DateField(label=_("Hacer seguimiento el"), required=False,
                             help_text=_("Si lo deja vacío, en una semana."))
    carry = forms.CharField(label=_("Lo que ella acepta llevar en la hoja"), required=False, max_length=500,
                            widget=forms.Textarea(attrs={"rows": 2}))
    outcome = forms.CharField(label=_("Resultado"), required=False, max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, services=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services


class ReferralUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Estado"), choices=Referral.Status.choices)
    follow_up_on = DateField(label=_("Hacer seguimiento el"), required=False)
    outcome = forms.CharField(label=_("Resultado"), required=False, max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 2}))


class StepForm(forms.Form):
    before = forms.ChoiceField(label=_("Ante"), choices=Step.Before.choices)
    on = DateField(label=_("Fecha"))
    status = forms.ChoiceField(label=_("Estado"), choices=Step.Status.choices)
    note = forms.CharField(label=_("Nota"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class FileForm(forms.Form):
    label = forms.ChoiceField(label=_("Documento"), choices=CaseFile.Label.choices)
    upload = forms.FileField(label=_("Archivo (PDF o foto)"))


class GlassForm(forms.Form):
    case_number = forms.IntegerField(label=_("Número del caso"), min_value=1)
    reason = forms.CharField(label=_("Por qué necesita abrirlo"), widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=1000)
    hours = forms.IntegerField(label=_("Por cuántas horas"), min_value=1, max_value=8, initial=2)


class SupervisorForm(forms.Form):
    federation = forms.ModelChoiceField(label=_("Federación"), queryset=None)
    account = forms.ModelChoiceField(label=_("Supervisora"), queryset=None)

    def __init__(self, *args, federations=None, accounts=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["federation"].queryset = federations
        self.fields["account"].queryset = accounts


class ServiceForm(forms.Form):
    federation = forms.ModelChoiceField(label=_("Federación"), queryset=None)
    district = DistrictField(label=_("Distrito"))
    kind = forms.ChoiceField(label=_("Tipo"), choices=Service.Kind.choices)
    name = forms.CharField(label=_("Nombre"), max_length=150)
    address = forms.CharField(label=_("Dirección"), max_length=200, required=False)
    phone = forms.CharField(label=_("Teléfono"), max_length=30, required=False)
    hours = forms.CharField(label=_("Horario"), max_length=100, required=False)

    def __init__(self, *args, federations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["federation"].queryset = federations
        self.fields["federation"].empty_label = None


class IncidentForm(forms.Form):
    what = forms.CharField(label=_("Qué pasó"), widget=forms.Textarea(attrs={"rows": 3}), max_length=3000,
                           help_text=_("Sin datos de ningún caso: qué se perdió o expuso y cómo."))
    discovered_at = forms.DateTimeField(label=_("Descubierto el"), initial=timezone.now,
                                        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    whose = forms.CharField(label=_("De quiénes son los datos"), max_length=200)
    affected = forms.IntegerField(label=_("Personas afectadas (aprox.)"), min_value=0)
    measures = forms.CharField(label=_("Medidas tomadas"), widget=forms.Textarea(attrs={"rows": 2}), required=False,
                               max_length=3000)
    reported_at = forms.DateTimeField(label=_("Comunicado a la autoridad el"), required=False,
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
