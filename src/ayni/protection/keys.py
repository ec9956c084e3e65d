"""The keys of the protection cases, and the only code that encrypts or decrypts them.

Three levels, so that no copy of the database alone reads a case and a deleted case stays
deleted in old backups too:

- the **master key** (32 random bytes) lives outside the database: a key file, one base64 key
  a line, the current one first and older ones after it while a rotation runs, or the
  environment variable `AYNI_PROTECTION_KEYS` (the same, comma-separated);
- a **retention key** per month in which cases reach the end of their retention, in a small
  file beside the master key (`retention.json`), never in the database. At the end of that
  month the cases are deleted and their retention key destroyed: an old backup of the database
  still holds the wrapped case keys, but nothing can unwrap them any more (crypto-shredding);
- a **case key** (AES-256-GCM), random per case, stored in the database wrapped under a key
  derived from the master key and the case's retention key, with the case's id as associated
  data. Every sensitive field of the case is sealed under it, with the case's id and the
  field's name as associated data, so a ciphertext copied into another case or field does not
  open.

A wrong or missing master key never stops the product: `status()` says protection is locked,
and only protection's pages say so.
"""

import base64
import functools
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

# The key file's reading (once per change) and writing (in one step) are shared with leadership.
from ayni.lib.keyfile import file_cached as _file_cached
from ayni.lib.keyfile import write_keyfile  # noqa: F401 - protection-key and the demo write through here

NONCE = 12
KEY_BYTES = 32


class Locked(Exception):
    """Protection cannot open its keys: no master key, a wrong one, or a missing retention key."""


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


def key_id(master: bytes) -> str:
    """A short name of a master key, stored beside what it wrapped; not enough to find the key."""
    return hashlib.sha256(b"ayni-protection-master:" + master).hexdigest()[:16]


def _decode(text: str) -> bytes:
    key = base64.urlsafe_b64decode(text.strip().encode())
    if len(key) != KEY_BYTES:
        raise ValueError("a protection master key is 32 bytes, base64-encoded")
    return key


@dataclass(frozen=True)
class Keyring:
    keys: tuple[bytes, ...]  # the current one first

    @property
    def current(self) -> bytes:
        return self.keys[0]

    @property
    def current_id(self) -> str:
        return key_id(self.current)

    def by_id(self, kid: str) -> bytes:
        for key in self.keys:
            if key_id(key) == kid:
                return key
        raise Locked(f"master key {kid} is not configured")


def keyring() -> Keyring:
    """The configured master keys; Locked when there are none or one is not a key."""
    try:
        env = os.environ.get("AYNI_PROTECTION_KEYS", "").strip()
        if env:
            keys = tuple(_decode(k) for k in env.split(",") if k.strip())
        else:
            keys = _file_cached(Path(settings.PROTECTION_KEY_FILE),
                                lambda text: tuple(_decode(line) for line in text.splitlines() if line.strip()))
    except ValueError as exc:
        raise Locked(str(exc)) from exc
    if not keys:
        raise Locked("no protection master key is configured")
    return Keyring(keys)


def keyring_configured() -> bool:
    try:
        keyring()
    except Locked:
        return False
    return True


# --- Retention keys ------------------------------------------------------------------------------

def retention_keys() -> dict[str, bytes]:
    path = Path(settings.PROTECTION_RETENTION_FILE)
    data = _file_cached(path, lambda text: {k: base64.urlsafe_b64decode(v) for k, v in json.loads(text).items()})
    return dict(data or {})


def _write_retention(keys: dict[str, bytes]) -> None:
    path = Path(settings.PROTECTION_RETENTION_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({k: base64.urlsafe_b64encode(v).decode() for k, v in sorted(keys.items())}, fh, indent=0)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def retention_key(month: str, *, create: bool = False) -> bytes:
    keys = retention_keys()
    if month not in keys:
        if not create:
            raise Locked(f"the retention key of {month} is not there (destroyed, or the file is missing)")
        keys[month] = new_key()
        _write_retention(keys)
    return keys[month]


def destroy_retention_key(month: str) -> bool:
    """Crypto-shredding: after this no copy of the database anywhere opens a case of `month`."""
    keys = retention_keys()
    if keys.pop(month, None) is None:
        return False
    _write_retention(keys)
    return True


# --- Case keys and fields ------------------------------------------------------------------------

@functools.lru_cache(maxsize=512)
def _kek(master: bytes, retention: bytes) -> AESGCM:
    """The wrapping key of a month's cases under a master key (derived once per pair: a rotation
    over 100,000 cases derives it a few dozen times, not 200,000)."""
    derived = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=retention,
                   info=b"ayni protection case-key wrapping").derive(master)
    return AESGCM(derived)


def wrap(case_key: bytes, *, case_id: int, month: str, master: bytes | None = None) -> tuple[str, bytes]:
    """(master key id, wrapped case key)."""
    master = master or keyring().current
    nonce = secrets.token_bytes(NONCE)
    sealed = _kek(master, retention_key(month, create=True)).encrypt(nonce, case_key, f"case-key:{case_id}".encode())
    return key_id(master), nonce + sealed


def unwrap(wrapped: bytes, *, case_id: int, month: str, kid: str) -> bytes:
    master = keyring().by_id(kid)
    try:
        return _kek(master, retention_key(month)).decrypt(wrapped[:NONCE], bytes(wrapped[NONCE:]),
                                                          f"case-key:{case_id}".encode())
    except InvalidTag as exc:
        raise Locked("a case key does not open with the configured keys") from exc


def rewrap(wrapped: bytes, *, case_id: int, retention: bytes, old: bytes, new: bytes) -> bytes:
    """A case key unwrapped under `old` and wrapped again under `new`, the keys given (a rotation
    resolves them once per batch, not twice per row)."""
    aad = f"case-key:{case_id}".encode()
    wrapped = bytes(wrapped)
    try:
        plain = _kek(old, retention).decrypt(wrapped[:NONCE], wrapped[NONCE:], aad)
    except InvalidTag as exc:
        raise Locked("a case key does not open with the configured keys") from exc
    nonce = secrets.token_bytes(NONCE)
    return nonce + _kek(new, retention).encrypt(nonce, plain, aad)


def seal(case_key: bytes, *, case_id: int, field: str, text: str | bytes) -> bytes:
    """One field, encrypted and bound to its case and its name."""
    data = text.encode() if isinstance(text, str) else text
    nonce = secrets.token_bytes(NONCE)
    return nonce + AESGCM(case_key).encrypt(nonce, data, f"{case_id}:{field}".encode())


def open_bytes(case_key: bytes, *, case_id: int, field: str, sealed: bytes) -> bytes:
    sealed = bytes(sealed)
    return AESGCM(case_key).decrypt(sealed[:NONCE], sealed[NONCE:], f"{case_id}:{field}".encode())


def open_text(case_key: bytes, *, case_id: int, field: str, sealed: bytes | None) -> str:
    if not sealed:
        return ""
    return open_bytes(case_key, case_id=case_id, field=field, sealed=sealed).decode()
