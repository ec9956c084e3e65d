from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ayni.geo.packs import PackError, available, load_pack


class Command(BaseCommand):
    help = _(
        "Carga el paquete de un país (territorio, documento de identidad, teléfonos, moneda, programas "
        "sociales): todo o nada."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help=_("Código ISO del país: %(codes)s.") % {"codes": ", ".join(available())})
        parser.add_argument(
            "--path",
            type=Path,
            help=_(
                "Carpeta de un paquete fuera del repositorio (un archivo oficial convertido, con niveles más finos)."
            ),
        )
        parser.add_argument("--force", action="store_true", help=_("Carga aunque el paquete no haya cambiado."))

    def handle(self, *args, code, path=None, force=False, **options):
        if path is None and code.upper() not in available():
            raise CommandError(
                _("No hay paquete para «%(code)s». Hay: %(codes)s.") % {"code": code, "codes": ", ".join(available())}
            )
        try:
            changed = load_pack(code, directory=path, force=force)
        except PackError as exc:
            lines = "\n".join(f"  - {m}" for m in exc.messages)
            raise CommandError(
                _("El paquete de %(code)s no se cargó; no cambió nada. Problemas:\n%(lines)s")
                % {"code": code.upper(), "lines": lines}
            ) from exc
        if not changed:
            self.stdout.write(_("%(code)s: sin cambios.") % {"code": code.upper()})
        else:
            self.stdout.write(
                _("%(code)s: paquete cargado, %(n)s lugares.") % {"code": code.upper(), "n": changed["areas"]}
            )
