"""The demo's assemblies: every mode, held and upcoming, and integrity holds on them."""

import pytest
from django.core.management import call_command
from django.utils import timezone

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


def test_the_demo_votes_by_text_owes_dues_and_elects_a_board():
    from ayni.capture.models import Inbound
    from ayni.governance import dues
    from ayni.governance.integrity import dues_violations, election_violations
    from ayni.governance.models import DuesExemption, DuesPayment, DuesRule, Election

    call_command("demo", verbosity=0)
    texts = Inbound.objects.filter(kind="message", payload__text__startswith="V ")
    assert texts.exists() and Vote.objects.filter(channel="sms").exists()
    assert DuesRule.objects.exists() and DuesExemption.objects.exists()
    assert DuesPayment.objects.filter(confirmed_at__isnull=True).exists()  # reported, waiting for the treasurer
    behind = [s for r in DuesRule.objects.all() for s in dues.standings(r.organisation, timezone.localdate()).values()
              if s.behind]
    assert behind
    assert set(Election.objects.values_list("status", flat=True)) >= {"registering"}
    assert Election.objects.exclude(status="registering").exists()
    assert dues_violations() == [] and election_violations() == [] and governance_violations() == []


def test_the_demo_has_a_libro_de_actas_numbered_hashed_and_printable():
    from ayni.governance import acta as actas
    from ayni.governance.models import Acta

    call_command("demo", verbosity=0)
    approved = Acta.objects.filter(status=Acta.Status.APPROVED).select_related("assembly")
    assert approved.count() >= 10
    assert {a.assembly.status for a in approved} >= {"closed", "no_quorum"}
    for organisation_id in set(approved.values_list("organisation_id", flat=True)):
        numbers = sorted(approved.filter(organisation_id=organisation_id).values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))  # correlative per organisation
    assert all(a.sha256 == actas.sha256_of(a.content) for a in approved)
    held = approved.filter(assembly__status="closed").first()
    content = actas.content_of(held)
    assert content["attendance"] and content["agenda"]
    assert actas.render_pdf(held, "http://testserver/").startswith(b"%PDF")
    assert governance_violations() == []
