"""The demo's assemblies: every mode, held and upcoming, and integrity holds on them."""

import pytest
from django.core.management import call_command

from ayni.governance.integrity import governance_violations
from ayni.governance.models import Agreement, Assembly, Motion, Vote

pytestmark = pytest.mark.django_db


def test_the_demo_has_assemblies_of_every_kind_and_they_count_true():
    call_command("demo", verbosity=0)
    modes = set(Assembly.objects.values_list("mode", flat=True))
    assert modes >= {"in_person", "async", "hybrid"}
    statuses = set(Assembly.objects.values_list("status", flat=True))
    assert statuses >= {"closed", "no_quorum", "convened"}
    assert Assembly.objects.filter(by_delegates=True, electors__isnull=False).exists()
    assert Motion.objects.filter(outcome="adopted").exists() and Motion.objects.filter(ballot="secret").exists()
    assert Vote.objects.filter(is_current=False).exists()  # some changed their vote
    assert Agreement.objects.filter(status="pending").exists()
    assert governance_violations() == []
