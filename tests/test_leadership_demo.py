"""The demo's schools: attendance by every channel, certificates (one revoked) that verify,
trajectories with representation won, boards near the end of their terms."""

import pytest
from django.core.management import call_command

from ayni.accounts.scope import Scope
from ayni.capture.models import Inbound
from ayni.leadership import integrity, selectors, verification
from ayni.leadership.models import Attendance, Certificate, EquityCell, PaperList, Programme, Representation

pytestmark = pytest.mark.django_db


def test_the_demo_has_schools_with_every_channel_and_certificates_that_verify():
    call_command("demo", verbosity=0)
    assert Programme.objects.count() == 2
    assert set(Attendance.objects.values_list("how", flat=True)) >= {"list", "card", "number", "paper"}
    assert Inbound.objects.filter(kind=Inbound.Kind.ATTENDANCE, status=Inbound.Status.ACCEPTED).exists()
    assert PaperList.objects.exists()
    certificates = Certificate.objects.all()
    assert certificates.count() >= 5
    assert certificates.filter(revoked_at__isnull=False).count() == 1
    states = {verification.by_credential(c.credential).state for c in certificates}
    assert states == {"valid", "revoked"}
    assert Representation.objects.filter(kind="councillor").exists()
    rows = selectors.succession(Scope.system("prueba"))
    assert rows  # boards whose terms end within six months
    assert integrity.check_completion() == [] and integrity.check_credentials() == []
    # The equity roll-up, built by the demo after its bulk loads, equals a count of the memberships.
    assert EquityCell.objects.filter(built_on__isnull=False).count() >= 2
    assert integrity.check_equity() == []
