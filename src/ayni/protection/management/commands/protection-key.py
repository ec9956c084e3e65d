"""The protection master key: make one, rotate it, retire the old one.

    ayni protection-key --init       # a first key in the key file, if there is none
    ayni protection-key --rotate     # a new key first in the file, then every case key rewrapped
    ayni protection-key              # resume a rotation cut short (a kill, a power cut)
    ayni protection-key --retire     # drop old keys no case needs any more

docs/protection.md says where the key file lives and how to back it up.
"""

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ayni.accounts.scope import Scope
from ayni.audit.services import record
from ayni.protection import keys, rotation, vault
from ayni.protection.models import MasterKey


class Command(BaseCommand):
    help = "Crea, rota o retira la clave maestra de los casos de protección (reanudable)."

    def add_arguments(self, parser):
        parser.add_argument("--init", action="store_true", help="Crea la clave si no hay ninguna.")
        parser.add_argument("--rotate", action="store_true", help="Pone una clave nueva y reenvuelve los casos.")
        parser.add_argument("--retire", action="store_true", help="Quita del archivo las claves que ya no se usan.")
        parser.add_argument("--batch", type=int, default=rotation.BATCH)

    def handle(self, *args, **opts):
        path = Path(settings.PROTECTION_KEY_FILE)
        from_env = bool(os.environ.get("AYNI_PROTECTION_KEYS", "").strip())
        if opts["init"]:
            if from_env or path.exists():
                self.stdout.write(_("Clave maestra: ya estaba configurada."))
                return
            keys.write_keyfile(path, [keys.new_key()])
            self.stdout.write(_("Clave maestra: creada en %(path)s.") % {"path": path})
            return
        try:
            ring = keys.keyring()
        except keys.Locked as exc:
            raise CommandError(f"no hay clave maestra: {exc}") from exc
        if opts["rotate"]:
            if from_env:
                raise CommandError("con AYNI_PROTECTION_KEYS, ponga la clave nueva primero en la variable y "
                                   "ejecute «ayni protection-key» para reenvolver los casos")
            keys.write_keyfile(path, [keys.new_key(), *ring.keys])
            self.stdout.write(_("Clave maestra: clave nueva escrita primero en el archivo de claves."))
        reason = vault.lock_reason()
        if reason:
            raise CommandError(reason)
        every = 1 if opts["verbosity"] >= 2 else 10000  # -v 2: a line per batch (the kill test waits for one)
        done = rotation.rewrap_all(batch=opts["batch"], progress=lambda n: self.stdout.write(
            # "reenvueltas N": the kill test and the benchmark read the number after the word
            _("reenvueltas %(n)d") % {"n": n}) if n % every == 0 or every == 1 else None)
        system = Scope.system("rotación de la clave maestra (ayni protection-key)")
        current = MasterKey.objects.get(kid=keys.keyring().current_id)
        record(scope=system, action="protection.rotate", obj=current, org_path="")
        self.stdout.write(_("Clave maestra: %(done)d claves de casos reenvueltas, %(pending)d pendientes.")
                          % {"done": done, "pending": rotation.pending()})
        self.stdout.flush()
        if opts["retire"]:
            old = rotation.retirable()
            if from_env:
                self.stdout.write(_("Clave maestra: %(n)d claves antiguas sin uso; quítelas de AYNI_PROTECTION_KEYS.")
                                  % {"n": len(old)})
            else:
                ring = keys.keyring()
                keys.write_keyfile(path, [k for k in ring.keys if k not in old])
                self.stdout.write(_("Clave maestra: %(n)d claves antiguas retiradas.") % {"n": len(old)})
