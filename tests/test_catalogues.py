import pytest
from django.core.management import call_command

from ayni.economy.producers import target_for
from ayni.governance.models import StatuteRule
from ayni.kitchens.models import FoodItem
from ayni.orgs.models import OrgKind
from ayni.people.models import PositionKind
from ayni.rolls.models import Category


@pytest.mark.django_db(transaction=True)
def test_a_flush_does_not_leave_the_catalogues_empty():
    kinds = OrgKind.objects.count()
    call_command("flush", "--no-input")
    assert OrgKind.objects.count() == kinds
    assert OrgKind.objects.get(code="federacion-distrital").may_contain.filter(code="comedor-popular").exists()
    assert PositionKind.objects.exists() and Category.objects.exists() and FoodItem.objects.exists()
    # the family-farm targets of Ley 31071 and each kind's default statute rules are data too
    assert target_for(2024) == 30
    assert StatuteRule.objects.get(kind__code="comedor-popular", organisation=None).notice_days == 7


@pytest.mark.django_db
def test_an_edited_catalogue_is_not_overwritten_by_migrate():
    OrgKind.objects.filter(code="olla-comun").update(name="Olla común autogestionaria")
    call_command("migrate", "--no-input", verbosity=0)
    assert OrgKind.objects.get(code="olla-comun").name == "Olla común autogestionaria"
