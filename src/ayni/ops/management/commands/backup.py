"""`ayni backup`: one file with the whole database, safe to run while the server writes."""

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ayni.lib.env import env_int
from ayni.ops.backup import BackupError, make_backup


class Command(BaseCommand):
    # gettext, not gettext_lazy: argparse cannot format a lazy description (`--help` crashed).
    help = _(
        "Hace una copia de seguridad de la base de datos (SQLite: API de copia en línea; PostgreSQL: pg_dump) "
        "en var/backups/ y conserva solo las más recientes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", default=None,
                            help=gettext_lazy("Carpeta o archivo de destino (por defecto var/backups/)."))
        parser.add_argument("--keep", type=int, default=env_int("AYNI_BACKUP_KEEP", 14),
                            help=gettext_lazy("Cuántas copias conservar en la carpeta; 0 las conserva todas "
                                              "(por defecto AYNI_BACKUP_KEEP o 14)."))

    def handle(self, *args, output, keep, **options):
        if keep < 0:
            raise CommandError(_("--keep no puede ser negativo."))
        try:
            path = make_backup(output=output, keep=keep)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(_("Copia de seguridad: %(path)s (%(size)s)")
                          % {"path": path, "size": filesizeformat(path.stat().st_size)})
