"""The issuing organisations' Ed25519 keys. The private half is kept encrypted with a key derived
from SECRET_KEY, so that a copy of the database alone cannot sign a certificate."""

import hashlib
import json

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from ayni.leadership import credentials
from ayni.leadership.models import IssuerKey
from ayni.orgs.models import Organisation

RAW = {"encoding": serialization.Encoding.Raw, "format": serialization.PublicFormat.Raw}


def _box() -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"ayni-issuer-keys",
                   info=b"leadership").derive(settings.SECRET_KEY.encode())
    return Fernet(credentials.b64url(derived) + "=")


def thumbprint(public: bytes) -> str:
    """RFC 7638 thumbprint of the public key: its `kid`, the same wherever it is computed."""
    members = {"crv": "Ed25519", "kty": "OKP", "x": credentials.b64url(public)}
    return credentials.b64url(hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True)
                                             .encode()).digest())[:32]


def make_key(organisation: Organisation) -> IssuerKey:
    """A new key for the organisation (unsaved)."""
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(**RAW)
    sealed = _box().encrypt(private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                                  serialization.NoEncryption()))
    return IssuerKey(organisation=organisation, kid=thumbprint(public), public_key=public, private_key=sealed)


def private_key(key: IssuerKey) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_box().decrypt(bytes(key.private_key)))


def jwk(key: IssuerKey) -> dict:
    return credentials.public_jwk(key.kid, bytes(key.public_key))
