"""The demo's memory: leaders lost recorded with consent, a dozen experiences in every state,
and the integrity checks hold on them."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from ayni.memory.integrity import experience_violations, memorial_violations
from ayni.memory.models import Experience, MemorialRecord, MemorialVersion

pytestmark = pytest.mark.django_db


def test_the_demo_has_memorial_records_with_consent_and_a_dozen_experiences(client):
    call_command("demo", verbosity=0)
    records = MemorialRecord.objects.all()
    assert records.count() >= 6 and not records.filter(consent_name="").exists()
    assert records.filter(public=True, withdrawn=False).exists() and records.filter(withdrawn=True).exists()
    assert MemorialVersion.objects.exists()  # a correction kept its history
    states = {(e.status, e.audience) for e in Experience.objects.all()}
    assert Experience.objects.count() == 12
    assert states >= {("published", "public"), ("published", "network"), ("review", ""), ("returned", ""),
                      ("draft", "")}
    assert memorial_violations() == [] and experience_violations() == []
    page = client.get(reverse("memory:oai"), {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"})
    assert page.content.decode().count("<identifier>") == 5
    public = records.filter(public=True, withdrawn=False).first()
    assert client.get(reverse("memory:memorial_public", kwargs={"record": public.pk})).status_code == 200
