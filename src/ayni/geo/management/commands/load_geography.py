from django.core.management.base import BaseCommand

from ayni.geo.loader import load_geography


class Command(BaseCommand):
    help = "Carga o actualiza departamentos, provincias y distritos (UBIGEO) de forma idempotente."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Compara fila por fila aunque no haya cambios.")

    def handle(self, *args, force=False, **options):
        changed = load_geography(force=force)
        self.stdout.write(f"UBIGEO: {changed or 'sin cambios'}")
