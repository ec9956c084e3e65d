"""`ayni remind-agreements`: a text to each person responsible for a pending agreement due
within three days, once. Meant for `ayni runperiodic`."""

from django.core.management.base import BaseCommand

from ayni.governance.services import send_agreement_reminders


class Command(BaseCommand):
    help = "Recuerda por mensaje a las responsables de acuerdos pendientes que vencen en los próximos días."

    def handle(self, *args, **options):
        self.stdout.write(f"agreement_reminders={send_agreement_reminders()}")
