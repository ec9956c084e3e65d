"""`ayni restore FILE --yes`: put a backup made by `ayni backup` back in place."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ayni.ops.backup import BackupError, check_backup, current_database, restore_backup


class Command(BaseCommand):
    # gettext, not gettext_lazy: argparse cannot format a lazy description (`--help` crashed).
    help = _(
        "Reemplaza TODOS los datos por los de una copia hecha con «ayni backup». Detenga antes el servidor web "
        "y el trabajador de tareas."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=gettext_lazy("Archivo de copia (.sqlite3 o .pgdump)."))
        parser.add_argument("--yes", action="store_true",
                            help=gettext_lazy("Confirma que se reemplazarán los datos actuales."))
        parser.add_argument("--no-safety-copy", action="store_true",
                            help=gettext_lazy("No guardar antes una copia de los datos actuales."))

    def handle(self, *args, file, yes, no_safety_copy, **options):
        path = Path(file)
        try:
            # Check the file first, so a typo is reported even without --yes.
            check_backup(path, current_database())
            if not yes:
                raise CommandError(
                    _("Restaurar reemplaza todos los datos actuales por los de %(path)s. Detenga el servidor y el "
                      "trabajador de tareas, y vuelva a ejecutar con --yes para confirmar.") % {"path": path}
                )
            saved = restore_backup(path=path, safety_copy=not no_safety_copy)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if saved:
            self.stdout.write(_("Los datos anteriores se guardaron en %(path)s.") % {"path": saved})
        self.stdout.write(self.style.SUCCESS(_("Se restauró %(path)s.") % {"path": path}))
