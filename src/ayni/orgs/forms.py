from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from ayni.geo.forms import AreaField, DistrictField, bounds
from ayni.lib.forms import DateField
from ayni.orgs.models import Organisation, OrgKind, RequirementItem


class OrganisationForm(forms.Form):
    """Register or edit an organisation. `kind` is offered only when creating, and only the
    kinds the parent may contain."""

    kind = forms.ModelChoiceField(OrgKind.objects.none(), label=_("Tipo"), empty_label=None)
    name = forms.CharField(label=_("Nombre"), max_length=160)
    district = DistrictField(label=_("Distrito"), required=False)
    address = forms.CharField(label=_("Dirección"), max_length=200, required=False)
    founded_on = DateField(label=_("Fecha de fundación"), required=False)
    latitude = forms.DecimalField(label=_("Latitud"), required=False, max_digits=9, decimal_places=6,
                                  min_value=-19, max_value=1)
    longitude = forms.DecimalField(label=_("Longitud"), required=False, max_digits=9, decimal_places=6,
                                   min_value=-82, max_value=-68)
    ruos_number = forms.CharField(label=_("N° de registro RUOS"), max_length=40, required=False)
    municipal_resolution = forms.CharField(label=_("Resolución municipal"), max_length=80, required=False)
    sunarp_entry = forms.CharField(label=_("Partida registral SUNARP"), max_length=40, required=False)

    def __init__(self, *args, parent: Organisation | None = None, instance: Organisation | None = None,
                 country: str | None = None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {f: getattr(instance, f) for f in self.base_fields if f != "kind"}
            kwargs["initial"]["area"] = instance.area
        super().__init__(*args, **kwargs)
        # The country whose places are offered: the organisation's own, or the one chosen for a
        # new federation of a regional network, or else its parent's.
        self.country = instance.country if instance is not None else (country or getattr(parent, "country", "PE"))
        if instance is not None:
            del self.fields["kind"]
        else:
            self.fields["kind"].queryset = parent.kind.may_contain.all() if parent else OrgKind.objects.none()
            if parent and parent.district_id and not self.is_bound and self.country == "PE":
                self.initial.setdefault("district", parent.district_id)
        if self.country != "PE":
            self._use_country_places(parent if instance is None else None)
            return
        department = (instance or parent).district.department_id if (instance or parent) and \
            (instance or parent).district_id else None
        self.fields["district"].near_department = department

    def _use_country_places(self, parent: Organisation | None) -> None:
        """Another country's organisation: its pack's places instead of Peru's districts, its
        coordinates around them, and no Peruvian registries (RUOS, SUNARP)."""
        for name in ("district", "ruos_number", "sunarp_entry"):
            del self.fields[name]
        area = AreaField(self.country, required=False)
        self.fields["area"] = area
        self.order_fields(["kind", "name", "area"])
        if parent is not None and parent.area_id and parent.country == self.country and not self.is_bound:
            self.initial.setdefault("area", parent.area)  # most organisations are where their federation is
        box = bounds(self.country)
        if box is not None:
            south, north, west, east = (Decimal(f"{v:.6f}") for v in box)
            self.fields["latitude"] = forms.DecimalField(label=_("Latitud"), required=False, max_digits=9,
                                                         decimal_places=6, min_value=south, max_value=north)
            self.fields["longitude"] = forms.DecimalField(label=_("Longitud"), required=False, max_digits=9,
                                                          decimal_places=6, min_value=west, max_value=east)

    def clean(self):
        data = super().clean()
        if "kind" in self.fields:  # a new organisation: of the country whose places it was offered
            data["country"] = self.country
        return data

    def clean_founded_on(self):
        from ayni.lib.forms import not_future

        value = self.cleaned_data.get("founded_on")
        not_future(value, _("La fecha de fundación no puede ser futura."))
        return value


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Estado"), choices=Organisation.Status.choices)
    on = DateField(label=_("Desde"), required=False)
    reason = forms.CharField(label=_("Motivo"), max_length=200, required=False)


class MoveForm(forms.Form):
    new_parent = forms.ModelChoiceField(Organisation.objects.none(), label=_("Nueva organización superior"))

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_parent"].queryset = choices


class RequirementForm(forms.Form):
    """One row per checklist item: verified or not, the date, a note."""

    def __init__(self, *args, checks: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(RequirementItem.objects.all())
        for item in self.items:
            check = checks.get(item.code)
            self.fields[f"{item.code}__ok"] = forms.BooleanField(label=item.name, required=False,
                                                                 initial=bool(check))
            self.fields[f"{item.code}__on"] = DateField(label=_("Verificado el"), required=False,
                                                        initial=check.verified_on if check else None)
            self.fields[f"{item.code}__note"] = forms.CharField(label=_("Observación"), required=False,
                                                                max_length=200, initial=check.note if check else "")

    def rows(self):
        for item in self.items:
            yield item, self[f"{item.code}__ok"], self[f"{item.code}__on"], self[f"{item.code}__note"]

    def clean(self):
        data = super().clean()
        for item in self.items:
            if data.get(f"{item.code}__ok") and not data.get(f"{item.code}__on"):
                self.add_error(f"{item.code}__on", _("Indique la fecha en que se verificó «%(item)s».")
                               % {"item": item.name})
        return data


class TreeFilterForm(forms.Form):
    q = forms.CharField(label=_("Buscar"), required=False, max_length=80)
    kind = forms.ModelChoiceField(OrgKind.objects.all(), label=_("Tipo"), required=False,
                                  empty_label=_("Todos los tipos"), to_field_name="code")
    status = forms.ChoiceField(label=_("Estado"), required=False,
                               choices=[("", _("Todos los estados")), *Organisation.Status.choices])
