"""`ayni demo`: fill the database with a realistic synthetic federation, then exit."""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from ayni.demo.generator import DEMO_PASSWORD, confederation_exists, generate
from ayni.demo.plan import SCALES
from ayni.lib import partitions
from ayni.orgs.models import OrgKind


class Command(BaseCommand):
    # gettext, not gettext_lazy: argparse cannot format a lazy description (`--help` crashed).
    help = _("Genera datos de demostración realistas (confederación, federaciones, comedores, socias, "
             "juntas directivas y cuentas de prueba).")

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", choices=list(SCALES), default="small",
            help=_("Tamaño: small (~120 organizaciones de base, segundos), province (~600), national "
                   "(58 federaciones provinciales, ~5.500 organizaciones de base, unos minutos) o national-full "
                   "(~13.600 cocinas con tres años de partes diarios, para medir los tableros)."),
        )
        parser.add_argument("--seed", type=int, default=1,
                            help=_("Semilla: la misma semilla genera los mismos datos."))
        parser.add_argument("--if-empty", action="store_true",
                            help=_("No hacer nada si ya existe una confederación."))
        parser.add_argument("--password", default=DEMO_PASSWORD,
                            help=_("Contraseña de las cuentas de demostración."))

    def handle(self, *args, scale, seed, if_empty, password, verbosity, **options):
        if confederation_exists():
            if if_empty:
                if verbosity:
                    self.stdout.write(_("Ya hay datos (existe una confederación): no se genera la demostración."))
                return
            raise CommandError(_("Ya existe una confederación. Use --if-empty para no hacer nada, o una base de "
                                 "datos vacía (por ejemplo, borre var/ayni.sqlite3 y ejecute «ayni migrate»)."))

        def progress(total):
            return tqdm(total=total, file=sys.stderr, unit=" org", dynamic_ncols=True, leave=False)

        # PostgreSQL: the months of the demo's history get their partitions before its rows come.
        partitions.ensure_partitions(back=48)
        ctx = generate(scale=scale, seed=seed, password=password,
                       progress_factory=progress if verbosity else None)
        if verbosity:
            self._summary(ctx)

    def _summary(self, ctx) -> None:
        out, counts = self.stdout, ctx.counts
        out.write(self.style.SUCCESS(
            _("Demostración generada (escala %(scale)s, semilla %(seed)s) en %(s)s s.")
            % {"scale": ctx.scale.name, "seed": ctx.seed, "s": counts["seconds"]}
        ))
        rows = [(kind.name_plural, counts.get(f"org:{kind.code}", 0)) for kind in OrgKind.objects.all()]
        rows += [
            (_("Personas"), counts["people"]),
            (_("  con DNI"), counts["people_with_dni"]),
            (_("  con celular"), counts["people_with_phone"]),
            (_("Membresías"), counts["memberships"]),
            (_("Idiomas declarados"), counts["languages"]),
            (_("Cargos (todas las juntas y promotoras)"), counts["positions"]),
            (_("  vigentes"), counts["positions_current"]),
            (_("  que vencen en 60 días"), counts["positions_expiring"]),
            (_("  promotoras y consejeras vigentes"), counts["promoters"]),
            (_("Organizaciones de base sin junta vigente"), counts["orgs_board_expired"]),
            (_("Requisitos verificados"), counts["requirement_checks"]),
            (_("Cuentas creadas"), counts["users"]),
            (_("Padrón: personas usuarias"), counts["roll_people"]),
            (_("  inscripciones (con retiros y traslados)"), counts["roll_entries"]),
            (_("  hogares"), counts["roll_households"]),
            (_("  duplicados sembrados entre cocinas"), counts["roll_duplicates_planted"]),
            (_("Partes diarios"), counts["daily_reports"]),
            (_("Movimientos de almacén"), counts["stock_movements"]),
            (_("Entregas programadas"), counts["delivery_schedules"]),
            (_("  recepciones"), counts["delivery_receipts"]),
        ]
        width = max(len(str(label)) for label, _n in rows)
        for label, n in rows:
            out.write(f"  {str(label):<{width}}  {n:>8,}".replace(",", " "))
        out.write("")
        out.write(_("Cuentas de demostración:"))
        header = (_("usuario"), _("celular"), _("rol"), _("organización"), _("contraseña"))
        table = [header] + [(a.username, a.phone or "—", a.role, a.organisation, a.password) for a in ctx.accounts]
        widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
        for i, row in enumerate(table):
            out.write("  " + "  ".join(f"{str(cell):<{widths[j]}}" for j, cell in enumerate(row)).rstrip())
            if i == 0:
                out.write("  " + "  ".join("-" * w for w in widths))
        for note in ctx.notes:
            out.write(self.style.WARNING(note))
