"""`ayni partitions`: the monthly partitions of the tables that grow without end, on PostgreSQL
(lib/partitions.py, docs/scaling.md). `ayni runperiodic` runs `ensure` every night."""

import datetime
import re

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from ayni.lib import partitions


def _month(value: str) -> datetime.date:
    match = re.fullmatch(r"(\d{4})-(\d{2})", value)
    if not match or not 1 <= int(match[2]) <= 12:
        raise CommandError(f"«{value}» no es un mes AAAA-MM (por ejemplo 2024-01).")
    return datetime.date(int(match[1]), int(match[2]), 1)


class Command(BaseCommand):
    help = ("Particiones mensuales en PostgreSQL: «ensure» crea las del mes y los siguientes (y las de los meses "
            "que esperan en la partición por defecto), «list» las muestra, «detach --before AAAA-MM» separa los "
            "meses anteriores al esquema de archivo.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["ensure", "list", "detach"])
        parser.add_argument("--ahead", type=int, default=2, help="meses por delante (ensure)")
        parser.add_argument("--before", type=_month, help="detach: los meses que terminan antes de este, AAAA-MM")
        parser.add_argument("--schema", default=partitions.ARCHIVE_SCHEMA, help="detach: esquema de archivo")
        parser.add_argument("--dry-run", action="store_true", help="detach: solo decir qué se separaría")

    def handle(self, *args, action, ahead, before, schema, dry_run, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("SQLite: tablas sin particiones, nada que hacer.")
            return
        if action == "ensure":
            created = partitions.ensure_partitions(ahead=max(0, ahead))
            self.stdout.write(f"partitions_created={len(created)} {' '.join(created)}".rstrip())
        elif action == "list":
            waiting = partitions.default_rows()
            for spec in partitions.TABLES:
                names = sorted(partitions.partitions(spec.table))
                self.stdout.write(f"{spec.table} ({spec.key}): {len(names)} particiones, "
                                  f"{waiting.get(spec.table, 0)} filas en la de por defecto")
                for name in names:
                    self.stdout.write(f"  {name}")
        else:
            if before is None:
                raise CommandError("detach necesita --before AAAA-MM.")
            if before > partitions.add_months(partitions.month_start(timezone.localdate()), -1):
                raise CommandError("Solo se archivan meses terminados: --before debe ser el mes pasado o antes.")
            detached = partitions.detach_before(before, schema=schema, dry_run=dry_run)
            verb = "se separarían" if dry_run else f"separadas al esquema «{schema}»"
            self.stdout.write(f"{len(detached)} particiones {verb}: {' '.join(detached)}".rstrip())
