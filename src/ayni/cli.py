"""The `ayni` console command: Django's management commands under Ayni's settings."""

import os
import sys
from pathlib import Path


def _var_dir() -> Path:
    # As settings.VAR_DIR, read before the settings, which refuse to load without a key.
    return Path(os.environ.get("AYNI_VAR_DIR") or Path(__file__).resolve().parent.parent.parent / "var")


def _local_key() -> str | None:
    """After `make demo`, the key the Makefile made in var/secret-key, with its `LOCAL` settings
    (plain http on 127.0.0.1): `ayni` then works as it is, with nothing to set."""
    if os.environ.get("AYNI_SECRET_KEY"):
        return None
    try:
        key = (_var_dir() / "secret-key").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return key or None


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ayni.settings")
    key = _local_key()
    if key:
        os.environ["AYNI_SECRET_KEY"] = key
        os.environ.setdefault("AYNI_SECURE", "0")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # One line she can act on, not a traceback.
        if "AYNI_SECRET_KEY" in str(exc):
            message = ("ayni: falta la clave secreta. Ejecute `make demo` (la crea en var/secret-key) o defina "
                       "AYNI_SECRET_KEY (o AYNI_DEBUG=1 para desarrollo).")
        else:
            message = f"ayni: configuración incompleta: {exc}"
        print(message.replace("\n", " "), file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
