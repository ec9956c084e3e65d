"""Whether protection can open its keys, and the case keys of rows: the bridge between
`keys.py` (pure cryptography) and the tables."""

import functools
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.utils.translation import gettext as _

from ayni.protection import keys
from ayni.protection.models import Case, CaseKey, MasterKey

PROOF = b"ayni-protection-master-key-proof"


def _proof(master: bytes) -> bytes:
    nonce = secrets.token_bytes(keys.NONCE)
    return nonce + AESGCM(master).encrypt(nonce, PROOF, b"proof")


@functools.lru_cache(maxsize=64)
def _proven_cached(master: bytes, proof: bytes) -> bool:
    try:
        return AESGCM(master).decrypt(proof[:keys.NONCE], proof[keys.NONCE:], b"proof") == PROOF
    except InvalidTag:
        return False


def _proven(master: bytes, proof) -> bool:
    """The check value opens under this key (remembered per key and value: every protection
    page asks, and the answer for the same bytes never changes)."""
    return _proven_cached(master, bytes(proof))


def lock_reason() -> str:
    """Empty when protection can work; otherwise why not, in words for its pages. Every master
    key that still wraps a case key must be configured and must be the right one."""
    try:
        ring = keys.keyring()
    except keys.Locked:
        return _("No hay clave maestra configurada en este servidor.")
    configured = {keys.key_id(k): k for k in ring.keys}
    for kid, proof in MasterKey.objects.values_list("kid", "proof"):
        master = configured.get(kid)
        if master is None or not _proven(master, proof):
            return _("La clave maestra configurada no es la de estos casos.")
    return ""


def ensure_current_registered() -> None:
    ring = keys.keyring()
    if not MasterKey.objects.filter(kid=ring.current_id).exists():
        MasterKey.objects.create(kid=ring.current_id, proof=_proof(ring.current))


def new_case_key(case: Case) -> bytes:
    """A fresh key for a new case, stored wrapped; returns the key to seal its fields."""
    ensure_current_registered()
    case_key = keys.new_key()
    kid, wrapped = keys.wrap(case_key, case_id=case.pk, month=case.retain_until)
    CaseKey.objects.create(case=case, kid=kid, wrapped=wrapped)
    return case_key


def case_key(case: Case, key_row: CaseKey | None = None) -> bytes:
    row = key_row or CaseKey.objects.get(case_id=case.pk)
    return keys.unwrap(bytes(row.wrapped), case_id=case.pk, month=case.retain_until, kid=row.kid)


def rewrap_for_month(case: Case, month: str) -> None:
    """Move a case to another month of retention (closed, reopened): unwrap, wrap anew."""
    row = CaseKey.objects.select_for_update().get(case_id=case.pk)
    plain = case_key(case, row)
    row.kid, row.wrapped = keys.wrap(plain, case_id=case.pk, month=month)
    row.save(update_fields=["kid", "wrapped"])
    case.retain_until = month


class Sealer:
    """Seal and open the fields of one case under its key."""

    def __init__(self, case: Case, key: bytes):
        self.case_id, self.key = case.pk, key

    def seal(self, field: str, text: str | bytes | None) -> bytes | None:
        if text is None or text == "":
            return None
        return keys.seal(self.key, case_id=self.case_id, field=field, text=text)

    def text(self, field: str, sealed) -> str:
        return keys.open_text(self.key, case_id=self.case_id, field=field, sealed=sealed)

    def bytes(self, field: str, sealed) -> bytes:
        return keys.open_bytes(self.key, case_id=self.case_id, field=field, sealed=sealed)
