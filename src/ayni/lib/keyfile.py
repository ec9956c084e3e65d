"""Keys kept outside the database: a small file of base64 keys, one a line, the current one first
and older ones after it while a rotation runs, or an environment variable holding the same
comma-separated. Protection's master key and leadership's key-encryption key are read this way,
so a copy of the database (or of its backups) alone opens neither.

The file is read once per change (its mtime), so a rotation's new file is seen by every running
worker without a restart, and written in one step, so a kill leaves the old file or the new one.
"""

import base64
import os
from pathlib import Path

KEY_BYTES = 32

_cache: dict[str, tuple[float, object]] = {}


def file_cached(path: Path, parse):
    """`parse(text)` of a small file, read again only when it changed; None when it is absent."""
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    hit = _cache.get(str(path))
    if hit and hit[0] == mtime:
        return hit[1]
    value = parse(path.read_text())
    _cache[str(path)] = (mtime, value)
    return value


def encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


def decode_key(text: str, *, size: int = KEY_BYTES) -> bytes:
    """One key as written in the file or the variable; ValueError when it is not `size` bytes."""
    try:
        key = base64.urlsafe_b64decode(text.strip().encode())
    except ValueError as exc:
        raise ValueError("a key is base64-encoded") from exc
    if len(key) != size:
        raise ValueError(f"a key is {size} bytes, base64-encoded")
    return key


def read_keys(*, env: str, path: Path, size: int = KEY_BYTES) -> tuple[bytes, ...]:
    """The keys from the variable `env` if set, else from the file (empty when neither has one);
    ValueError when one is not a key."""
    text = os.environ.get(env, "").strip()
    if text:
        return tuple(decode_key(k, size=size) for k in text.split(",") if k.strip())
    keys = file_cached(
        Path(path), lambda body: tuple(decode_key(line, size=size) for line in body.splitlines() if line.strip())
    )
    return keys or ()


def write_keyfile(path: Path, keys: list[bytes]) -> None:
    """Replace the key file in one step (write beside it, sync, rename), readable by its owner only."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("".join(encode_key(k) + "\n" for k in keys))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
