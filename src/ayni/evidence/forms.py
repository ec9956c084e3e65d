import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SelectionForm(forms.Form):
    """What a dashboard covers: an organisation, a place, a range of months. Everything is
    optional, so that a bare link shows the user's whole scope for the last twelve months."""

    org = forms.IntegerField(required=False, widget=forms.HiddenInput)
    lugar = forms.CharField(label=_("Lugar (código UBIGEO)"), required=False, max_length=6,
                            help_text=_("2 dígitos: departamento; 4: provincia; 6: distrito."))
    desde = forms.DateField(label=_("Desde (mes)"), input_formats=["%Y-%m"], required=False,
                            widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))
    hasta = forms.DateField(label=_("Hasta (mes)"), input_formats=["%Y-%m"], required=False,
                            widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))
    por = forms.ChoiceField(label=_("Comparar por"), required=False,
                            choices=[("org", _("organizaciones")), ("geo", _("territorio"))])

    def value(self, name, default=None):
        data = self.cleaned_data if self.is_valid() else {}
        return data.get(name) or default

    def months(self) -> tuple[datetime.date, datetime.date]:
        default_last = timezone.localdate().replace(day=1)
        default_first = (default_last - datetime.timedelta(days=334)).replace(day=1)  # twelve months
        first, last = self.value("desde", default_first), self.value("hasta", default_last)
        if first > last:
            first, last = last, first
        return first.replace(day=1), last.replace(day=1)


class PublicProfileForm(forms.Form):
    enabled = forms.BooleanField(label=_("Publicar las cifras agregadas y el mapa de esta organización"),
                                 required=False)
    note = forms.CharField(label=_("Nota para el público"), required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 3}))
