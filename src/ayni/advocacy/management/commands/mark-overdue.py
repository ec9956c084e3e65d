"""`ayni mark-overdue`: every open commitment past its deadline becomes overdue (vencido).
Meant for `ayni runperiodic`, which runs it every night."""

from django.core.management.base import BaseCommand

from ayni.advocacy.services import mark_overdue


class Command(BaseCommand):
    help = "Marca como vencidos los compromisos abiertos cuyo plazo ya pasó."

    def handle(self, *args, **options):
        self.stdout.write(f"commitments_overdue={mark_overdue()}")
