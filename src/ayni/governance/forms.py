"""Governance forms: they parse; the services decide."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ayni.governance.models import Assembly, DecisionKind, DuesRule, Motion, StatuteRule
from ayni.governance.services import RULE_FIELDS
from ayni.kitchens.forms import ConfirmableForm
from ayni.lib.forms import DateField
from ayni.lib.identity import labelled, parse_identity, relabel
from ayni.lib.identity import scheme as identity_scheme


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class StatuteRuleForm(forms.ModelForm):
    class Meta:
        model = StatuteRule
        fields = RULE_FIELDS


class ConveneForm(forms.Form):
    kind = forms.ChoiceField(label=_("Tipo de asamblea"), choices=Assembly.Kind.choices)
    mode = forms.ChoiceField(label=_("Modalidad"), choices=Assembly.Mode.choices, widget=forms.RadioSelect,
                             initial=Assembly.Mode.IN_PERSON)
    day = DateField(label=_("Fecha"), help_text=_("En una consulta: el día en que se abre la votación."))
    time = forms.TimeField(label=_("Hora"), widget=TimeInput, initial=datetime.time(15))
    end_day = DateField(label=_("Cierre de la votación (solo consultas)"), required=False)
    end_time = forms.TimeField(label=_("Hora de cierre"), widget=TimeInput, required=False)
    place = forms.CharField(label=_("Lugar"), max_length=200, required=False)
    link = forms.CharField(label=_("Enlace de la reunión virtual"), max_length=300, required=False)
    agenda = forms.CharField(label=_("Agenda: un punto por línea"), widget=forms.Textarea(attrs={"rows": 5}),
                             max_length=3000)

    def clean(self):
        data = super().clean()
        if data.get("day") and data.get("time"):
            data["starts_at"] = timezone.make_aware(datetime.datetime.combine(data["day"], data["time"]))
        data["ends_at"] = None
        if data.get("end_day"):
            data["ends_at"] = timezone.make_aware(datetime.datetime.combine(
                data["end_day"], data.get("end_time") or datetime.time(18)))
        return data

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        return {"kind": d["kind"], "mode": d["mode"], "starts_at": d["starts_at"], "ends_at": d["ends_at"],
                "place": d["place"], "link": d["link"], "agenda": d["agenda"].splitlines()}


class MotionForm(forms.Form):
    item = forms.ModelChoiceField(label=_("Punto de agenda"), queryset=None, empty_label=None)
    text = forms.CharField(label=_("Moción"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))
    decision = forms.ChoiceField(label=_("Tipo de decisión"), choices=DecisionKind.choices)
    ballot = forms.ChoiceField(label=_("Forma de votación"), choices=Motion.Ballot.choices, widget=forms.RadioSelect,
                               initial=Motion.Ballot.OPEN)

    def __init__(self, *args, assembly, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = assembly.agenda.all()


class HandCountForm(forms.Form):
    yes = forms.IntegerField(label=_("A favor"), min_value=0)
    no = forms.IntegerField(label=_("En contra"), min_value=0)
    abstain = forms.IntegerField(label=_("Abstenciones"), min_value=0, initial=0)


class ProxyForm(forms.Form):
    giver = forms.IntegerField(label=_("N° de quien otorga la carta poder"), min_value=1)
    holder = forms.IntegerField(label=_("N° de quien la lleva (presente)"), min_value=1)


class DelegateForm(forms.Form):
    member_org = forms.ModelChoiceField(label=_("Organización integrante"), queryset=None)
    dni = forms.CharField(label=_("DNI de la delegada"), max_length=20)

    def __init__(self, *args, members, country: str = "PE", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member_org"].queryset = members
        self.country = country  # the assembly's organisation's: its delegates' numbers are of its country
        _name_document(self.fields["dni"], country)

    def clean_dni(self):
        return parse_identity(self.cleaned_data["dni"], self.country).number


class VoteForm(forms.Form):
    choice = forms.ChoiceField(label=_("Su voto"), choices=[("yes", _("A favor")), ("no", _("En contra")),
                                                           ("abstain", _("Abstención"))], widget=forms.RadioSelect)
    on_behalf_of = forms.TypedChoiceField(label=_("Vota por"), coerce=int, required=False)


class AgreementForm(forms.Form):
    text = forms.CharField(label=_("Acuerdo"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))
    responsible = forms.ModelChoiceField(label=_("Responsable"), queryset=None)
    deadline = DateField(label=_("Plazo"))
    involves_authority = forms.BooleanField(label=_("Compromete a una autoridad"), required=False)
    authority = forms.CharField(label=_("Autoridad (cargo y nombre)"), max_length=160, required=False)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = people
        self.fields["responsible"].label_from_instance = lambda p: p.full_name


# --- Dues ------------------------------------------------------------------------------------------

def _soles(label, **kwargs):
    return forms.DecimalField(label=label, max_digits=8, decimal_places=2, min_value=0, **kwargs)


class _WithPeopleAndMotions(forms.Form):
    def __init__(self, *args, people=None, motions=None, **kwargs):
        super().__init__(*args, **kwargs)
        if "person" in self.fields:
            self.fields["person"].queryset = people
            self.fields["person"].label_from_instance = lambda p: f"{p.full_name} · {labelled(p.dni)}"
        if "motion" in self.fields:
            self.fields["motion"].queryset = motions
            self.fields["motion"].label_from_instance = lambda m: _("Moción %(n)s (%(day)s): %(text)s") % {
                "n": m.pk, "day": timezone.localtime(m.item.assembly.starts_at).strftime("%d/%m/%Y"),
                "text": m.text[:80]}


class DuesRuleForm(_WithPeopleAndMotions):
    motion = forms.ModelChoiceField(label=_("Acuerdo de la asamblea (moción aprobada)"), queryset=None)
    amount = _soles(_("Monto de la cuota (S/)"))
    period = forms.ChoiceField(label=_("Periodo"), choices=DuesRule.Period.choices, widget=forms.RadioSelect,
                               initial=DuesRule.Period.MONTHLY)
    starts_on = DateField(label=_("Desde"), help_text=_("La cuota rige desde el primer día de ese mes."))


class ExemptionForm(_WithPeopleAndMotions):
    person = forms.ModelChoiceField(label=_("Socia"), queryset=None)
    motion = forms.ModelChoiceField(label=_("Acuerdo de la asamblea (moción aprobada)"), queryset=None)
    from_month = DateField(label=_("Desde el mes"))
    until_month = DateField(label=_("Hasta el mes (vacío: hasta que la asamblea la levante)"), required=False)
    reason = forms.CharField(label=_("Motivo"), max_length=160)


class PaymentForm(ConfirmableForm):
    person = forms.ModelChoiceField(label=_("Socia"), queryset=None)
    amount = _soles(_("Monto pagado (S/)"))
    paid_on = DateField(label=_("Fecha de pago"))

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people
        self.fields["person"].label_from_instance = lambda p: f"{p.full_name} · {labelled(p.dni)}"


class AnnulForm(forms.Form):
    reason = forms.CharField(label=_("Motivo de la anulación"), max_length=160)


# --- Board elections ---------------------------------------------------------------------------------

def _dni(label, required=False):
    return forms.CharField(label=label, max_length=20, required=required)


def _name_document(field: forms.Field, country: str) -> None:
    """An identity field of `country`'s organisation: its document's name and how it is written."""
    if country != "PE":
        field.label = relabel(field.label, country)
        field.help_text = identity_scheme(country).help_text


class _DniForm(forms.Form):
    """Identity number fields (`dni_…`), parsed with the organisation's country's rules
    (lib/identity.py); who holds each is the view's scoped lookup."""

    def __init__(self, *args, country: str = "PE", **kwargs):
        super().__init__(*args, **kwargs)
        self.country = country
        self.name_documents()

    def name_documents(self) -> None:
        for name, field in self.fields.items():
            if name.startswith("dni_"):
                _name_document(field, self.country)

    def clean(self):
        data = super().clean()
        for name, value in list(data.items()):
            if name.startswith("dni_") and value:
                try:
                    data[name] = parse_identity(value, self.country).number
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        return data


