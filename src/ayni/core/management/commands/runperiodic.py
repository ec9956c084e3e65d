"""Daily housekeeping, run from cron or a systemd timer (see deploy/ayni-periodic.timer): no
broker needed. It also works out the reminders for kitchens with no daily report for two days;
the task worker (`ayni db_worker`) sends them, in the morning when the job runs at night. And it
queues the night's duplicate search over each whole tree, across federations, for the worker;
closes the assemblies' consultations whose window has ended and reminds whoever is responsible
for an agreement whose deadline is near."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from ayni.accounts.models import OneTimeCode
from ayni.accounts.scope import Scope
from ayni.accounts.services import prune_login_failures
from ayni.advocacy.services import mark_overdue
from ayni.capture.outbound import send_reminders
from ayni.governance.services import (
    announce_open_consultations,
    close_due_consultations,
    send_agreement_reminders,
)
from ayni.leadership import equity
from ayni.leadership.verification import prune_misses
from ayni.lib.partitions import ensure_partitions
from ayni.orgs.models import Organisation
from ayni.protection import services as protection
from ayni.rolls.tasks import find_duplicates


class Command(BaseCommand):
    help = ("Tareas diarias: depura intentos de ingreso fallidos antiguos y códigos vencidos, y envía los "
            "recordatorios a las cocinas sin parte diario de dos días, y pone en cola la búsqueda nocturna de "
            "duplicados en los padrones.")

    def handle(self, *args, **options):
        failures = prune_login_failures()
        codes, _ = OneTimeCode.objects.filter(expires_at__lt=timezone.now() - timezone.timedelta(days=30)).delete()
        reminders = send_reminders()
        # Assemblies: a consultation's count does not wait for a secretary, and the person
        # responsible for an agreement hears of its deadline before it passes.
        consultations = close_due_consultations()
        agreements = send_agreement_reminders()
        ballots = announce_open_consultations()
        # Advocacy: a commitment whose deadline passed without being fulfilled is overdue (vencido).
        overdue = mark_overdue()
        # Certificate codes asked that did not exist: kept only as long as the throttle looks back.
        misses = prune_misses()
        # The equity table's roll-up counts ages and terms as of a day: built here, after midnight,
        # so the first coordinator of the morning does not wait for the national rebuild.
        equity.rebuild_under("")
        # Protection: follow-up reminders to defensoras, the supervisors' weekly summary of reads,
        # and the cases at the end of their retention shredded (their month's key destroyed).
        follow_ups = protection.send_follow_up_reminders()
        summaries = protection.weekly_summaries()
        shredded = protection.shred_due(scope=Scope.system("fin de la conservación de casos (runperiodic)"))
        # PostgreSQL: next months' partitions of the growing tables, made before their first row.
        partitions = ensure_partitions()
        roots = list(Organisation.objects.filter(parent__isnull=True).values_list("pk", flat=True))
        for pk in roots:
            find_duplicates.enqueue(pk)
        self.stdout.write(f"login_failures={failures} expired_codes={codes} reminders={reminders} "
                          f"duplicate_scans={len(roots)} consultations_closed={consultations} "
                          f"agreement_reminders={agreements} ballots_announced={ballots} "
                          f"commitments_overdue={overdue} verification_misses_pruned={misses} "
                          f"protection_follow_ups={follow_ups} protection_summaries={summaries} "
                          f"protection_shredded={shredded} partitions_created={len(partitions)}")
