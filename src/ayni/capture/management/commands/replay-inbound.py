"""`ayni replay-inbound`: process again the stored submissions that never finished — the server
died in between, a bug made them fail, or a phone sent too many texts at once. Processing is
idempotent, so running it twice changes nothing the second time."""

from django.core.management.base import BaseCommand

from ayni.capture.inbound import replay
from ayni.capture.models import Inbound


class Command(BaseCommand):
    help = "Vuelve a procesar los envíos guardados que no terminaron (recibidos, fallidos o frenados)."

    def add_arguments(self, parser):
        parser.add_argument("--status", action="append", choices=[s.value for s in Inbound.PENDING],
                            help="Solo estos estados (se puede repetir). Por defecto: todos los pendientes.")
        parser.add_argument("--id", action="append", type=int, dest="ids", help="Solo este envío (se puede repetir).")
        parser.add_argument("--limit", type=int, default=None)

    def handle(self, *args, status=None, ids=None, limit=None, **options):
        counts = replay(statuses=status or Inbound.PENDING, ids=ids, limit=limit)
        total = sum(counts.values())
        detail = " ".join(f"{k}={v}" for k, v in sorted(counts.items()))
        self.stdout.write(f"replayed={total} {detail}".strip())
