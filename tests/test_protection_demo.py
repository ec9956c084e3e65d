"""The demo's protection: cases of both kinds at every status, referrals, land steps, a
break-glass access and a rotated master key — and integrity holds."""

import pytest
from django.core.management import call_command

from ayni.protection import keys
from ayni.protection.integrity import protection_violations
from ayni.protection.models import BreakGlass, Case, CaseKey, MasterKey, Referral, Step, Supervisor

pytestmark = pytest.mark.django_db


def test_the_demo_has_cases_of_both_kinds_at_every_status_under_a_rotated_key():
    call_command("demo", verbosity=0)
    seen = set(Case.objects.values_list("kind", "status"))
    assert seen == {(k, s) for k in Case.Kind.values for s in Case.Status.values}
    assert Referral.objects.exists() and Step.objects.exists() and BreakGlass.objects.exists()
    assert Supervisor.objects.exists()
    ring = keys.keyring()
    assert len(ring.keys) >= 2  # rotated: the new key first, the old one kept until retired
    assert set(CaseKey.objects.values_list("kid", flat=True)) == {ring.current_id}
    assert list(MasterKey.objects.values_list("kid", flat=True)) == [ring.current_id]
    assert protection_violations() == []
