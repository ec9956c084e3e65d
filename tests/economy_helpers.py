"""Pieces for economy tests: a savings group with socias, a meeting on a given day."""

import datetime

from django.utils import timezone

from ayni.accounts.scope import Scope
from ayni.economy import services
from ayni.people.services import register_person

SYSTEM = Scope.system("preparación de la prueba")


def days_ago(n):
    return timezone.localdate() - datetime.timedelta(days=n)


def savings_group(org, n=5, *, start_days_ago=300, phones=True, **rules):
    """A group of `org` with n socias (phones 94GGGNNNN), its first cycle open from `start_days_ago`.
    Nine digits whatever the group's id: PostgreSQL's sequences go past 999 in a whole run."""
    group = services.create_group(scope=SYSTEM, organisation=org, name="Banquito Las Emprendedoras",
                                  starts_on=days_ago(start_days_ago), ends_on=days_ago(start_days_ago - 360), **rules)
    members = []
    for i in range(1, n + 1):
        phone = f"94{group.pk % 1000:03}{i:04}" if phones else ""
        person = register_person(scope=SYSTEM, organisation=org, given_names=f"Ahorrista {i}",
                                 paternal_surname=f"Prueba{i:03}", phone=phone)
        members.append(services.add_member(scope=SYSTEM, group=group, person=person,
                                           joined_on=days_ago(start_days_ago)))
    return group, group.cycles.get(), members


def meeting(cycle, days_back):
    return services.hold_meeting(scope=SYSTEM, cycle=cycle, on=days_ago(days_back))


def econ_group(w):
    """A savings group of the Lima kitchen (for the access matrix)."""
    group, _cycle, _members = savings_group(w.kitchen, n=2)
    return {"pk": w.kitchen.pk, "group": group.pk}


def econ_entry(w):
    group, cycle, (ana, *_rest) = savings_group(w.kitchen, n=2)
    entry = services.buy_shares(scope=SYSTEM, meeting=meeting(cycle, 3), member=ana, shares=1)
    return {"pk": w.kitchen.pk, "group": group.pk, "entry": entry.pk}


def econ_garden(w):
    """A community garden of the Lima federation supplying the Lima kitchen (access matrix)."""
    from ayni.economy import gardens

    garden = gardens.create_garden(scope=SYSTEM, organisation=w.kitchen, name="Biohuerto Santa Rosa",
                                   kind="community", area_m2=200, crops="Lechuga, acelga",
                                   kitchens_supplied=[w.kitchen])
    return {"pk": w.kitchen.pk, "garden": garden.pk}


def econ_venture(w):
    """A venture that is a member of the Lima kitchen's organisation (access matrix)."""
    from ayni.economy import ventures

    venture = ventures.create_venture(scope=SYSTEM, organisation=w.kitchen, name="Panadería Las Emprendedoras",
                                      activity="food", products="Pan y tortas")
    return {"pk": w.kitchen.pk, "venture": venture.pk}


def econ_purchase(w):
    """A purchase of the Lima kitchen from a family farmer it registered (access matrix)."""
    from decimal import Decimal

    from ayni.economy import producers
    from ayni.geo.models import District
    from ayni.kitchens.models import FoodItem

    papa = FoodItem.objects.get(code="papa")
    farmer = producers.register_producer(scope=SYSTEM, organisation=w.kitchen, name="Rosa Quispe", kind="person",
                                         district=District.objects.get(code="150142"), products=[papa],
                                         family_farm_registration="REGAF-1")
    purchase = producers.record_purchase(scope=SYSTEM, buyer=w.kitchen, producer=farmer, item=papa,
                                         on=timezone.localdate(), quantity=Decimal(2), unit_price=Decimal("1.50"))
    return {"pk": w.kitchen.pk, "purchase": purchase.pk}
