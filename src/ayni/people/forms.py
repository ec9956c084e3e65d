from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ayni.geo.forms import DistrictField
from ayni.lib.forms import DateField
from ayni.lib.identity import parse_identity, relabel
from ayni.lib.identity import scheme as identity_scheme
from ayni.lib.phone import normalize_phone
from ayni.people.models import Language, Person, PositionKind


class DniField(forms.CharField):
    """The identity number of the organisation's country: Peru's DNI (8 digits, optionally the
    check character printed on the card) unless the form is given another `country`."""

    def __init__(self, country: str = "PE", **kwargs):
        self.country = country
        # "12 345 678 - K" with its spaces fits; a CPF with its dots too.
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", identity_scheme(country).help_text)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        return parse_identity(value, self.country)


def use_country(form: forms.Form, country: str, name: str = "dni") -> None:
    """Point the form's identity field at `country`: its rules, its name and its help. A label
    that says more than "DNI" ("DNI (si tiene)") keeps the rest, with the country's document."""
    field = form.fields[name]
    field.country = country
    if country != "PE":
        scheme = identity_scheme(country)
        field.label = relabel(field.label, country)
        field.help_text = scheme.help_text
        field.max_length = 20


class PersonForm(forms.Form):
    given_names = forms.CharField(label=_("Nombres"), max_length=80)
    paternal_surname = forms.CharField(label=_("Apellido paterno"), max_length=60)
    maternal_surname = forms.CharField(label=_("Apellido materno"), max_length=60, required=False)
    dni = DniField(label=_("DNI"))
    birth_date = DateField(label=_("Fecha de nacimiento"), required=False)
    sex = forms.ChoiceField(label=_("Sexo"), choices=Person.Sex.choices, initial=Person.Sex.FEMALE)
    phone = forms.CharField(label=_("Celular"), max_length=20, required=False)
    languages = forms.ModelMultipleChoiceField(Language.objects.all(), label=_("Idiomas que habla"), required=False,
                                               widget=forms.CheckboxSelectMultiple)
    district = DistrictField(label=_("Distrito donde vive"), required=False)

    def __init__(self, *args, instance: Person | None = None, country: str = "PE", **kwargs):
        if instance is not None and "initial" not in kwargs:
            initial = {f: getattr(instance, f) for f in self.base_fields if f not in ("languages", "dni")}
            initial["languages"] = list(instance.languages.all())
            initial["dni"] = f"{instance.dni}-{instance.dni_check}" if instance.dni_check else (instance.dni or "")
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.country = country
        use_country(self, country)
        if country != "PE":  # Peru's districts only: another country's place is its organisation's
            del self.fields["district"]

    def clean_phone(self):
        value = self.cleaned_data.get("phone")
        return normalize_phone(value, self.country) if value else ""

    def clean_birth_date(self):
        value = self.cleaned_data.get("birth_date")
        if value and value > timezone.localdate():
            raise ValidationError(_("La fecha de nacimiento no puede ser futura."))
        return value

    def person_fields(self) -> dict:
        """The cleaned data in the shape the people services take."""
        data = {k: v for k, v in self.cleaned_data.items() if k in self.base_fields}
        dni = data.pop("dni")
        data["dni"] = dni.number if dni else None
        data["dni_check"] = dni.check if dni else ""
        return data


class MemberForm(PersonForm):
    """Register a socia, and optionally give her a position on the board in the same step."""

    since = DateField(label=_("Socia desde"), required=False)
    position = forms.ModelChoiceField(PositionKind.objects.all(), label=_("Cargo (opcional)"), required=False,
                                      empty_label=_("Sin cargo"))
    starts_on = DateField(label=_("Inicio del periodo"), required=False)
    ends_on = DateField(label=_("Fin del periodo"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("position"):
            if not data.get("starts_on"):
                self.add_error("starts_on", _("Indique el inicio del periodo del cargo."))
            if not data.get("ends_on"):
                self.add_error("ends_on", _("Indique el fin del periodo del cargo."))
        return data

    def person_fields(self) -> dict:
        data = super().person_fields()
        for key in ("since", "position", "starts_on", "ends_on"):
            data.pop(key, None)
        return data


class PositionForm(forms.Form):
    person = forms.ModelChoiceField(Person.objects.none(), label=_("Persona"))
    kind = forms.ModelChoiceField(PositionKind.objects.all(), label=_("Cargo"))
    starts_on = DateField(label=_("Inicio del periodo"))
    ends_on = DateField(label=_("Fin del periodo"))
    elected_by = forms.CharField(label=_("Acta de elección"), max_length=120, required=False)

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("El periodo termina antes de empezar: revise las fechas."))
        return data


class AddExistingMemberForm(forms.Form):
    dni = DniField(label=_("DNI de la persona"), required=True)
    since = DateField(label=_("Socia desde"), required=False)

    def __init__(self, *args, country: str = "PE", **kwargs):
        super().__init__(*args, **kwargs)
        use_country(self, country)


class EndDateForm(forms.Form):
    on = DateField(label=_("Fecha"))
