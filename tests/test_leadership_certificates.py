"""Certificates anyone can verify: issued on completion as a signed Open Badges 3.0 credential
(VC-JWT, EdDSA) and a PDF with a QR and a code; verified by our code and by `jose` under Node;
revoked through the published status list; keys rotated."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ayni.leadership import credentials, integrity, keys, services, verification
from ayni.leadership.models import Certificate, IssuerKey
from tests.leadership_helpers import SYSTEM, attend_all, certified, jose_verify, needs_jose, school

pytestmark = pytest.mark.django_db


def _public(name, **kwargs):
    return reverse(name, kwargs=kwargs)


def _jwks(client, org_pk):
    return client.get(_public("verify:jwks", pk=org_pk)).json()


def test_a_woman_who_did_not_complete_gets_no_certificate(world):
    s = school(world)
    with pytest.raises(ValidationError, match="todavía no completó"):
        services.issue_certificate(scope=SYSTEM, enrolment=s["enrolments"][0])
    assert Certificate.objects.count() == 0


def test_the_credential_is_an_open_badge_signed_with_eddsa(world):
    c = certified(world)["certificate"]
    header, payload, _input, _sig = credentials.read(c.credential)
    assert header == {"alg": "EdDSA", "typ": "vc+jwt", "kid": c.key.kid}
    assert payload["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert payload["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert payload["credentialSubject"]["achievement"]["name"] == "Escuela de Lideresas 2026"
    assert payload["iss"] == payload["issuer"]["id"] and payload["jti"] == payload["id"]
    assert payload["credentialStatus"]["type"] == "BitstringStatusListEntry"
    # She did not agree to show her name: only its salted hash travels.
    holder = payload["credentialSubject"]["identifier"][0]
    assert holder["hashed"] is True and "María" not in c.credential
    assert len(c.code) == credentials.CODE_LENGTH  # 80 bits


def test_issuing_twice_gives_the_same_certificate(world):
    c = certified(world)
    assert services.issue_certificate(scope=SYSTEM, enrolment=c["enrolments"][0]).pk == c["certificate"].pk
    assert services.issue_certificates(scope=SYSTEM, programme=c["programme"]) == 0


@needs_jose
def test_the_independent_verifier_accepts_ours_and_refuses_forged_and_altered(world, client):
    c = certified(world)["certificate"]
    token = c.credential
    head, body, sig = token.split(".")
    claims = json.loads(credentials.b64url_decode(body))
    claims["credentialSubject"]["achievement"]["name"] = "Doctorado"
    altered = ".".join([head, credentials.b64url(json.dumps(claims).encode()), sig])
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    forged = credentials.sign(claims, key=Ed25519PrivateKey.generate(), kid=c.key.kid)  # a key that is not hers
    none_alg = ".".join([credentials.b64url(b'{"alg":"none","typ":"JWT"}'), body, ""])
    jwks = {"lima": _jwks(client, world.lima.pk)}
    out = jose_verify([{"token": t, "issuer": "lima"} for t in (token, altered, forged, none_alg)], jwks)
    assert out[0]["ok"] and out[0]["alg"] == "EdDSA" and out[0]["payload"]["id"] == claims["id"]
    assert [o["ok"] for o in out[1:]] == [False, False, False]
    assert out[1]["error"] == "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"
    # Our own verifier agrees on every one.
    assert [verification.by_credential(t).state for t in (token, altered, forged, none_alg)] == [
        "valid", "invalid", "invalid", "invalid"]


@needs_jose
def test_revocation_is_published_in_the_signed_status_list(world, client):
    c = certified(world)["certificate"]
    services.revoke_certificate(scope=SYSTEM, certificate=c, reason="Error en la asistencia")
    status_jwt = client.get(_public("verify:status_list", pk=world.lima.pk)).content.decode()
    out = jose_verify([{"token": status_jwt, "issuer": "lima"}], {"lima": _jwks(client, world.lima.pk)})
    assert out[0]["ok"]
    encoded = out[0]["payload"]["credentialSubject"]["encodedList"]
    assert credentials.status_bit(encoded, c.status_index) is True
    assert credentials.status_bit(encoded, (c.status_index + 1) % credentials.STATUS_LIST_BITS) is False
    assert verification.by_credential(c.credential).state == "revoked"
    with pytest.raises(ValidationError, match="ya estaba revocado"):
        services.revoke_certificate(scope=SYSTEM, certificate=c, reason="otra vez")


@needs_jose
def test_after_rotation_old_certificates_verify_and_the_retired_key_cannot_sign_new_ones(world, client):
    c = certified(world)["certificate"]
    old = c.key
    new = services.rotate_key(scope=SYSTEM, organisation=world.lima)
    assert IssuerKey.objects.get(pk=old.pk).retired_at is not None and new.kid != old.kid
    jwks = _jwks(client, world.lima.pk)
    assert {k["kid"] for k in jwks["keys"]} == {old.kid, new.kid}
    assert verification.by_credential(c.credential).state == "valid"
    # Someone who kept the retired key signs a credential after the rotation: refused.
    _h, claims, _i, _s = credentials.read(c.credential)
    claims["nbf"] = int(timezone.now().timestamp()) + 5
    late = credentials.sign(claims, key=keys.private_key(old), kid=old.kid)
    assert verification.by_credential(late).state == "invalid"
    assert verification.by_credential(late).reason == "firmado con una clave retirada"
    # New certificates are signed with the new key, and jose verifies them from the same JWKS.
    s2 = school(world, women=0)
    enrolment = services.invite(scope=SYSTEM, programme=s2["programme"], person=world.member, enrol=True)
    attend_all(s2, [enrolment])
    fresh = services.issue_certificate(scope=SYSTEM, enrolment=enrolment)
    assert fresh.key_id == new.pk
    out = jose_verify([{"token": t, "issuer": "l"} for t in (c.credential, fresh.credential)], {"l": jwks})
    assert [o["ok"] for o in out] == [True, True] and out[1]["kid"] == new.kid


def test_the_public_page_answers_valid_revoked_and_unknown_without_login(world):
    c = certified(world)["certificate"]
    client = Client()
    page = client.get(_public("verify:code", code=c.code))
    body = page.content.decode()
    assert page.status_code == 200 and "Certificado válido" in body and "Escuela de Lideresas 2026" in body
    assert "María Elena" not in body  # she did not agree to show her name
    services.set_certificate_visibility(scope=SYSTEM, certificate=c, show_name=True)
    assert "María Elena" in client.get(_public("verify:code", code=c.code)).content.decode()
    # Typed by hand, with dashes, lower case and an O for a zero, it is found the same.
    typed = credentials.show_code(c.code).lower().replace("0", "o")
    found = client.get(_public("verify:lookup") + f"?codigo={typed}", follow=True)
    assert "Certificado válido" in found.content.decode()
    services.revoke_certificate(scope=SYSTEM, certificate=c, reason="Duplicado")
    assert "Certificado revocado" in client.get(_public("verify:code", code=c.code)).content.decode()
    unknown = client.get(_public("verify:code", code="ABCDEFGHJKMNPQRS"))
    assert unknown.status_code == 404 and "Código desconocido" in unknown.content.decode()


def test_guessing_codes_is_throttled(world):
    certified(world)
    client = Client()
    for n in range(verification.MISSES_ALLOWED):
        assert client.get(_public("verify:code", code=f"ZZZZZZZZZZZZ{n:04d}")).status_code == 404
    assert client.get(_public("verify:code", code="ZZZZZZZZZZZZ9999")).status_code == 429


def test_the_pdf_carries_the_qr_and_the_code(world, login):
    c = certified(world)["certificate"]
    from ayni.leadership.views import certificate_html

    url = services.public_url("verify:code", code=c.code)
    html = certificate_html(c, url)
    assert "<svg" in html and credentials.show_code(c.code) in html and url in html
    response = login(world.coordinator).get(reverse("leadership:certificate_pdf", kwargs={"pk": c.pk}))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_integrity_names_a_credential_that_does_not_verify(world):
    c = certified(world)["certificate"]
    assert integrity.check_credentials() == []
    head, body, sig = c.credential.split(".")
    Certificate.objects.filter(pk=c.pk).update(credential=".".join([head, body, sig[:-4] + "AAAA"]))
    problems = integrity.check_credentials()
    assert len(problems) == 1 and c.code in problems[0]


def test_the_private_key_is_kept_encrypted(world):
    c = certified(world)["certificate"]
    raw = bytes(IssuerKey.objects.get(pk=c.key_id).private_key)
    private = keys.private_key(c.key)
    assert private.public_key().public_bytes(**keys.RAW) == bytes(c.key.public_key)
    plain = private.private_bytes(keys.serialization.Encoding.Raw, keys.serialization.PrivateFormat.Raw,
                                  keys.serialization.NoEncryption())
    assert plain not in raw and len(raw) == keys.NONCE + 32 + 16  # AES-256-GCM: nonce, key, tag


def test_status_list_bits_round_trip():
    encoded = credentials.encode_status_list({0, 7, 8, 131071})
    assert [credentials.status_bit(encoded, i) for i in (0, 1, 7, 8, 9, 131071)] == [True, False, True, True,
                                                                                       False, True]
    assert encoded.startswith("u")


def test_old_misses_are_pruned_by_the_daily_job(world):
    from django.core.management import call_command

    from ayni.leadership.models import VerificationMiss

    VerificationMiss.objects.create(address="1.2.3.4", at=timezone.now() - verification.MISS_WINDOW * 2)
    VerificationMiss.objects.create(address="1.2.3.4")
    call_command("runperiodic", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert VerificationMiss.objects.count() == 1


@needs_jose
def test_certificates_issued_in_bulk_verify_like_those_issued_one_by_one(world, client, monkeypatch):
    s = school(world, women=5, sessions_future=0)
    attend_all(s)
    monkeypatch.setattr(services, "ISSUE_CHUNK", 2)  # three chunks
    assert services.issue_certificates(scope=SYSTEM, programme=s["programme"]) == 5
    certificates = list(Certificate.objects.all())
    assert len({c.code for c in certificates}) == 5 and len({c.status_index for c in certificates}) == 5
    assert {verification.by_credential(c.credential).state for c in certificates} == {"valid"}
    out = jose_verify([{"token": c.credential, "issuer": "l"} for c in certificates],
                      {"l": _jwks(client, world.lima.pk)})
    assert all(o["ok"] for o in out)
    from ayni.audit.models import AuditEntry

    assert AuditEntry.objects.filter(action="leadership.certificate").count() == 5
    assert services.issue_certificates(scope=SYSTEM, programme=s["programme"]) == 0


def test_the_issue_button_signs_through_the_task_as_the_coordinator(world, login):
    s = school(world, women=2, sessions_future=0)
    attend_all(s)
    client = login(world.coordinator)
    response = client.post(reverse("leadership:issue", kwargs={"programme": s["programme"].pk}), follow=True)
    assert "Se están firmando 2 certificados" in response.content.decode()
    assert Certificate.objects.count() == 2  # the test settings run tasks at once
    from ayni.audit.models import AuditEntry

    assert set(AuditEntry.objects.filter(action="leadership.certificate").values_list("actor", flat=True)) == {
        world.coordinator.pk}
    again = client.post(reverse("leadership:issue", kwargs={"programme": s["programme"].pk}), follow=True)
    assert "Nadie más completó" in again.content.decode()
