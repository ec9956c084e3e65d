"""The demo's economy: groups over two cycles with share-outs and loans in arrears, gardens whose
harvests are in the stock, purchases above and below the target,
ventures with the women who earn from them — and integrity holds on it."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from ayni.accounts.scope import Scope
from ayni.economy import producers, services, ventures
from ayni.economy.integrity import economy_violations
from ayni.economy.models import Cycle, Harvest, SavingsGroup, ShareOut

pytestmark = pytest.mark.django_db


def test_the_demo_economy_is_whole_and_conserved():
    call_command("demo", verbosity=0)
    groups = SavingsGroup.objects.count()
    assert groups == 100
    assert ShareOut.objects.count() == groups and Cycle.objects.filter(status="open").count() == groups
    today = timezone.localdate()
    late = [s for c in Cycle.objects.filter(status="open")[:40] for s in services.loan_states(c, today) if s.arrears]
    assert late, "some loans are in arrears"
    assert Harvest.objects.count() >= 10
    shares = producers.family_farm_shares(Scope.system("prueba"), today.year)
    assert any(s.meets for s in shares) and sum(not s.meets for s in shares) > sum(s.meets for s in shares)
    figures = ventures.rollup(Scope.system("prueba"))
    assert figures["ventures"] >= 20 and figures["women"] >= 60 and figures["sales"] > 0
    assert economy_violations() == []
