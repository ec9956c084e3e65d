"""End of retention: delete the cases whose retention month has ended and destroy that month's
retention key (crypto-shredding). `ayni runperiodic` runs it every night."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from ayni.accounts.scope import Scope
from ayni.protection.services import shred_due


class Command(BaseCommand):
    help = "Elimina los casos de protección al terminar su conservación y destruye sus claves."

    def handle(self, *args, **opts):
        count = shred_due(scope=Scope.system("fin de la conservación de casos (ayni protection-shred)"))
        self.stdout.write(_("Protección: %(n)d casos eliminados al terminar su conservación.") % {"n": count})
