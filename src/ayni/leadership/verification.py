"""Verifying a certificate: from its code (the public page) or from the credential itself (what
anyone holding the JWT can check), and the published keys and status list."""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from ayni.leadership import credentials, keys
from ayni.leadership.models import Certificate, IssuerKey, VerificationMiss
from ayni.orgs.models import Organisation

VALID, REVOKED, UNKNOWN, INVALID = "valid", "revoked", "unknown", "invalid"
# Unknown codes asked from one address in the window before it must wait: a person mistyping
# needs a handful; 16 characters of 32 symbols make guessing hopeless even without the limit.
MISSES_ALLOWED = 20
MISS_WINDOW = datetime.timedelta(minutes=15)


@dataclass
class Answer:
    state: str
    certificate: Certificate | None = None
    reason: str = ""


def throttled(address: str) -> bool:
    since = timezone.now() - MISS_WINDOW
    return VerificationMiss.objects.filter(address=address, at__gte=since).count() >= MISSES_ALLOWED


def prune_misses() -> int:
    deleted, _ = VerificationMiss.objects.filter(at__lt=timezone.now() - MISS_WINDOW).delete()
    return deleted


def by_code(code: str, *, address: str = "") -> Answer:
    """valid / revoked / unknown for a code typed or read from the QR."""
    code = credentials.normalise_code(code)
    certificate = (Certificate.objects.select_related("enrolment__person", "enrolment__programme", "issuer")
                   .filter(code=code).first() if len(code) == credentials.CODE_LENGTH else None)
    if certificate is None:
        if address:
            VerificationMiss.objects.create(address=address[:64])
        return Answer(UNKNOWN)
    if certificate.revoked_at:
        return Answer(REVOKED, certificate, certificate.revoked_reason)
    return Answer(VALID, certificate)


def by_credential(token: str) -> Answer:
    """Our own verifier of a VC-JWT: the issuer's key named by `kid`, the EdDSA signature, a key
    not retired before the credential was signed, and the issuer's status list."""
    try:
        header, payload, _input, _sig = credentials.read(token)
    except credentials.Unverifiable:
        return Answer(INVALID, reason="no es un certificado")
    key = IssuerKey.objects.only("public_key", "retired_at", "organisation_id").filter(
        kid=str(header.get("kid", ""))[:40]).first()
    if key is None:
        return Answer(INVALID, reason="clave desconocida")
    try:
        payload = credentials.verify(token, bytes(key.public_key))
    except credentials.Unverifiable:
        return Answer(INVALID, reason="firma inválida")
    nbf = payload.get("nbf")
    if not isinstance(nbf, int):
        return Answer(INVALID, reason="sin fecha")
    if key.retired_at and nbf > key.retired_at.timestamp():
        return Answer(INVALID, reason="firmado con una clave retirada")
    status = payload.get("credentialStatus") or {}
    try:
        index = int(status.get("statusListIndex"))
    except (TypeError, ValueError):
        return Answer(INVALID, reason="sin estado")
    certificate = (Certificate.objects.only("pk", "code", "credential", "revoked_at", "revoked_reason")
                   .filter(issuer_id=key.organisation_id, status_index=index).first())
    if certificate is None or certificate.credential != token.strip() and certificate.code not in str(
            payload.get("id", "")):
        return Answer(UNKNOWN)
    if certificate.revoked_at:
        return Answer(REVOKED, certificate, certificate.revoked_reason)
    return Answer(VALID, certificate)


def jwks(organisation: Organisation) -> dict:
    """Every key the organisation has signed with: a retired one still verifies what it signed
    before it was retired."""
    return {"keys": [keys.jwk(k) for k in IssuerKey.objects.filter(organisation=organisation).order_by("created_at")]}


def status_list_credential(organisation: Organisation, list_url: str, issuer_url: str) -> dict:
    revoked = set(Certificate.objects.filter(issuer=organisation, revoked_at__isnull=False)
                  .values_list("status_index", flat=True))
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_url,
        "validFrom": timezone.now().astimezone(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "credentialSubject": {"id": f"{list_url}#list", "type": "BitstringStatusList", "statusPurpose": "revocation",
                              "encodedList": credentials.encode_status_list(revoked)},
    }
