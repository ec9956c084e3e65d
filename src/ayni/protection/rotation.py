"""Master-key rotation without downtime, resumable, safe under SIGKILL.

1. `ayni protection-key --rotate` writes a new key in front of the key file (the old one stays
   after it, so every worker keeps reading cases wrapped under either while this runs);
2. it wraps every case key again under the new master key, in batches of one transaction each:
   a kill loses at most the batch in flight, whose rows keep their old wrapping — still
   readable — and the next run carries on from them;
3. when no case key is left under an old master key, `--retire` takes the old key out of the
   file.
"""

from collections.abc import Callable

from django.db import transaction

from ayni.lib.db import update_rows
from ayni.protection import keys, vault
from ayni.protection.models import CaseKey, MasterKey

BATCH = 1000


def pending() -> int:
    return CaseKey.objects.exclude(kid=keys.keyring().current_id).count()


def rewrap_all(*, batch: int = BATCH, progress: Callable[[int], None] | None = None) -> int:
    """Wrap every case key not under the current master key again under it; returns how many."""
    ring = keys.keyring()
    vault.ensure_current_registered()
    done = 0
    while True:
        with transaction.atomic():
            rows = list(CaseKey.objects.select_for_update().exclude(kid=ring.current_id)
                        .order_by("case_id").values_list("case_id", "kid", "wrapped", "case__retain_until")[:batch])
            if not rows:
                break
            masters = {keys.key_id(k): k for k in ring.keys}
            retention = keys.retention_keys()
            updated = []
            for case_id, kid, wrapped, month in rows:
                if kid not in masters:
                    raise keys.Locked(f"master key {kid} is not configured")
                if month not in retention:
                    raise keys.Locked(f"the retention key of {month} is not there")
                updated.append(CaseKey(case_id=case_id, kid=ring.current_id, wrapped=keys.rewrap(
                    wrapped, case_id=case_id, retention=retention[month], old=masters[kid], new=ring.current)))
            update_rows(updated, ["kid", "wrapped"])  # one prepared UPDATE per row, not a CASE per row
        done += len(rows)
        if progress:
            progress(done)
    MasterKey.objects.exclude(kid=ring.current_id).exclude(
        kid__in=CaseKey.objects.values("kid").distinct()).delete()
    return done


def retirable() -> list[bytes]:
    """The old master keys in the file that no case key needs any more."""
    ring = keys.keyring()
    used = set(CaseKey.objects.values_list("kid", flat=True).distinct())
    return [k for k in ring.keys[1:] if keys.key_id(k) not in used]
