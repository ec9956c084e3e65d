"""Verifying a certificate: from its code (the public page) or from the credential itself (what
anyone holding the JWT can check), and the published keys and status list.

What never changes is read once and kept: a key's public half, its organisation and its `kid`
(a row's key material is never rewritten). What changes — a key retired, a certificate revoked —
is read with the row the answer needs, in the same query, so a revocation shows on the next
request on every worker. The published key set and the signed status list are kept in the cache
under a fingerprint read in the issuer's one query (how many keys, which one signs, how many
revoked): a rotation or a revocation makes a new fingerprint, so nothing stale is ever served,
and the services that rotate and revoke also drop the old entries (`forget`).
"""

import datetime
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, IntegerField, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from ayni.leadership import credentials, keys
from ayni.leadership.models import Certificate, IssuerKey, VerificationMiss
from ayni.orgs.models import Organisation

VALID, REVOKED, UNKNOWN, INVALID, THROTTLED = "valid", "revoked", "unknown", "invalid", "throttled"
# Unknown codes asked from one address in the window before it must wait: a person mistyping
# needs a handful; 16 characters of 32 symbols make guessing hopeless even without the limit.
MISSES_ALLOWED = 20
MISS_WINDOW = datetime.timedelta(minutes=15)
# How long a published key set or status list stays in the cache when nothing changes (a new
# fingerprint replaces it at once when something does).
PUBLISHED_TTL = 3600


@dataclass
class Answer:
    state: str
    certificate: Certificate | None = None
    reason: str = ""


def _misses(address: str):
    return VerificationMiss.objects.filter(address=address[:64], at__gte=timezone.now() - MISS_WINDOW)


def throttled(address: str) -> bool:
    return _misses(address).count() >= MISSES_ALLOWED


def prune_misses() -> int:
    deleted, _ = VerificationMiss.objects.filter(at__lt=timezone.now() - MISS_WINDOW).delete()
    return deleted


# What the public page shows, and nothing else: the signed credential (2 KB) and the rest of her
# person row stay in the database.
PAGE_FIELDS = (
    "pk",
    "code",
    "show_name",
    "issued_at",
    "revoked_at",
    "revoked_reason",
    "enrolment__person__given_names",
    "enrolment__person__paternal_surname",
    "enrolment__person__maternal_surname",
    "enrolment__programme__name",
    "issuer__name",
)


def by_code(code: str, *, address: str = "") -> Answer:
    """valid / revoked / unknown for a code typed or read from the QR; `throttled` for an address
    that asked too many unknown codes lately (it is told nothing else, even for a real code).

    One query when the code exists: the certificate, read fresh (a revocation shows at once), with
    the address's recent misses counted beside it. An unknown code costs the count and the miss."""
    code = credentials.normalise_code(code)
    certificate = None
    if len(code) == credentials.CODE_LENGTH:
        query = (
            Certificate.objects.select_related("enrolment__person", "enrolment__programme", "issuer")
            .only(*PAGE_FIELDS)
            .filter(code=code)
        )
        if address:
            count = _misses(address).order_by().values("address").annotate(n=Count("pk")).values("n")
            query = query.annotate(misses=Coalesce(Subquery(count, output_field=IntegerField()), Value(0)))
        certificate = query.first()
    if certificate is None:
        if address:
            if throttled(address):
                return Answer(THROTTLED)
            VerificationMiss.objects.create(address=address[:64])
        return Answer(UNKNOWN)
    if address and certificate.misses >= MISSES_ALLOWED:
        return Answer(THROTTLED)
    if certificate.revoked_at:
        return Answer(REVOKED, certificate, certificate.revoked_reason)
    return Answer(VALID, certificate)


# --- Keys: the public half, kept once read ------------------------------------------------------


@dataclass(frozen=True)
class PublicKey:
    pk: int
    organisation_id: int
    public: bytes


_public_keys: dict[str, PublicKey] = {}


def public_key(kid: str) -> PublicKey | None:
    """The key named `kid`: read once per process. A row's kid, organisation and public half are
    never rewritten (a rotation adds a row), so what is kept cannot go stale; its retirement is
    read fresh where it matters."""
    hit = _public_keys.get(kid)
    if hit is None:
        row = IssuerKey.objects.filter(kid=kid).values_list("pk", "organisation_id", "public_key").first()
        if row is None:
            return None  # a key made later is found then: unknown kids are not kept
        if len(_public_keys) > 10_000:
            _public_keys.clear()
        hit = _public_keys[kid] = PublicKey(row[0], row[1], bytes(row[2]))
    return hit


