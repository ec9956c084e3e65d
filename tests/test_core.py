import pytest
from django.core.management import call_command
from django.urls import reverse

from ayni.accounts.models import LoginFailure

pytestmark = pytest.mark.django_db


def test_healthz_answers_with_the_database(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_pages_forbid_inline_script_and_framing(client, world):
    client.force_login(world.coordinator)
    response = client.get(reverse("orgs:detail", kwargs={"pk": world.kitchen.pk}))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert "<script" not in response.content.decode()


def test_spanish_is_the_default_and_english_is_available(client, world):
    client.force_login(world.coordinator)
    url = reverse("orgs:detail", kwargs={"pk": world.lima.pk})
    assert "Organizaciones que la integran" in client.get(url).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(url).content.decode()
    assert "Organizaciones que la integran" not in page and "Member organisations" in page


def test_the_periodic_job_prunes_old_login_failures(world):
    from django.utils import timezone

    LoginFailure.objects.create(identifier="rosa", at=timezone.now() - timezone.timedelta(days=2))
    LoginFailure.objects.create(identifier="rosa")
    call_command("runperiodic")
    assert LoginFailure.objects.count() == 1


def test_an_english_phone_still_gets_spanish_until_she_chooses(client, world):
    client.force_login(world.leader)
    page = client.get(reverse("core:home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Hola" in page and 'lang="es' in page
