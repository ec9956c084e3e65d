"""The key-encryption key of the certificate signing keys: make one, wrap the signing keys under
it, rotate it, retire old ones.

    ayni leadership-keys --init      # a first key in the key file, if there is none
    ayni leadership-keys             # wrap every signing key under the current key (the keys made
                                     # before, still under SECRET_KEY, too: run it before changing
                                     # SECRET_KEY); resumable
    ayni leadership-keys --rotate    # a new key first in the file, then every signing key rewrapped
    ayni leadership-keys --retire    # then drop old keys no signing key needs any more
"""

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from ayni.accounts.scope import Scope
from ayni.audit.services import record
from ayni.leadership import keys
from ayni.leadership.models import IssuerKey


class Command(BaseCommand):
    help = "Crea, rota o retira la clave que envuelve las claves de firma de certificados (reanudable)."

    def add_arguments(self, parser):
        parser.add_argument("--init", action="store_true", help="Crea la clave si no hay ninguna.")
        parser.add_argument("--rotate", action="store_true", help="Pone una clave nueva y reenvuelve las de firma.")
        parser.add_argument("--retire", action="store_true", help="Quita del archivo las claves que ya no se usan.")

    def handle(self, *args, **opts):
        from_env = bool(os.environ.get(keys.ENV, "").strip())
        try:
            made = keys.ensure_keyring()
        except keys.Locked as exc:
            raise CommandError(str(exc)) from exc
        if opts["init"]:
            self.stdout.write(
                _("Clave de las firmas: creada.") if made else _("Clave de las firmas: ya estaba configurada.")
            )
            return
        if opts["rotate"]:
            if from_env:
                raise CommandError(
                    f"con {keys.ENV}, ponga la clave nueva primero en la variable y ejecute "
                    "«ayni leadership-keys» para reenvolver las claves de firma"
                )
            keys.write_keyring([keys.new_kek(), *keys.keyring()])
            self.stdout.write(_("Clave de las firmas: clave nueva escrita primero en el archivo de claves."))
        system = Scope.system("clave de las claves de firma (ayni leadership-keys)")
        done, failed = 0, []
        for pk in IssuerKey.objects.order_by("pk").values_list("pk", flat=True):
            with transaction.atomic():  # one key at a time: a kill leaves each wrapped once, old or new
                key = IssuerKey.objects.select_for_update().select_related("organisation").get(pk=pk)
                try:
                    if keys.rewrap(key):
                        done += 1
                        record(
                            scope=system,
                            action="leadership.keys_rewrap",
                            obj=key,
                            org_path=key.organisation.path,
                            after={"kid": key.kid, "wrapped_by": key.wrapped_by},
                        )
                except keys.Locked as exc:
                    failed.append(str(exc))
        self.stdout.write(_("Clave de las firmas: %(n)d claves de firma reenvueltas.") % {"n": done})
        if failed:
            raise CommandError("; ".join(failed))
        if opts["retire"]:
            used = set(IssuerKey.objects.values_list("wrapped_by", flat=True))
            ring = keys.keyring()
            old = [k for k in ring[1:] if keys.kek_id(k) not in used]
            if from_env:
                self.stdout.write(_("Clave de las firmas: %(n)d claves antiguas sin uso; quítelas de %(env)s.")
                                  % {"n": len(old), "env": keys.ENV})
            else:
                keys.write_keyring([k for k in ring if k not in old])
                self.stdout.write(_("Clave de las firmas: %(n)d claves antiguas retiradas.") % {"n": len(old)})
