"""Open Badges 3.0 credentials in VC-JWT form, signed with Ed25519 (`alg: EdDSA`), and the
Bitstring Status List that publishes their revocation. Pure functions: no rows, no requests.

The JWT payload is the OpenBadgeCredential itself with the registered claims the Open Badges 3.0
VC-JWT proof format asks for beside it (`iss` = issuer id, `jti` = credential id, `nbf` =
validFrom, `sub` = subject id). Any JOSE library that speaks EdDSA verifies it with the issuer's
published JWKS; the tests do it with `jose` under Node.
"""

import base64
import gzip
import json
import secrets

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

CONTEXTS = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
TYP = "vc+jwt"
# The Bitstring Status List's minimum length (131,072 entries, 16 KB): a list that short would say
# which few credentials an issuer has; at this size a revoked one hides among the rest.
STATUS_LIST_BITS = 131_072
# Crockford's base32, without the letters read as digits; 16 characters = 80 bits, so that
# guessing a code at the throttled rate would take longer than the movement will exist.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """What she typed or the QR carried, as stored: upper case, no dashes or spaces, and the
    letters people mistake for digits read as those digits."""
    text = (text or "").upper().translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    return "".join(c for c in text if c in CODE_ALPHABET)[:CODE_LENGTH + 4]


def show_code(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def public_jwk(kid: str, public: bytes) -> dict:
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(public), "kid": kid, "alg": "EdDSA", "use": "sig"}


def sign(payload: dict, *, key: Ed25519PrivateKey, kid: str, typ: str = TYP) -> str:
    header = {"alg": "EdDSA", "typ": typ, "kid": kid}
    signing_input = ".".join(b64url(json.dumps(part, separators=(",", ":"), ensure_ascii=False).encode())
                             for part in (header, payload))
    return signing_input + "." + b64url(key.sign(signing_input.encode()))


class Unverifiable(Exception):
    """The token is not one we signed as it stands: forged, altered, or not a JWT at all."""


def read(token: str) -> tuple[dict, dict, bytes, bytes]:
    """Header, payload, signing input and signature of a compact JWS, unverified."""
    try:
        head, body, sig = token.strip().split(".")
        header, payload = json.loads(b64url_decode(head)), json.loads(b64url_decode(body))
        signature = b64url_decode(sig)
    except (ValueError, AttributeError, UnicodeDecodeError) as exc:
        raise Unverifiable("not a compact JWS") from exc
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise Unverifiable("not a JWT")
    return header, payload, f"{head}.{body}".encode(), signature


def verify(token: str, public: bytes) -> dict:
    """The payload, if `public` signed exactly this token with EdDSA; else Unverifiable."""
    header, payload, signing_input, signature = read(token)
    if header.get("alg") != "EdDSA":  # never "none", never a key confusion
        raise Unverifiable("algorithm")
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, signing_input)
    except (InvalidSignature, ValueError) as exc:
        raise Unverifiable("signature") from exc
    return payload


def identity(name: str, *, shown: bool, salt: str) -> dict:
    """Her name in the credential: plain when she agreed to show it, else only its salted hash,
    which proves the credential is hers to anyone she tells her name, and tells nobody else."""
    import hashlib

    if shown:
        return {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": name}
    digest = hashlib.sha256((name + salt).encode()).hexdigest()
    return {"type": "IdentityObject", "identityType": "name", "hashed": True, "identityHash": f"sha256${digest}",
            "salt": salt}


def open_badge(*, credential_id: str, issuer_id: str, issuer_name: str, valid_from: str, achievement_id: str,
               achievement_name: str, description: str, criteria: str, subject_id: str, holder: dict,
               status_list_url: str, status_index: int) -> dict:
    """The OpenBadgeCredential with its JWT claims."""
    credential = {
        "@context": CONTEXTS,
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": issuer_name},
        "validFrom": valid_from,
        "name": achievement_name,
        "credentialSubject": {
            "id": subject_id,
            "type": ["AchievementSubject"],
            "identifier": [holder],
            "achievement": {"id": achievement_id, "type": ["Achievement"], "name": achievement_name,
                            "description": description or achievement_name, "criteria": {"narrative": criteria}},
        },
        "credentialStatus": {
            "id": f"{status_list_url}#{status_index}", "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation", "statusListIndex": str(status_index),
            "statusListCredential": status_list_url,
        },
    }
    return credential


def jwt_claims(credential: dict, *, nbf: int) -> dict:
    return {**credential, "iss": credential["issuer"]["id"], "jti": credential["id"], "nbf": nbf,
            "sub": credential["credentialSubject"]["id"]}


def encode_status_list(revoked: set[int], size: int = STATUS_LIST_BITS) -> str:
    """The Bitstring Status List's `encodedList`: the bits GZIP-compressed, base64url, multibase
    prefix `u`. Bit 0 is the left-most bit of the first byte."""
    bits = bytearray(size // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)
    return "u" + b64url(gzip.compress(bytes(bits), mtime=0))


def status_bit(encoded: str, index: int) -> bool:
    bits = gzip.decompress(b64url_decode(encoded.removeprefix("u")))
    return bool(bits[index // 8] & (0x80 >> (index % 8)))
