"""Daily housekeeping, run from cron or a systemd timer (see deploy/): no broker needed."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from ayni.accounts.models import OneTimeCode
from ayni.accounts.services import prune_login_failures


class Command(BaseCommand):
    help = "Tareas diarias: depura intentos de ingreso fallidos antiguos y códigos vencidos."

    def handle(self, *args, **options):
        failures = prune_login_failures()
        codes, _ = OneTimeCode.objects.filter(expires_at__lt=timezone.now() - timezone.timedelta(days=30)).delete()
        self.stdout.write(f"login_failures={failures} expired_codes={codes}")
