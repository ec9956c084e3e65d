"""The monthly summaries: one row per kitchen and month, changed by the difference each save
makes, in the saving transaction. Everything that writes `MonthlySummary` goes through here
(the services, the sync batch path, the demo), so whatever else is kept beside the summaries
stays in step with them.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from ayni.kitchens.models import SUMMARY_FIELDS, MonthClose, MonthlySummary, month_start
from ayni.orgs.models import Organisation


def month_label(month: datetime.date) -> str:
    return month.strftime("%m/%Y")


def lock_month(kitchen: Organisation, month: datetime.date) -> MonthlySummary:
    MonthlySummary.objects.get_or_create(kitchen=kitchen, month=month, defaults={"path": kitchen.path})
    return MonthlySummary.objects.select_for_update().get(kitchen=kitchen, month=month)


def lock_open_month(kitchen: Organisation, day: datetime.date) -> MonthlySummary:
    """Lock the month's summary row and refuse the change if the month is closed."""
    month = month_start(day)
    summary = lock_month(kitchen, month)
    close = MonthClose.objects.filter(kitchen=kitchen, month=month).first()
    if close is not None and close.is_locked:
        if close.status == MonthClose.Status.VALIDATED:
            message = _("El mes %(month)s ya fue validado por la coordinación y no se puede modificar.")
        else:
            message = _("El mes %(month)s está cerrado. Para corregirlo, pida a la coordinación que lo devuelva.")
        raise ValidationError(message % {"month": month_label(month)}, code="month_closed")
    return summary


def bump(summary: MonthlySummary, old: dict, new: dict) -> None:
    """Add to the locked summary row the difference between a row's new and old contribution."""
    delta = {f: new.get(f, 0) - old.get(f, 0) for f in SUMMARY_FIELDS}
    delta = {f: v for f, v in delta.items() if v}
    if delta:
        MonthlySummary.objects.filter(pk=summary.pk).update(**{f: F(f) + v for f, v in delta.items()})


def follow_moved_subtree(sender, instance, created, **kwargs) -> None:
    """When a subtree moves, its kitchens' monthly summaries take the new path (same
    transaction as the move), so a federation's totals keep being one prefix query."""
    if not created or instance.action != "org.move":
        return
    old, new = instance.before.get("path"), instance.after.get("path")
    if old and new and old != new:
        MonthlySummary.objects.filter(path__startswith=old).update(
            path=Concat(Value(new), Substr("path", len(old) + 1)))


def bulk_create(rows: list[MonthlySummary], batch_size: int = 2000) -> None:
    """Insert finished summary rows in bulk (the demo and bulk loads). Callers build the totals
    themselves; this is the one place bulk summary rows enter the database."""
    MonthlySummary.objects.bulk_create(rows, batch_size=batch_size)
