"""Gardens (*biohuertos*) and their harvests. A harvest is written once, as a movement of the
kitchen's stock ledger of the existing kind HARVEST, through `kitchens.services.record_movement`
— the one write path of the stock — so the balance, the days of food left and the food alerts
count it like any food that came in."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can, Scope
from ayni.audit.services import record, snapshot
from ayni.economy.models import Garden, Harvest
from ayni.kitchens import services as kitchens
from ayni.kitchens.models import FoodItem, MovementKind
from ayni.orgs.models import Organisation


@transaction.atomic
def create_garden(*, scope: Scope, organisation: Organisation, name: str, kind: str, area_m2: int | None = None,
                  crops: str = "", kitchens_supplied=()) -> Garden:
    scope.require(Can.EDIT, organisation)
    garden = Garden(organisation=organisation, name=name.strip(), kind=kind, area_m2=area_m2, crops=crops.strip())
    garden.full_clean(exclude=["organisation"])
    garden.save()
    supplied = list(kitchens_supplied)
    for kitchen in supplied:
        if not kitchen.kind.is_kitchen:
            raise ValidationError({"kitchens": _("%(name)s no es una cocina.") % {"name": kitchen.name}})
        scope.require(Can.VIEW, kitchen)
    garden.kitchens.set(supplied)
    record(scope=scope, action="garden.create", obj=garden, org_path=organisation.path, after=snapshot(garden))
    return garden


@transaction.atomic
def record_harvest(*, scope: Scope, garden: Garden, kitchen: Organisation, item: FoodItem, date: datetime.date,
                   quantity: Decimal, note: str = "") -> Harvest:
    """A harvest handed to one of the kitchens the garden supplies: into its stock."""
    scope.require(Can.EDIT, garden.organisation)
    if not garden.kitchens.filter(pk=kitchen.pk).exists():
        raise ValidationError({"kitchen": _("El biohuerto «%(g)s» no abastece a %(k)s; agréguela primero.")
                               % {"g": garden.name, "k": kitchen.name}})
    movement = kitchens.record_movement(scope=scope, kitchen=kitchen, item=item, date=date,
                                        kind=MovementKind.HARVEST, quantity=quantity, party=garden.name,
                                        note=note or _("Cosecha del biohuerto"), confirm=True)
    harvest = Harvest.objects.create(garden=garden, movement=movement)
    record(scope=scope, action="garden.harvest", obj=harvest, org_path=garden.organisation.path,
           after=snapshot(harvest))
    return harvest


def gardens_of(scope: Scope, organisation: Organisation) -> QuerySet[Garden]:
    return (Garden.objects.filter(scope.q(Can.VIEW, prefix="organisation__"), organisation=organisation)
            .prefetch_related("kitchens"))


def get_garden(scope: Scope, organisation: Organisation, pk) -> Garden:
    try:
        return gardens_of(scope, organisation).get(pk=pk)
    except (Garden.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def harvest_totals(garden: Garden) -> list[dict]:
    """What the garden has given, per item (the quantities are read from the stock movements)."""
    return list(Harvest.objects.filter(garden=garden).values("movement__item__name", "movement__item__unit")
                .annotate(total=Sum("movement__delta")).order_by("movement__item__name"))


def harvest_violations() -> list[str]:
    """Every harvest row points at a garden-harvest movement, and every garden-harvest movement
    recorded for a garden's name with a harvest row is one."""
    bad = Harvest.objects.exclude(movement__kind=MovementKind.HARVEST).values_list("pk", flat=True)[:100]
    return [_("Cosecha %(pk)s: su movimiento de almacén no es de tipo cosecha.") % {"pk": pk} for pk in bad]
