"""`ayni check-integrity` for advocacy: a commitment's stage is the last one its history
records, and it is overdue exactly when the daily sweep should have made it so. (Every kept
evidence file is re-hashed by `files.integrity`.)"""

import datetime

from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from ayni.advocacy.models import Commitment, StageChange


def advocacy_violations(today: datetime.date | None = None) -> list[str]:
    today = today or timezone.localdate()
    problems = []
    last = StageChange.objects.filter(commitment=OuterRef("pk")).order_by("-pk").values("stage_to")[:1]
    for pk, stage, recorded in (
        Commitment.objects.annotate(recorded=Subquery(last))
        .exclude(recorded=F("stage"))
        .values_list("pk", "stage", "recorded")
        .iterator(chunk_size=2000)
    ):
        problems.append(f"compromiso {pk}: su etapa es «{stage}» pero su historia termina en «{recorded}»")
    for pk, stage, deadline in (
        Commitment.objects.filter(overdue=True)
        .exclude(stage__in=Commitment.OPEN, deadline__lt=today)
        .values_list("pk", "stage", "deadline")
    ):
        problems.append(f"compromiso {pk}: marcado vencido con etapa «{stage}» y plazo {deadline}")
    # The sweep runs every night: a day's grace for the night it has not run yet.
    missed = Commitment.objects.filter(
        overdue=False, stage__in=Commitment.OPEN, deadline__lt=today - datetime.timedelta(days=1)
    )
    for pk, deadline in missed.values_list("pk", "deadline")[:1000]:
        problems.append(f"compromiso {pk}: abierto con plazo {deadline} y no marcado vencido")
    return problems
