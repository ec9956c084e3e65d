"""The demo's advocacy: authorities and candidates, commitments in every stage (some overdue)
with their actas, food promises beside the deliveries, two rounds of score cards; integrity holds."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from ayni.advocacy.integrity import advocacy_violations
from ayni.advocacy.models import Authority, Commitment, Evidence, Rating, ScoreRound
from ayni.advocacy.selectors import delivery_figures
from ayni.files.integrity import file_violations

pytestmark = pytest.mark.django_db


def test_the_demo_has_commitments_in_every_stage_and_the_public_page_shows_them(client):
    call_command("demo", verbosity=0)
    assert set(Commitment.objects.values_list("stage", flat=True)) == set(Commitment.Stage.values)
    assert Commitment.objects.filter(overdue=True).exists()
    assert Authority.objects.filter(is_candidate=True).exists() and Authority.objects.filter(office="mayor").exists()
    assert Evidence.objects.filter(published=True).exists() and Evidence.objects.filter(published=False).exists()
    food = Commitment.objects.filter(kind="food").first()
    assert delivery_figures(food)["deliveries"] > 0
    assert ScoreRound.objects.count() >= 2 and Rating.objects.exists()
    assert advocacy_violations() == [] and file_violations() == []
    page = client.get(reverse("advocacy:public_country"))
    assert page.status_code == 200 and "vencido hace" in page.content.decode()
