"""`ayni check-integrity`: verify every stored total against its rows; exit 1 naming each
violation. Later domains add their own checks to `CHECKS`.

It lives in ops, above every domain, because it gathers the checks of all of them; each domain
keeps its own checks next to its rows (kitchens/integrity.py, rolls/integrity.py,
governance/integrity.py)."""

from django.core.management.base import BaseCommand, CommandError

from ayni.advocacy import integrity as advocacy
from ayni.economy import integrity as economy
from ayni.files import integrity as files
from ayni.governance import integrity as governance
from ayni.kitchens import integrity
from ayni.leadership import integrity as leadership
from ayni.memory import integrity as memory
from ayni.ops import integrity as registry
from ayni.protection import integrity as protection
from ayni.reach import integrity as reach
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
    ("governance: dues collected = payments", governance.dues_violations),
    ("governance: elected lists = board positions", governance.election_violations),
    ("kept files: content = SHA-256", files.file_violations),
    ("memorial: consent and history", memory.memorial_violations),
    ("experiences: reviewed before published", memory.experience_violations),
    ("advocacy: stages and overdue commitments", advocacy.advocacy_violations),
    ("protection: every case key opens", protection.protection_violations),
    ("savings groups: money conserved, share-outs recomputed; purchases rolled up", economy.economy_violations),
    ("orphan rows", integrity.orphan_violations),
    ("leadership: completion = recount of attendance", leadership.check_completion),
    ("leadership: every credential verifies against its key", leadership.check_credentials),
    ("leadership: every active signing key opens", leadership.check_signing_keys),
    ("leadership: equity roll-up = recount of memberships", leadership.check_equity),
    ("ODK submissions: each instance applied once", reach.submission_violations),
    ("ODK daily reports answered 201: none left unsaved", reach.waiting_violations),
    ("partitions: this month and the next", registry.partition_violations),
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
