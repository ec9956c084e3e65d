"""`ayni send-reminders`: a text to each kitchen leader whose kitchen sent no daily report for
two days. Run once a day (with `ayni runperiodic`, from cron or the systemd timer)."""

from django.core.management.base import BaseCommand

from ayni.capture.outbound import send_reminders


class Command(BaseCommand):
    help = "Envía un recordatorio por mensaje a las cocinas sin parte diario en los últimos dos días."

    def handle(self, *args, **options):
        self.stdout.write(f"reminders={send_reminders()}")
