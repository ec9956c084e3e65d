"""Leadership forms: they parse; the services decide."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ayni.leadership.models import Programme, Representation
from ayni.lib.forms import DateField
from ayni.orgs.models import Organisation
from ayni.people.models import Language


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class ProgrammeForm(forms.Form):
    name = forms.CharField(label=_("Nombre de la escuela o taller"), max_length=160)
    topic = forms.CharField(label=_("Tema"), max_length=120, required=False)
    description = forms.CharField(label=_("Descripción"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                  max_length=2000)
    mode = forms.ChoiceField(label=_("Modalidad"), choices=Programme.Mode.choices, initial=Programme.Mode.IN_PERSON)
    place = forms.CharField(label=_("Lugar"), max_length=160, required=False)
    link = forms.URLField(label=_("Enlace de la sesión virtual"), required=False, assume_scheme="https")
    languages = forms.ModelMultipleChoiceField(label=_("Idiomas"), queryset=Language.objects.all(), required=False,
                                               widget=forms.CheckboxSelectMultiple)
    for_organisations = forms.ModelMultipleChoiceField(
        label=_("Organizaciones a las que se dirige (vacío: todas las de abajo)"), queryset=Organisation.objects.none(),
        required=False, widget=forms.CheckboxSelectMultiple)
    places = forms.IntegerField(label=_("Vacantes"), min_value=1, max_value=5000, initial=30)
    starts_on = DateField(label=_("Inicio"))
    ends_on = DateField(label=_("Fin"))
    min_attendance_pct = forms.IntegerField(label=_("Asistencia mínima para aprobar (%)"), min_value=1,
                                            max_value=100, initial=80)
    final_module_required = forms.BooleanField(label=_("Exige asistir al módulo final"), required=False,
                                               initial=True)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["for_organisations"].queryset = organisation.children.order_by("name")


class ModuleForm(forms.Form):
    title = forms.CharField(label=_("Título del módulo"), max_length=160)
    is_final = forms.BooleanField(label=_("Es el módulo final"), required=False)


class SessionForm(forms.Form):
    module = forms.ModelChoiceField(label=_("Módulo"), queryset=None, empty_label=None)
    day = DateField(label=_("Fecha"))
    time = forms.TimeField(label=_("Hora"), widget=TimeInput, initial=datetime.time(15))
    place = forms.CharField(label=_("Lugar"), max_length=160, required=False)
    link = forms.URLField(label=_("Enlace"), required=False, assume_scheme="https")
    facilitators = forms.CharField(label=_("Facilitadoras (usuarios, separados por comas)"), max_length=300,
                                   required=False)

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["module"].queryset = programme.modules.all()

    def clean(self):
        data = super().clean()
        if data.get("day") and data.get("time"):
            data["starts_at"] = timezone.make_aware(datetime.datetime.combine(data["day"], data["time"]))
        return data


class InviteForm(forms.Form):
    number = forms.IntegerField(label=_("Número de socia (el de su carné)"), min_value=1)
    enrol = forms.BooleanField(label=_("Ya aceptó: inscribirla"), required=False, initial=True)


class PaperListForm(forms.Form):
    photo = forms.FileField(label=_("Foto de la lista firmada"))
    numbers = forms.CharField(label=_("Números de socia que firmaron, separados por espacios"), max_length=3000)


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Motivo de la revocación"), max_length=200)


class ConsentForm(forms.Form):
    given_on = DateField(label=_("Fecha del consentimiento"), initial=timezone.localdate)
    how = forms.CharField(label=_("Cómo lo dio"), max_length=120,
                          help_text=_("Por ejemplo: firmado en la ficha, o de palabra ante la secretaria."))


class RepresentationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Tipo"), choices=Representation.Kind.choices)
    office = forms.CharField(label=_("Cargo"), max_length=160)
    starts_on = DateField(label=_("Desde"))
    ends_on = DateField(label=_("Hasta"), required=False)
