"""Generate a whole synthetic federation: the entry point of `ayni demo`.

The generation is a list of steps, one per domain, each a function of the shared
`DemoContext`. A later feature adds its demo data by appending a `Step` to `STEPS` (after the
steps whose output it reads); it must draw every random choice from `ctx.rng`, so that a seed
keeps giving the same data.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ayni.accounts.scope import Scope
from ayni.audit.models import AuditEntry
from ayni.audit.services import record
from ayni.demo.accounts import generate_accounts
from ayni.demo.advocacy import generate_advocacy
from ayni.demo.assemblies import generate_actas, generate_assemblies
from ayni.demo.boards import generate_boards
from ayni.demo.context import DemoContext
from ayni.demo.economy import generate_economy
from ayni.demo.kitchens import generate_kitchens
from ayni.demo.leadership import generate_leadership
from ayni.demo.memory import generate_memory
from ayni.demo.people import generate_people
from ayni.demo.plan import SCALES, Scale
from ayni.demo.protection import generate_protection
from ayni.demo.region import generate_second_country
from ayni.demo.rolls import generate_rolls
from ayni.demo.tree import build_tree, generate_requirements
from ayni.orgs.models import Organisation

# The demo accounts' default password: public on purpose, printed at the end of every run.
DEMO_PASSWORD = "ayni-demo-2026"  # noqa: S105


def _org_count(scale: Scale) -> int:
    feds = scale.federations
    return 1 + len(feds) + sum(f.district_federations for f in feds) + scale.base_organisations


@dataclass(frozen=True)
class Step:
    label: object  # shown beside the progress bar
    run: Callable[[DemoContext], None]
    units: Callable[[Scale], int]  # how far it moves the progress bar


STEPS: list[Step] = [
    Step(_("Organizaciones"), build_tree, _org_count),
    Step(_("Socias"), generate_people, lambda s: s.base_organisations),
    Step(_("Juntas directivas"), generate_boards, _org_count),
    Step(_("Requisitos"), generate_requirements, _org_count),
    Step(_("Cuentas"), generate_accounts, lambda s: 1),
    Step(_("Cocinas: partes diarios y almacén"), generate_kitchens, lambda s: s.base_organisations),
    Step(_("Padrones de usuarios"), generate_rolls, lambda s: s.base_organisations),
    Step(_("Asambleas y votaciones"), generate_assemblies, lambda s: 1),
    Step(_("Memoria y experiencias"), generate_memory, lambda s: 1),
    Step(_("Compromisos de autoridades y calificación comunitaria"), generate_advocacy, lambda s: 1),
    Step(_("Formación: escuelas, asistencia y certificados"), generate_leadership, lambda s: 1),
    Step(_("Protección"), generate_protection, lambda s: 1),
    Step(_("Banquitos, biohuertos y compras a la agricultura familiar"), generate_economy, lambda s: 1),
    Step(_("Libro de actas: actas aprobadas de las asambleas realizadas"), generate_actas, lambda s: 1),
    Step(_("Federación de un segundo país (escala región)"), generate_second_country, lambda s: 1),
]


def confederation_exists() -> bool:
    return Organisation.objects.filter(kind_id="confederacion").exists()


def generate(*, scale: str = "small", seed: int = 1, password: str = DEMO_PASSWORD,
             progress_factory: Callable[..., object] | None = None) -> DemoContext:
    """Write the demo into the database, all or nothing, and return what was made."""
    plan = SCALES[scale]
    ctx = DemoContext(rng=random.Random(seed), today=timezone.localdate(), scale=plan, seed=seed,
                      password=password)
    started = time.monotonic()
    if progress_factory is not None:
        ctx.progress = progress_factory(total=sum(step.units(plan) for step in STEPS))
    try:
        # One transaction: a failed run leaves no half federation behind, which `--if-empty`
        # would then mistake for a finished one. It is also the fastest way to write on SQLite.
        with transaction.atomic():
            audit_before = AuditEntry.objects.aggregate(last=Max("pk"))["last"] or 0
            for step in STEPS:
                ctx.progress.set_description(str(step.label))
                step.run(ctx)
            # Steps that must go through their domain's services (a case sealed under its key, a
            # ledger entry, a credential signed) write the audit trail as any change does; the demo
            # is one change of its own, recorded below, so theirs are taken back.
            AuditEntry.objects.filter(pk__gt=audit_before).delete()
            for kind, nodes in ctx.by_kind.items():
                ctx.counts[f"org:{kind}"] = len(nodes)
            ctx.counts["organisations"] = len(ctx.nodes)
            record(scope=Scope.system("generador de datos de demostración"), action="demo.generate",
                   obj=ctx.confederation.org, org_path=ctx.confederation.org.path,
                   after={"scale": scale, "seed": seed, "counts": dict(sorted(ctx.counts.items()))})
    finally:
        ctx.progress.close()
    ctx.counts["seconds"] = round(time.monotonic() - started, 1)
    return ctx
