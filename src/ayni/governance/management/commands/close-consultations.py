"""`ayni close-consultations`: close every consultation (asynchronous assembly) whose voting
window has ended, counting its quorum on who voted and applying each motion's majority. Meant
for `ayni runperiodic`; safe to run at any time and as often as wanted."""

from django.core.management.base import BaseCommand

from ayni.governance.services import close_due_consultations


class Command(BaseCommand):
    help = "Cierra las consultas de varios días cuyo plazo de votación terminó y cuenta sus resultados."

    def handle(self, *args, **options):
        self.stdout.write(f"consultations_closed={close_due_consultations()}")
