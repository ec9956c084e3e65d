from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from ayni.economy.models import Cycle, Garden, InterestMethod, Producer, Programme, Venture
from ayni.geo.forms import DistrictField
from ayni.kitchens.forms import ConfirmableForm
from ayni.kitchens.models import FoodItem
from ayni.lib.forms import DateField

MONEY = {"max_digits": 10, "decimal_places": 2, "min_value": Decimal(0)}


def cents(value) -> int:
    return int(Decimal(value) * 100)


class RulesForm(forms.Form):
    """The rules of a cycle, money in soles."""

    share_value = forms.DecimalField(label=_("Valor de la acción (S/)"), initial=Decimal(10), **MONEY)
    shares_min = forms.IntegerField(label=_("Acciones mínimas por reunión"), min_value=0, initial=1)
    shares_max = forms.IntegerField(label=_("Acciones máximas por reunión"), min_value=1, initial=5)
    interest_rate = forms.DecimalField(label=_("Interés mensual (%)"), max_digits=5, decimal_places=2,
                                       min_value=Decimal(0), max_value=Decimal(30), initial=Decimal(5))
    interest_method = forms.ChoiceField(label=_("Cómo se cobra el interés"), choices=InterestMethod.choices)
    loan_multiple = forms.DecimalField(label=_("Préstamo máximo (veces lo ahorrado)"), max_digits=4,
                                       decimal_places=1, min_value=Decimal(0), initial=Decimal(3))
    max_term_months = forms.IntegerField(label=_("Plazo máximo (meses)"), min_value=1, max_value=24, initial=3)
    late_fine = forms.DecimalField(label=_("Multa por tardanza (S/)"), initial=Decimal(1), **MONEY)
    absence_fine = forms.DecimalField(label=_("Multa por inasistencia (S/)"), initial=Decimal(2), **MONEY)
    social_fund = forms.DecimalField(label=_("Aporte al fondo social por reunión (S/)"), initial=Decimal(1), **MONEY)
    lend_in_arrears = forms.BooleanField(label=_("Se presta a socias con cuotas atrasadas"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("shares_min") is not None and data.get("shares_max") is not None \
                and data["shares_min"] > data["shares_max"]:
            self.add_error("shares_max", _("El máximo de acciones no puede ser menor que el mínimo."))
        if data.get("share_value") is not None and data["share_value"] <= 0:
            self.add_error("share_value", _("La acción debe valer algo."))
        return data

    def rules(self) -> dict:
        data = self.cleaned_data
        out = {f: data[f] for f in Cycle.RULE_FIELDS}
        for money in ("share_value", "late_fine", "absence_fine", "social_fund"):
            out[money] = cents(data[money])
        return out


class GroupForm(RulesForm):
    name = forms.CharField(label=_("Nombre del banquito"), max_length=120)
    starts_on = DateField(label=_("Inicio del ciclo"))
    ends_on = DateField(label=_("Fin previsto del ciclo"))
    field_order = ["name", "starts_on", "ends_on"]


class CycleForm(RulesForm):
    starts_on = DateField(label=_("Inicio del ciclo"))
    ends_on = DateField(label=_("Fin previsto del ciclo"))
    field_order = ["starts_on", "ends_on"]


class MemberForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Socia"), queryset=None)
    joined_on = DateField(label=_("Desde"))

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("Por qué se anula"), max_length=150)


class ShareOutForm(forms.Form):
    on = DateField(label=_("Fecha del reparto"))


class GardenForm(forms.Form):
    name = forms.CharField(label=_("Nombre del biohuerto"), max_length=120)
    kind = forms.ChoiceField(label=_("Tipo"), choices=Garden.Kind.choices)
    area_m2 = forms.IntegerField(label=_("Área (m²)"), min_value=1, max_value=1_000_000, required=False)
    crops = forms.CharField(label=_("Cultivos"), max_length=200, required=False)
    kitchens = forms.ModelMultipleChoiceField(label=_("Cocinas que abastece"), queryset=None, required=False,
                                              widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, kitchens=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kitchens"].queryset = kitchens


class HarvestForm(forms.Form):
    kitchen = forms.ModelChoiceField(label=_("Cocina que la recibe"), queryset=None)
    item = forms.ModelChoiceField(label=_("Alimento"), queryset=FoodItem.objects.order_by("name"))
    date = DateField(label=_("Fecha"))
    quantity = forms.DecimalField(label=_("Cantidad"), max_digits=10, decimal_places=2, min_value=Decimal("0.01"))

    def __init__(self, *args, kitchens=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kitchen"].queryset = kitchens


class VentureForm(forms.Form):
    name = forms.CharField(label=_("Nombre del emprendimiento"), max_length=120)
    activity = forms.ChoiceField(label=_("Actividad"), choices=Venture.Activity.choices)
    products = forms.CharField(label=_("Qué hace o vende"), max_length=200, required=False)
    member_since = DateField(label=_("Socia de la organización desde"), required=False)


class VentureMemberForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Socia"), queryset=None)
    since = DateField(label=_("Trabaja en el emprendimiento desde"))

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people


class VentureMonthForm(forms.Form):
    """Sales and costs of a month, in soles."""

    month = forms.DateField(label=_("Mes (mm/aaaa)"), input_formats=["%Y-%m", "%m/%Y"],
                            error_messages={"invalid": _("Escriba el mes como mm/aaaa.")},
                            widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))
    sales = forms.DecimalField(label=_("Ventas del mes (S/)"), **MONEY)
    costs = forms.DecimalField(label=_("Costos del mes (S/)"), **MONEY)

    def values(self) -> dict:
        data = self.cleaned_data
        return {"month": data["month"], "sales": cents(data["sales"]), "costs": cents(data["costs"])}


class ProducerForm(forms.Form):
    name = forms.CharField(label=_("Nombre del productor o de la asociación"), max_length=160)
    kind = forms.ChoiceField(label=_("Tipo"), choices=Producer.Kind.choices)
    district = DistrictField(label=_("Distrito"))
    products = forms.ModelMultipleChoiceField(label=_("Productos"), queryset=FoodItem.objects.order_by("name"),
                                              widget=forms.CheckboxSelectMultiple)
    family_farm_registration = forms.CharField(
        label=_("Registro de agricultura familiar (si tiene)"), max_length=40, required=False,
        help_text=_("El número del REGAF o de la municipalidad; en blanco si no está registrado."))


class PurchaseForm(ConfirmableForm):
    """A purchase, from a producer in sight or from a seller who is not registered (the market)."""

    producer = forms.ModelChoiceField(label=_("Productor"), queryset=None, required=False,
                                      empty_label=_("— Vendedor no registrado —"))
    party = forms.CharField(label=_("Vendedor no registrado"), max_length=120, required=False,
                            help_text=_("Solo si no eligió un productor: a quién se compró (mercado, bodega…)."))
    item = forms.ModelChoiceField(label=_("Alimento"), queryset=FoodItem.objects.order_by("name"), empty_label=None)
    on = DateField(label=_("Fecha"))
    quantity = forms.DecimalField(label=_("Cantidad"), max_digits=12, decimal_places=3, min_value=Decimal("0.001"),
                                  widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}))
    unit_price = forms.DecimalField(label=_("Precio unitario (S/)"), max_digits=10, decimal_places=2,
                                    min_value=Decimal("0.01"),
                                    widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}))
    programme = forms.ChoiceField(label=_("Programa"), choices=Programme.choices, initial=Programme.KITCHEN)

    def __init__(self, *args, producers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["producer"].queryset = producers

    def clean(self):
        data = super().clean()
        if data.get("producer") is None and not (data.get("party") or "").strip():
            self.add_error("party", _("Elija un productor o escriba a quién se compró."))
        elif data.get("producer") is not None and (data.get("party") or "").strip():
            self.add_error("party", _("Eligió un productor: deje en blanco el vendedor no registrado."))
        return data


class PurchaseCorrectionForm(PurchaseForm):
    """A purchase typed wrongly, filled with what was saved: the seller, the day, the quantity and
    the price can change; the food and the programme stay (another food is another purchase)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["item"], self.fields["programme"]

    @classmethod
    def of(cls, purchase, data, producers):
        movement = purchase.movement
        initial = {"producer": purchase.producer_id, "on": purchase.on,
                   "party": movement.party if movement is not None and purchase.producer_id is None else "",
                   "quantity": movement.delta if movement is not None else None,
                   "unit_price": movement.unit_price if movement is not None else None}
        return cls(data, producers=producers, initial=initial)
