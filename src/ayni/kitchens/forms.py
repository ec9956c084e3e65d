import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ayni.kitchens.models import (
    INBOUND,
    OUTBOUND,
    DeliveryReceipt,
    DeliverySchedule,
    FoodItem,
    MovementKind,
    plain,
)
from ayni.lib.forms import DateField, DistrictField


def _count(label, **kwargs):
    return forms.IntegerField(label=label, min_value=0, initial=0, widget=forms.NumberInput(attrs={
        "inputmode": "numeric"}), **kwargs)


def _money(label, **kwargs):
    return forms.DecimalField(label=label, min_value=0, max_digits=12, decimal_places=2, initial=Decimal(0),
                              widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.10"}), **kwargs)


def _quantity(label, **kwargs):
    return forms.DecimalField(label=label, max_digits=12, decimal_places=3,
                              widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}), **kwargs)


class DailyReportForm(forms.Form):
    """The day's report. `version` travels with the form so a save made on an outdated copy is
    caught; `confirm` appears only after unusual numbers were flagged."""

    is_closed = forms.BooleanField(label=_("Hoy no se cocinó"), required=False)
    closed_reason = forms.CharField(label=_("Motivo (si no se cocinó)"), max_length=120, required=False,
                                    help_text=_("Sin alimentos, sin gas, feriado…"))
    rations_prepared = _count(_("Raciones preparadas"))
    served_paying = _count(_("Raciones servidas pagantes"))
    served_subsidised = _count(_("Raciones servidas subsidiadas"))
    served_free = _count(_("Raciones gratuitas (casos sociales)"))
    price_per_ration = _money(_("Precio por ración (S/)"))
    cash_received = _money(_("Dinero recibido (S/)"))
    menu = forms.CharField(label=_("Menú"), max_length=200, required=False, help_text=_("Nombres de los platos."))
    cooks = forms.CharField(label=_("Cocineras de turno"), max_length=200, required=False)
    cooks_count = _count(_("Número de cocineras"))
    notes = forms.CharField(label=_("Observaciones"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    confirm = forms.BooleanField(label=_("Confirmo que las cantidades son correctas"), required=False)

    def __init__(self, *args, ask_confirm: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not ask_confirm:
            self.fields["confirm"].widget = forms.HiddenInput()


class MovementForm(forms.Form):
    kind = forms.ChoiceField(label=_("Tipo de movimiento"), choices=[
        (_("Entradas"), [(k.value, k.label) for k in MovementKind if k in INBOUND]),
        (_("Salidas"), [(k.value, k.label) for k in MovementKind if k in OUTBOUND]),
    ])
    item = forms.ModelChoiceField(FoodItem.objects.all(), label=_("Alimento"), empty_label=None)
    quantity = _quantity(_("Cantidad"), min_value=Decimal("0.001"))
    date = DateField(label=_("Fecha"))
    unit_price = forms.DecimalField(label=_("Precio unitario (S/, solo compras)"), required=False, min_value=0,
                                    max_digits=12, decimal_places=2,
                                    widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}))
    party = forms.CharField(label=_("Proveedor, donante u otra cocina"), max_length=120, required=False)
    note = forms.CharField(label=_("Observación"), max_length=200, required=False)


class CountForm(forms.Form):
    item = forms.ModelChoiceField(FoodItem.objects.all(), label=_("Alimento"), empty_label=None)
    counted = _quantity(_("Cantidad contada en el almacén"), min_value=0)
    date = DateField(label=_("Fecha del conteo"))
    note = forms.CharField(label=_("Observación"), max_length=200, required=False)


class ScheduleForm(forms.Form):
    programme = forms.CharField(label=_("Programa"), max_length=80, initial="PCA")
    kind = forms.ChoiceField(label=_("Tipo de entrega"), choices=DeliverySchedule._meta.get_field("kind").choices)
    municipality = DistrictField(label=_("Municipalidad (distrito)"))
    item = forms.ModelChoiceField(FoodItem.objects.all(), label=_("Alimento"), empty_label=None)
    quantity = _quantity(_("Cantidad prometida"), min_value=Decimal("0.001"))
    period_start = DateField(label=_("Periodo desde"))
    period_end = DateField(label=_("Periodo hasta"))
    due_on = DateField(label=_("Fecha de entrega prometida"))


class ReceiptForm(forms.Form):
    schedule = forms.ModelChoiceField(
        DeliverySchedule.objects.none(), label=_("Entrega programada"), empty_label=None,
        error_messages={"invalid_choice": _("Esa entrega programada no existe. Elija una de la lista o pida a la "
                                            "coordinación que la registre.")},
    )
    received_on = DateField(label=_("Fecha de recepción"))
    quantity = _quantity(_("Cantidad recibida"), min_value=Decimal("0.001"))
    condition = forms.ChoiceField(label=_("Estado"), choices=DeliveryReceipt.Condition.choices)
    note = forms.CharField(label=_("Observación"), max_length=200, required=False)

    def __init__(self, *args, schedules=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["schedule"].queryset = schedules
        self.fields["schedule"].label_from_instance = lambda s: _(
            "%(programme)s: %(q)s %(unit)s de %(item)s para el %(due)s") % {
            "programme": s.programme, "q": plain(s.quantity), "unit": s.item.unit, "item": s.item.name,
            "due": s.due_on.strftime("%d/%m/%Y")}


class SubsidyForm(forms.Form):
    month = DateField(label=_("Mes al que corresponde"), help_text=_("Cualquier día del mes."))
    amount = _money(_("Monto (S/)"))
    received_on = DateField(label=_("Fecha de recepción"))
    note = forms.CharField(label=_("Observación"), max_length=200, required=False)


class ReturnForm(forms.Form):
    comment = forms.CharField(label=_("Qué debe corregir la cocina"), widget=forms.Textarea(attrs={"rows": 2}))


class MonthRangeForm(forms.Form):
    desde = forms.DateField(label=_("Desde (mes)"), input_formats=["%Y-%m"], required=False,
                            widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))
    hasta = forms.DateField(label=_("Hasta (mes)"), input_formats=["%Y-%m"], required=False,
                            widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))

    def months(self):
        today = timezone.localdate()
        default_last = today.replace(day=1)
        default_first = (default_last - datetime.timedelta(days=334)).replace(day=1)  # twelve months
        data = self.cleaned_data if self.is_valid() else {}
        first, last = data.get("desde") or default_first, data.get("hasta") or default_last
        if first > last:
            first, last = last, first
        return first.replace(day=1), last.replace(day=1)