def by_credential(token: str) -> Answer:
    """Our own verifier of a VC-JWT: the issuer's key named by `kid`, the EdDSA signature, a key
    not retired before the credential was signed, and the certificate's state now. The key's
    public half comes from memory; the certificate and the key's retirement from one query."""
    try:
        header, payload, _input, _sig = credentials.read(token)
    except credentials.Unverifiable:
        return Answer(INVALID, reason="no es un certificado")
    key = public_key(str(header.get("kid", ""))[:40])
    if key is None:
        return Answer(INVALID, reason="clave desconocida")
    try:
        payload = credentials.verify(token, key.public)
    except credentials.Unverifiable:
        return Answer(INVALID, reason="firma inválida")
    nbf = payload.get("nbf")
    if not isinstance(nbf, int):
        return Answer(INVALID, reason="sin fecha")
    status = payload.get("credentialStatus") or {}
    try:
        index = int(status.get("statusListIndex"))
    except (TypeError, ValueError):
        return Answer(INVALID, reason="sin estado")
    retired = IssuerKey.objects.filter(pk=key.pk).values("retired_at")
    certificate = (
        Certificate.objects.only("pk", "code", "credential", "revoked_at", "revoked_reason")
        .filter(issuer_id=key.organisation_id, status_index=index)
        .annotate(key_retired_at=Subquery(retired))
        .first()
    )
    retired_at = certificate.key_retired_at if certificate else retired.first()["retired_at"]
    if retired_at and nbf > retired_at.timestamp():
        return Answer(INVALID, reason="firmado con una clave retirada")
    if (
        certificate is None
        or certificate.credential != token.strip()
        and certificate.code not in str(payload.get("id", ""))
    ):
        return Answer(UNKNOWN)
    if certificate.revoked_at:
        return Answer(REVOKED, certificate, certificate.revoked_reason)
    return Answer(VALID, certificate)


# --- What is published: the key set and the status list -----------------------------------------


def issuer(pk) -> Organisation | None:
    """An organisation that signs, with its fingerprint: how many keys, the active one, how many
    certificates revoked and when the last was. One query."""
    active = IssuerKey.objects.filter(organisation=OuterRef("pk"), retired_at__isnull=True).values("kid")[:1]
    revoked = Certificate.objects.filter(issuer=OuterRef("pk"), revoked_at__isnull=False).order_by().values("issuer")
    # How many and the last: a database restored to before a revocation and then revoking another
    # certificate has the same count, never the same last moment.
    last = revoked.annotate(last=Max("revoked_at")).values("last")
    revoked = revoked.annotate(n=Count("pk")).values("n")
    try:
        return (
            Organisation.objects.filter(pk=pk, issuer_keys__isnull=False)
            .annotate(
                keys_n=Count("issuer_keys"),
                active_kid=Subquery(active),
                revoked_n=Coalesce(Subquery(revoked, output_field=IntegerField()), Value(0)),
                revoked_last=Subquery(last),
            )
            .only("pk", "name")
            .first()
        )
    except (ValueError, TypeError):
        return None


def _cache_key(kind: str, organisation: Organisation) -> str:
    return (
        f"leadership:{kind}:{organisation.pk}:{organisation.keys_n}:{organisation.active_kid}:{organisation.revoked_n}:"
        f"{organisation.revoked_last and organisation.revoked_last.timestamp()}"
    )


def jwks(organisation: Organisation) -> dict:
    """Every key the organisation has signed with: a retired one still verifies what it signed
    before it was retired."""
    if not hasattr(organisation, "keys_n"):
        return _jwks(organisation)
    key = _cache_key("jwks", organisation)
    hit = cache.get(key)
    if hit is None:
        hit = _jwks(organisation)
        cache.set(key, hit, PUBLISHED_TTL)
        cache.set(f"leadership:latest:jwks:{organisation.pk}", key, PUBLISHED_TTL)
    return hit


def _jwks(organisation: Organisation) -> dict:
    return {
        "keys": [
            keys.jwk(k)
            for k in IssuerKey.objects.filter(organisation=organisation)
            .order_by("created_at")
            .only("kid", "public_key")
        ]
    }


def status_list_credential(organisation: Organisation, list_url: str, issuer_url: str) -> dict:
    revoked = set(
        Certificate.objects.filter(issuer=organisation, revoked_at__isnull=False).values_list("status_index", flat=True)
    )
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_url,
        "validFrom": timezone.now().astimezone(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": credentials.encode_status_list(revoked),
        },
    }


def signed_status_list(organisation: Organisation, list_url: str, issuer_url: str, signing_key) -> str:
    """The status list credential as a VC-JWT signed with the active key; kept under the issuer's
    fingerprint, so it is signed again only after a revocation or a rotation."""
    key = _cache_key("status", organisation)
    token = cache.get(key)
    if token is None:
        body = status_list_credential(organisation, list_url, issuer_url)
        active = signing_key()
        token = credentials.sign(
            {**body, "iss": body["issuer"], "jti": list_url, "nbf": int(time.time())},
            key=keys.private_key(active),
            kid=active.kid,
        )
        cache.set(key, token, PUBLISHED_TTL)
        cache.set(f"leadership:latest:status:{organisation.pk}", key, PUBLISHED_TTL)
    return token


def forget(organisation_id: int) -> None:
    """Drop what was published for the organisation, once the rotation or revocation commits
    (the new fingerprint already keeps the next request from reading it; this frees it)."""

    def drop():
        for kind in ("jwks", "status"):
            latest = f"leadership:latest:{kind}:{organisation_id}"
            old = cache.get(latest)
            cache.delete_many([k for k in (old, latest) if k])

    transaction.on_commit(drop)
