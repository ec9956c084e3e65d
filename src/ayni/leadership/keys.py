"""The issuing organisations' Ed25519 keys. The private half is kept in the database wrapped
(AES-256-GCM, the key's `kid` as associated data) under a key-encryption key that lives outside
it, as protection's master key does: a key file (`AYNI_LEADERSHIP_KEY_FILE`, one base64 key a
line, the current one first and older ones after it while a rotation runs) or the variable
`AYNI_LEADERSHIP_KEYS` (the same, comma-separated). So a copy of the database alone cannot sign
a certificate, and changing SECRET_KEY changes nothing here.

With nothing configured, the first key made writes a key file in the var directory (as the demo
does for protection), so a fresh install, the demo and the tests work as they are. Keys made
before this were wrapped under a key derived from SECRET_KEY (`wrapped_by` empty); they still
open while that SECRET_KEY stands, and `ayni leadership-keys` wraps them again under the
key-encryption key. `ayni check-integrity` says when an active key cannot be unwrapped.
"""

import hashlib
import json
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from ayni.leadership import credentials
from ayni.leadership.models import IssuerKey
from ayni.lib import keyfile
from ayni.orgs.models import Organisation

RAW = {"encoding": serialization.Encoding.Raw, "format": serialization.PublicFormat.Raw}
ENV = "AYNI_LEADERSHIP_KEYS"
NONCE = 12
LEGACY = ""  # `wrapped_by` of a key wrapped under SECRET_KEY, before the key-encryption key


class Locked(Exception):
    """A signing key cannot be opened: no key-encryption key, a wrong one, or a missing one."""


def kek_id(kek: bytes) -> str:
    """A short name of a key-encryption key, stored beside what it wrapped; not enough to find it."""
    return hashlib.sha256(b"ayni-leadership-kek:" + kek).hexdigest()[:16]


def keyring() -> tuple[bytes, ...]:
    """The configured key-encryption keys, the current one first (empty when none is)."""
    try:
        return keyfile.read_keys(env=ENV, path=Path(settings.LEADERSHIP_KEY_FILE))
    except ValueError as exc:
        raise Locked(f"{ENV} / AYNI_LEADERSHIP_KEY_FILE: {exc}") from exc


def configured() -> bool:
    try:
        return bool(keyring())
    except Locked:
        return False


def ensure_keyring() -> bool:
    """A key file with a new key-encryption key when nothing is configured; True if it made one.
    Made beside and linked into place, so two processes starting at once agree on one key."""
    if os.environ.get(ENV, "").strip() or keyring():
        return False
    path = Path(settings.LEADERSHIP_KEY_FILE)
    if path.exists():
        raise Locked(f"{path} holds no key")  # never overwrite a file someone left empty
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    keyfile.write_keyfile(tmp, [secrets.token_bytes(keyfile.KEY_BYTES)])
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)
    return True


def _current() -> bytes:
    ring = keyring()
    if not ring:
        ensure_keyring()
        ring = keyring()
    if not ring:
        raise Locked("no key-encryption key is configured")
    return ring[0]


def _by_id(kid: str) -> bytes:
    for kek in keyring():
        if kek_id(kek) == kid:
            return kek
    raise Locked(f"key-encryption key {kid} is not configured")


def _legacy_box() -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"ayni-issuer-keys", info=b"leadership").derive(
        settings.SECRET_KEY.encode()
    )
    return Fernet(credentials.b64url(derived) + "=")


def _aad(kid: str) -> bytes:
    return b"ayni-issuer-key:" + kid.encode()


def _wrap(raw: bytes, kid: str) -> tuple[bytes, str]:
    kek = _current()
    nonce = secrets.token_bytes(NONCE)
    return nonce + AESGCM(kek).encrypt(nonce, raw, _aad(kid)), kek_id(kek)


def _unwrap(key: IssuerKey) -> bytes:
    sealed = bytes(key.private_key)
    try:
        if key.wrapped_by == LEGACY:
            return _legacy_box().decrypt(sealed)
        return AESGCM(_by_id(key.wrapped_by)).decrypt(sealed[:NONCE], sealed[NONCE:], _aad(key.kid))
    except (InvalidTag, InvalidToken, ValueError) as exc:
        raise Locked(f"the signing key {key.kid} does not open") from exc


def thumbprint(public: bytes) -> str:
    """RFC 7638 thumbprint of the public key: its `kid`, the same wherever it is computed."""
    members = {"crv": "Ed25519", "kty": "OKP", "x": credentials.b64url(public)}
    return credentials.b64url(
        hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode()).digest()
    )[:32]


def make_key(organisation: Organisation) -> IssuerKey:
    """A new key for the organisation (unsaved), wrapped under the current key-encryption key."""
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(**RAW)
    kid = thumbprint(public)
    sealed, wrapped_by = _wrap(
        private.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        ),
        kid,
    )
    return IssuerKey(organisation=organisation, kid=kid, public_key=public, private_key=sealed, wrapped_by=wrapped_by)


def private_key(key: IssuerKey) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_unwrap(key))


def opens(key: IssuerKey) -> str:
    """Why the key's private half cannot sign (it does not open, or is not the published key's
    pair); empty when it can."""
    try:
        private = private_key(key)
    except Locked as exc:
        return str(exc)
    if private.public_key().public_bytes(**RAW) != bytes(key.public_key):
        return f"the signing key {key.kid} is not the pair of its public key"
    return ""


def rewrap(key: IssuerKey) -> bool:
    """Wrap the key again under the current key-encryption key; False if it already is."""
    current = kek_id(_current())
    if key.wrapped_by == current:
        return False
    raw = _unwrap(key)
    key.private_key, key.wrapped_by = _wrap(raw, key.kid)
    key.save(update_fields=["private_key", "wrapped_by"])
    return True


def write_keyring(keys: list[bytes]) -> None:
    keyfile.write_keyfile(Path(settings.LEADERSHIP_KEY_FILE), keys)


def new_kek() -> bytes:
    return secrets.token_bytes(keyfile.KEY_BYTES)


def jwk(key: IssuerKey) -> dict:
    return credentials.public_jwk(key.kid, bytes(key.public_key))
