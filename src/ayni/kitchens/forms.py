import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ayni.geo.forms import DistrictField
from ayni.kitchens.models import (
    INBOUND,
    OUTBOUND,
    DeliveryReceipt,
    DeliverySchedule,
    FoodItem,
    MovementKind,
    plain,
)
from ayni.kitchens.pictos import picto
from ayni.kitchens.services import NeedsConfirmation
from ayni.lib.forms import DateField, apply_validation_error


def _count(label, **kwargs):
    return forms.IntegerField(label=label, min_value=0, initial=0, widget=forms.NumberInput(attrs={
        "inputmode": "numeric"}), **kwargs)


def _money(label, **kwargs):
    return forms.DecimalField(label=label, min_value=0, max_digits=12, decimal_places=2, initial=Decimal(0),
                              widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.10"}), **kwargs)


# The report's numbers may be left blank: a day that did not cook asks only for the reason, and
# a day that cooked is told which number is missing (`services.check_report_fields`).
def _report_count(label):
    return _count(label, required=False)


def _report_money(label):
    return _money(label, required=False)


class ConfirmableForm(forms.Form):
    """A form whose service may answer "possible, but unusual" (`NeedsConfirmation`). The box
    to confirm appears only then, with the warnings it overrides and a label that says what it
    confirms; a hard error never shows it, and a box that was not shown is never sent ticked."""

    confirm = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unusual: list[str] = []

    def refuse(self, exc) -> None:
        """A service's refusal, on the form (`lib.views.form_page`): unusual numbers as the box to
        confirm them, anything else beside its field."""
        if isinstance(exc, NeedsConfirmation):
            self.ask_to_confirm(exc)
        else:
            apply_validation_error(self, exc)

    def ask_to_confirm(self, exc: NeedsConfirmation) -> None:
        self.unusual = exc.messages
        # On the bound field too: it was made, with the field's label then, when the form was cleaned.
        self.fields["confirm"].label = self["confirm"].label = _("Sí, está bien: %(what)s.") % {
            "what": "; ".join(exc.confirms)}

    def __iter__(self):
        # Rendered apart, above the fields, only when asked (kitchens/_confirm.html).
        return (field for field in super().__iter__() if field.name != "confirm")


def _quantity(label, **kwargs):
    return forms.DecimalField(label=label, max_digits=12, decimal_places=3,
                              widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}), **kwargs)


class DailyReportForm(ConfirmableForm):
    """The day's report. `version` travels with the form so a save made on an outdated copy is
    caught; `confirm` appears only after unusual numbers were flagged."""

    is_closed = forms.BooleanField(label=_("Hoy no se cocinó"), required=False,
                                   help_text=_("Márquelo y escriba solo el motivo; las cifras no hacen falta."))
    closed_reason = forms.CharField(label=_("Motivo (si no se cocinó)"), max_length=120, required=False,
                                    help_text=_("Sin alimentos, sin gas, feriado…"))
    rations_prepared = _report_count(_("Raciones preparadas"))
    served_paying = _report_count(_("Raciones servidas pagantes"))
    served_subsidised = _report_count(_("Raciones servidas subsidiadas"))
    served_free = _report_count(_("Raciones gratuitas (casos sociales)"))
    price_per_ration = _report_money(_("Precio por ración (S/)"))
    cash_received = _report_money(_("Dinero recibido (S/)"))
    menu = forms.CharField(label=_("Menú"), max_length=200, required=False, help_text=_("Nombres de los platos."))
    cooks = forms.CharField(label=_("Cocineras de turno"), max_length=200, required=False)
    cooks_count = _report_count(_("Número de cocineras"))
    notes = forms.CharField(label=_("Observaciones"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


# Each kind of ration with its picture beside the label (templates/includes/form.html).
for _name in ("rations_prepared", "served_paying", "served_subsidised", "served_free"):
    DailyReportForm.base_fields[_name].picto = picto(_name)


class MovementForm(ConfirmableForm):
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


class ReceiptForm(ConfirmableForm):
    schedule = forms.ModelChoiceField(
        DeliverySchedule.objects.none(), label=_("Entrega programada"), empty_label=None,
        error_messages={"invalid_choice": _("Esa entrega programada no existe. Elija una de la lista o pida a la "
                                            "coordinación que la registre.")},
    )
    received_on = DateField(label=_("Fecha de recepción"))
    quantity = _quantity(_("Cantidad recibida"), min_value=Decimal("0.001"))
    condition = forms.ChoiceField(label=_("Estado"), choices=DeliveryReceipt.Condition.choices)
    note = forms.CharField(label=_("Observación"), max_length=200, required=False)

    def __init__(self, *args, schedules=None, today: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        today = today or timezone.localdate()
        self.fields["schedule"].queryset = schedules
        self.fields["schedule"].label_from_instance = lambda s: schedule_label(s, today)
        if not self.is_bound and not self.initial.get("schedule"):
            # The delivery due now, not the oldest one still open: a January delivery was
            # the default, and 30 kg that came in November went to it.
            due_now = min(schedules, key=lambda s: (abs((s.due_on - today).days), s.due_on), default=None)
            self.initial["schedule"] = due_now.pk if due_now else None


def schedule_label(schedule: DeliverySchedule, today: datetime.date) -> str:
    """A promised delivery in words short enough for a phone's list (≈ 25 characters): the date
    first, then the item and the quantity, and what is still owed when part arrived."""
    due = schedule.due_on.strftime("%d/%m" if schedule.due_on.year == today.year else "%d/%m/%y")
    got = getattr(schedule, "got", None)
    label = _("%(due)s · %(item)s %(q)s %(unit)s") % {
        "due": due, "item": schedule.item.name, "q": plain(schedule.quantity), "unit": schedule.item.unit}
    if got:
        label += " " + _("(faltan %(n)s)") % {"n": plain(schedule.quantity - got)}
    return label


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


def month_param(value: str, default: datetime.date) -> datetime.date:
    """A month written as YYYY-MM in a query string, or the default."""
    try:
        return datetime.date.fromisoformat(f"{value}-01") if len(value) == 7 else default
    except ValueError:
        return default


def recent_months(today: datetime.date, n: int = 6) -> list[datetime.date]:
    """The first days of the last `n` months, this one first: the month pickers' choices."""
    months, m = [], today.replace(day=1)
    for _i in range(n):
        months.append(m)
        m = (m - datetime.timedelta(days=1)).replace(day=1)
    return months
