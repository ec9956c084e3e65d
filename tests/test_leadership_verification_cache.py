"""The public verification page is cheap and never stale: a fixed number of queries whatever the
number of certificates, what never changes (a key's public half) read once, the published key set
and status list kept until a rotation or a revocation — which shows at once."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from ayni.leadership import credentials, services, verification
from tests.leadership_helpers import SYSTEM, certified, jose_verify, needs_jose

pytestmark = pytest.mark.django_db


def _page(client, code):
    return client.get(reverse("verify:code", kwargs={"code": code}), REMOTE_ADDR="10.9.8.7")


def test_the_verification_page_asks_the_database_once(world, django_assert_num_queries):
    c = certified(world)["certificate"]
    client = Client()
    _page(client, c.code)
    with django_assert_num_queries(1):  # the certificate, with the address's recent misses beside it
        assert "Certificado válido" in _page(client, c.code).content.decode()
    # An unknown code: the certificate looked for, the misses counted, the miss kept.
    with django_assert_num_queries(3):
        assert _page(client, "ABCDEFGHJKMNPQRS").status_code == 404


def test_a_revocation_shows_on_the_next_request(world):
    c = certified(world)["certificate"]
    client = Client()
    assert "Certificado válido" in _page(client, c.code).content.decode()
    assert verification.by_credential(c.credential).state == "valid"
    services.revoke_certificate(scope=SYSTEM, certificate=c, reason="Duplicado")
    assert "Certificado revocado" in _page(client, c.code).content.decode()
    assert verification.by_credential(c.credential).state == "revoked"


def test_a_throttled_address_learns_nothing_even_of_a_real_code(world):
    c = certified(world)["certificate"]
    client = Client()
    for n in range(verification.MISSES_ALLOWED):
        assert _page(client, f"ZZZZZZZZZZZZ{n:04d}").status_code == 404
    assert _page(client, c.code).status_code == 429
    assert Client().get(reverse("verify:code", kwargs={"code": c.code}), REMOTE_ADDR="10.1.1.1").status_code == 200


def test_our_verifier_reads_the_key_once_and_the_certificate_every_time(world, django_assert_num_queries):
    c = certified(world)["certificate"]
    verification.by_credential(c.credential)
    with django_assert_num_queries(1):
        assert verification.by_credential(c.credential).state == "valid"


@needs_jose
def test_the_status_list_is_signed_once_and_again_after_a_revocation(world, client, django_assert_num_queries):
    c = certified(world)["certificate"]
    url = reverse("verify:status_list", kwargs={"pk": world.lima.pk})
    first = client.get(url).content.decode()
    with django_assert_num_queries(1):  # the issuer and its fingerprint; the signed list from the cache
        assert client.get(url).content.decode() == first
    services.revoke_certificate(scope=SYSTEM, certificate=c, reason="Error")
    after = client.get(url).content.decode()
    assert after != first
    jwks = client.get(reverse("verify:jwks", kwargs={"pk": world.lima.pk})).json()
    out = jose_verify([{"token": after, "issuer": "l"}], {"l": jwks})
    assert out[0]["ok"] and credentials.status_bit(
        out[0]["payload"]["credentialSubject"]["encodedList"], c.status_index
    )


def test_the_key_set_follows_a_rotation_at_once(world, client):
    certified(world)
    url = reverse("verify:jwks", kwargs={"pk": world.lima.pk})
    assert len(client.get(url).json()["keys"]) == 1
    new = services.rotate_key(scope=SYSTEM, organisation=world.lima)
    kids = [k["kid"] for k in client.get(url).json()["keys"]]
    assert len(kids) == 2 and new.kid in kids
    cache.clear()