COMMITTEE_ROLES = (("dni_presidenta", _("Presidenta del comité electoral")),
                   ("dni_secretaria", _("Secretaria del comité electoral")),
                   ("dni_vocal", _("Vocal del comité electoral")))


class ElectionForm(_DniForm):
    item = forms.ModelChoiceField(label=_("Asamblea y punto de agenda"), queryset=None)
    term_starts = DateField(label=_("Inicio del periodo de la nueva junta"))
    term_ends = DateField(label=_("Fin del periodo"))
    dni_presidenta = _dni(_("DNI de la presidenta del comité electoral"), required=True)
    dni_secretaria = _dni(_("DNI de la secretaria del comité electoral"))
    dni_vocal = _dni(_("DNI de la vocal del comité electoral"))

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items
        self.fields["item"].label_from_instance = lambda i: _("%(day)s · %(n)s. %(title)s") % {
            "day": timezone.localtime(i.assembly.starts_at).strftime("%d/%m/%Y"), "n": i.number, "title": i.title}


class SlateForm(_DniForm):
    name = forms.CharField(label=_("Nombre de la lista"), max_length=80)

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = list(kinds)
        for kind in self.kinds:
            self.fields[f"dni_{kind.code}"] = _dni(_("DNI de la candidata a %(kind)s") % {"kind": kind.name.lower()},
                                                   required=kind.code == "presidenta")
        self.name_documents()  # the candidates' fields, added after the base class named the rest
class ActaForm(forms.Form):
    """The secretary's part of the acta: a debate summary per agenda point (`debate-<item id>`),
    other observations, and the earlier acta this one corrects."""

    observations = forms.CharField(label=_("Otras constancias"), required=False, max_length=4000,
                                   widget=forms.Textarea(attrs={"rows": 3}))
    corrects = forms.ModelChoiceField(label=_("Esta acta corrige el acta N.º"), queryset=None, required=False,
                                      empty_label=_("No corrige ninguna"))
    correction = forms.CharField(label=_("Qué se corrige"), required=False, max_length=2000,
                                 widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, items, earlier, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            self.fields[f"debate-{item.pk}"] = forms.CharField(
                label=_("Resumen del debate: punto %(n)s, %(title)s") % {"n": item.number, "title": item.title},
                required=False, max_length=6000, widget=forms.Textarea(attrs={"rows": 4}))
        self.order_fields([f"debate-{i.pk}" for i in self.items] + ["observations", "corrects", "correction"])
        self.fields["corrects"].queryset = earlier
        self.fields["corrects"].label_from_instance = lambda a: _("Acta N.º %(n)s del %(d)s") % {
            "n": a.number, "d": timezone.localtime(a.approved_at).strftime("%d/%m/%Y")}

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        return {"debates": {i.pk: d.get(f"debate-{i.pk}", "") for i in self.items},
                "observations": d.get("observations", ""), "corrects": d.get("corrects"),
                "correction": d.get("correction", "")}


class PaperListForm(forms.Form):
    photo = forms.FileField(label=_("Foto de la lista firmada"),
                            widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf",
                                                                   "capture": "environment"}))


class SignedActaForm(forms.Form):
    photo = forms.FileField(label=_("Foto o escaneo de las páginas firmadas"),
                            widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}))
