from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ayni.lib.forms import DateField
from ayni.lib.identity import relabel
from ayni.people.forms import DniField, use_country
from ayni.people.models import Person
from ayni.rolls.models import Category, ConsentMethod, ExitReason, Ration


class EntryFieldsMixin(forms.Form):
    category = forms.ModelChoiceField(Category.objects.all(), label=_("Categoría"), empty_label=None)
    ration = forms.ChoiceField(label=_("Tipo de ración"), choices=Ration.choices, initial=Ration.SUBSIDISED,
                               widget=forms.RadioSelect)
    social_case_reason = forms.CharField(label=_("Motivo del caso social"), max_length=200, required=False,
                                         help_text=_("Solo si la ración es gratuita."))
    household_head = forms.ModelChoiceField(Person.objects.none(), label=_("Hogar: jefa o jefe"), required=False,
                                            empty_label=_("Sin hogar registrado"))
    consent_method = forms.ChoiceField(label=_("Consentimiento"), choices=ConsentMethod.choices,
                                       widget=forms.RadioSelect)
    consent_witness = forms.CharField(label=_("Testigo (consentimiento verbal)"), max_length=120, required=False)
    consent_on = DateField(label=_("Fecha del consentimiento"))
    notes = forms.CharField(label=_("Observaciones"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, heads=None, **kwargs):
        super().__init__(*args, **kwargs)
        if heads is not None:
            self.fields["household_head"].queryset = heads
        else:
            del self.fields["household_head"]

    def clean(self):
        data = super().clean()
        if data.get("ration") == Ration.FREE and not data.get("social_case_reason"):
            self.add_error("social_case_reason", _("Indique el motivo del caso social."))
        if data.get("consent_method") == ConsentMethod.VERBAL and not data.get("consent_witness"):
            self.add_error("consent_witness", _("Un consentimiento verbal necesita el nombre de quien lo presenció."))
        return data

    def entry_fields(self) -> dict:
        keys = ("category", "ration", "social_case_reason", "consent_method", "consent_witness", "consent_on",
                "notes", "household_head", "since")
        return {k: self.cleaned_data[k] for k in keys if k in self.cleaned_data}


class AddToRollForm(EntryFieldsMixin, forms.Form):
    """Everything to put one person on the roll, short enough to fill in on a phone."""

    dni = DniField(label=_("DNI (si tiene)"))
    given_names = forms.CharField(label=_("Nombres"), max_length=80)
    paternal_surname = forms.CharField(label=_("Apellido paterno"), max_length=60)
    maternal_surname = forms.CharField(label=_("Apellido materno"), max_length=60, required=False)
    birth_date = DateField(label=_("Fecha de nacimiento"), required=False)
    sex = forms.ChoiceField(label=_("Sexo"), choices=Person.Sex.choices, initial=Person.Sex.FEMALE,
                            widget=forms.RadioSelect)
    since = DateField(label=_("Come aquí desde"))
    field_order = ["dni", "given_names", "paternal_surname", "maternal_surname", "birth_date", "sex", "category",
                   "ration", "social_case_reason", "household_head", "since", "consent_method", "consent_witness",
                   "consent_on", "notes"]

    def __init__(self, *args, country: str = "PE", **kwargs):
        super().__init__(*args, **kwargs)
        use_country(self, country)  # the kitchen's country: a Bolivian kitchen asks for the CI

    def clean_birth_date(self):
        value = self.cleaned_data.get("birth_date")
        if value and value > timezone.localdate():
            raise ValidationError(_("La fecha de nacimiento no puede ser futura."))
        return value

    def person_fields(self) -> dict:
        data = {k: self.cleaned_data.get(k) for k in ("given_names", "paternal_surname", "maternal_surname",
                                                       "birth_date", "sex")}
        dni = self.cleaned_data.get("dni")
        data["dni"] = dni.number if dni else None
        data["dni_check"] = dni.check if dni else ""
        return data


class EditEntryForm(EntryFieldsMixin, forms.Form):
    since = DateField(label=_("Come aquí desde"))


class ExitForm(forms.Form):
    until = DateField(label=_("Fecha de salida"))
    reason = forms.ChoiceField(label=_("Motivo"), choices=ExitReason.choices)
    note = forms.CharField(label=_("Detalle"), max_length=200, required=False)


class RollFilterForm(forms.Form):
    q = forms.CharField(label=_("Nombre o DNI"), required=False, max_length=80,
                        widget=forms.TextInput(attrs={"type": "search"}))
    categoria = forms.ModelChoiceField(Category.objects.all(), label=_("Categoría"), required=False,
                                       empty_label=_("Todas"))
    racion = forms.ChoiceField(label=_("Ración"), choices=[("", _("Todas")), *Ration.choices], required=False)

    def __init__(self, *args, country: str = "PE", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].label = relabel(self.fields["q"].label, country)  # "Nombre o cédula de identidad"


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Archivo Excel (.xlsx) o CSV"),
                           help_text=_("Una fila por persona; la primera fila con los títulos de las columnas."))
    consent_method = forms.ChoiceField(
        label=_("Consentimiento de las personas de la lista"), required=False,
        choices=[("", _("Aún no registrado")), (ConsentMethod.SIGNED, _("Tenemos la hoja firmada por cada persona"))])


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("same", _("Es la misma persona")), ("different", _("Son personas distintas"))],
        widget=forms.RadioSelect, label=_("Decisión"))
    keep = forms.IntegerField(required=False, widget=forms.HiddenInput)
