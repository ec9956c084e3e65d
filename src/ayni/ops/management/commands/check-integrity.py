"""`ayni check-integrity`: verify every stored total against its rows; exit 1 naming each
violation. Later domains add their own checks to `CHECKS`.

It lives in ops, above every domain, because it gathers the checks of all of them; each domain
keeps its own checks next to its rows (kitchens/integrity.py, rolls/integrity.py,
governance/integrity.py)."""

from django.core.management.base import BaseCommand, CommandError

from ayni.economy import integrity as economy
from ayni.files import integrity as files
from ayni.governance import integrity as governance
from ayni.kitchens import integrity
from ayni.ops import integrity as registry
from ayni.rolls import integrity as rolls

CHECKS = [
    ("registry", registry.registry_violations),
    ("stock balances", integrity.balance_violations),
    ("monthly summaries", integrity.summary_violations),
    ("monthly roll-ups", integrity.rollup_violations),
    ("reporting gaps", integrity.gap_violations),
    ("delivery roll-ups", integrity.delivery_rollup_violations),
    ("food alerts", integrity.food_alert_violations),
    ("people fed: roll flows", rolls.flow_violations),
    ("people fed: repeated people", rolls.repeated_violations),
    ("people fed: direct count", rolls.people_fed_violations),
    ("governance: tallies, ballots, actas", governance.governance_violations),
    ("kept files: content = SHA-256", files.file_violations),
    ("savings groups: money conserved, share-outs recomputed", economy.economy_violations),
    ("orphan rows", integrity.orphan_violations),
]


class Command(BaseCommand):
    help = "Verifica los invariantes: saldos = suma de movimientos, resúmenes mensuales = recálculo, sin huérfanos."

    def handle(self, *args, **options):
        found = []
        for label, check in CHECKS:
            problems = check()
            self.stdout.write(f"{label}: {'ok' if not problems else f'{len(problems)} violation(s)'}")
            found += problems
        for problem in found:
            self.stderr.write(f"VIOLATION: {problem}")
        if found:
            raise CommandError(f"{len(found)} integrity violation(s)", returncode=1)
        self.stdout.write(self.style.SUCCESS("integrity ok"))
