"""Who reads a case: the decision (asked of the scope), the read log, and the alerts it raises.

Every read of a case — in a list, its page, a document, the printed sheet — writes one
`AccessEntry` (who, when, which part) before anything is shown. Unusual reads (many cases in a
short time, a case outside the reader's territory) raise an `Alert` for the federation's
supervisor. Nothing here carries a case's content: numbers, parts and readers only.
"""

import datetime
from dataclasses import dataclass

from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can, Scope
from ayni.protection.models import AccessEntry, Alert, BreakGlass, Case, Supervisor

# More distinct cases than this read by one person within the window is unusual.
UNUSUAL_CASES = 30
UNUSUAL_WINDOW = datetime.timedelta(hours=1)


def not_found() -> Http404:
    return Http404(_("No encontrado."))


def supervisor_of(federation_id: int | None) -> int | None:
    if federation_id is None:
        return None
    return Supervisor.objects.filter(federation_id=federation_id).values_list("account_id", flat=True).first()


def glass_until(scope: Scope, case_id: int, now: datetime.datetime) -> datetime.datetime | None:
    if scope.user_id is None:
        return None
    return (BreakGlass.objects.filter(case_id=case_id, admin_id=scope.user_id, until__gt=now)
            .order_by("-until").values_list("until", flat=True).first())


def may_read(scope: Scope, case: Case, now: datetime.datetime | None = None,
             supervisor_id: int | None = -1) -> tuple[bool, bool]:
    """(may she read it, only through break-glass). The scope decides; this gathers its facts."""
    now = now or timezone.now()
    sup = supervisor_of(case.federation_id) if supervisor_id == -1 else supervisor_id
    if scope.reads_case(defender_id=case.defender_id, supervisor_id=sup):
        return True, False
    until = glass_until(scope, case.pk, now)
    return scope.reads_case(defender_id=case.defender_id, supervisor_id=sup, glass_until=until, now=now), True


def territories(scope: Scope) -> tuple[str, ...]:
    """The paths where she is a defensora (her grants' subtrees), read once per page."""
    return tuple(path for path, _sub in scope.reach(Can.PROTECT))


@dataclass(frozen=True)
class Read:
    """What the read log needs of a case: its number, its federation, where it was recorded."""

    pk: int
    federation_id: int | None
    org_path: str


def log_reads(scope: Scope, cases: list[Read], part: str, *, item: int | None = None,
              glass: bool = False, now: datetime.datetime | None = None) -> None:
    """Write the read entries (one statement run once per case, in one commit), then look for
    unusual reading and tell the supervisor."""
    now = now or timezone.now()
    paths = territories(scope)
    outside = [glass or not c.org_path.startswith(paths) for c in cases]
    at = connection.ops.adapt_datetimefield_value(now)
    rows = [(c.pk, c.federation_id, scope.user_id, at, part, item, glass, out)
            for c, out in zip(cases, outside, strict=True)]
    if rows:
        with transaction.atomic(), connection.cursor() as cursor:  # one commit (one fsync on SQLite)
            cursor.executemany(_INSERT, rows)
    for out, case in zip(outside, cases, strict=True):
        if out and not glass:
            alert(case.federation_id, Alert.Kind.UNUSUAL, scope.user, now,
                  _("%(who)s leyó un caso fuera de su territorio (caso N.º %(n)s).")
                  % {"who": _reader(scope), "n": case.pk})
    if part != AccessEntry.Part.LIST:
        recent = (AccessEntry.objects.filter(reader_id=scope.user_id, at__gte=now - UNUSUAL_WINDOW)
                  .exclude(part=AccessEntry.Part.LIST).values("case_number").distinct().count())
        if recent == UNUSUAL_CASES + 1:  # once, as the line is crossed
            for federation_id in {c.federation_id for c in cases}:
                alert(federation_id, Alert.Kind.UNUSUAL, scope.user, now,
                      _("%(who)s abrió más de %(n)s casos en una hora.") % {"who": _reader(scope), "n": UNUSUAL_CASES})


_COLUMNS = ("case_number", "federation_id", "reader_id", "at", "part", "item", "break_glass", "outside_territory")
_INSERT = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from the model, values bound
    AccessEntry._meta.db_table, ", ".join(_COLUMNS), ", ".join(["%s"] * len(_COLUMNS)))


def _reader(scope: Scope) -> str:
    user = scope.user
    return (user.get_full_name() or user.username) if user else _("el sistema")


def alert(federation_id, kind: str, reader, now, text: str) -> Alert:
    """An alert on the supervisor's page, and a text to her phone that says only that there is
    one: a shared phone's screen must not tell an abuser anything."""
    from ayni.protection.notify import tell_supervisor

    item = Alert.objects.create(federation_id=federation_id, kind=kind, reader=reader, at=now, text=text[:300])
    tell_supervisor(federation_id)
    return item
