"""Many daily reports of one kitchen in one transaction: the path the offline sync takes.

A phone that spent a week without signal sends the week's reports together, and two hundred
phones do it at once when the network returns. Saved one by one (`services.save_daily_report`)
each report costs its own transaction, scope check, month lock and a dozen statements. Here the
scope is checked once, the kitchen's reports are read in one query, the reports, their revisions
and their audit entries are written in bulk, and each month's summary is locked and changed once
(`summaries.lock_open_month`, `summaries.bump`).

The rules are those of the single save, item by item and in order — a closed month, a future
date, a version that is no longer the current one (unless the item repeats what is saved),
numbers that need confirming — with the same messages; one item's refusal never stops the
others. The single save's helpers are used, not copied, so the two paths cannot drift apart;
`tests/test_batch_reports.py` saves the same items both ways and compares the database.
"""

import copy
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can, Scope
from ayni.audit.models import AuditEntry
from ayni.kitchens.models import DailyReport, DailyReportRevision, month_start
from ayni.kitchens.services import (
    ABSURD_MULTIPLE,
    ABSURD_PRICE,
    ABSURD_RATIONS,
    RATION_FIELDS,
    REPORT_FIELDS,
    NeedsConfirmation,
    ReportConflict,
    _report_data,
    _require_kitchen,
    _require_past,
    check_report_fields,
    report_contribution,
    same_as_saved,
    unusual_quantities,
)
from ayni.kitchens.summaries import bump, lock_open_month
from ayni.orgs.models import Organisation

# How far back `unusual_quantities` looks for the kitchen's usual number of rations.
USUAL_DAYS = 60
DECIMALS = [f for f in DailyReport._meta.concrete_fields if f.get_internal_type() == "DecimalField"]


@dataclass
class ReportItem:
    """One report to save: the arguments of `save_daily_report` besides the scope and kitchen."""

    date: datetime.date
    version: int
    confirm: bool = False
    fields: dict = field(default_factory=dict)


def _as_stored(report: DailyReport) -> DailyReport:
    """The report as the database gives it back (money with its two decimals), so that the next
    save of the same day in this batch records the same "before" as a separate save would."""
    for f in DECIMALS:
        value = getattr(report, f.attname)
        if isinstance(value, Decimal | int):
            setattr(report, f.attname, Decimal(value).quantize(Decimal(1).scaleb(-f.decimal_places)))
    return report


def _may_be_unusual(report: DailyReport, known: dict[datetime.date, DailyReport]) -> bool:
    """Whether `unusual_quantities` would warn, judged from the reports in memory, so that its
    query runs only for the rare report that needs it."""
    biggest = max(getattr(report, f) for f in RATION_FIELDS)
    if biggest > ABSURD_RATIONS or report.price_per_ration > ABSURD_PRICE:
        return True
    since = report.date - datetime.timedelta(days=USUAL_DAYS)
    usual = max((r.rations_prepared for d, r in known.items() if d >= since and d != report.date and not r.is_closed),
                default=0)
    return usual >= 10 and biggest > ABSURD_MULTIPLE * usual


class _Writes:
    """What the batch has saved so far and not yet written: the last state of each day, and a
    revision and an audit entry per accepted item."""

    def __init__(self, kitchen: Organisation, scope: Scope):
        self.kitchen, self.scope = kitchen, scope
        self.days: dict[datetime.date, DailyReport] = {}
        self.logs: list[tuple[datetime.date, int, dict, dict]] = []  # day, version, before, after
        self.created: dict[datetime.date, int] = {}  # days inserted by an earlier flush of this batch

    def add(self, report: DailyReport, before: dict, after: dict) -> None:
        self.days[report.date] = report
        self.logs.append((report.date, report.version, before, after))

    def flush(self) -> None:
        if not self.days:
            return
        for report in self.days.values():  # copied before the row it copies was inserted
            if report.pk is None and report.date in self.created:
                report.pk = self.created[report.date]
        new = [r for r in self.days.values() if r.pk is None]
        changed = [r for r in self.days.values() if r.pk is not None]
        DailyReport.objects.bulk_create(new)
        self.created.update({r.date: r.pk for r in new})
        now = timezone.now()
        for report in changed:
            report.updated_at = now  # bulk_update does not apply auto_now
        DailyReport.objects.bulk_update(changed, [*REPORT_FIELDS, "version", "updated_by", "updated_at"])
        revisions, entries = [], []
        for day, version, before, after in self.logs:
            report = self.days[day]
            for data in (before, after):  # a day first saved in this batch had no id yet
                if "id" in data and data["id"] is None:
                    data["id"] = report.pk
            revisions.append(DailyReportRevision(report=report, version=version, data=after,
                                                 saved_by=report.updated_by))
            entries.append(AuditEntry(
                actor=self.scope.actor, reason=self.scope.system_reason[:200], action="kitchen.report",
                object_type=DailyReport._meta.model_name, object_id=str(report.pk), object_label=str(report)[:200],
                org_path=self.kitchen.path, before=before, after=after))
        DailyReportRevision.objects.bulk_create(revisions)
        AuditEntry.objects.bulk_create(entries)
        self.days, self.logs = {}, []


@transaction.atomic
def save_daily_reports(*, scope: Scope, kitchen: Organisation,
                       items: list[ReportItem]) -> list[DailyReport | ValidationError]:
    """Save the kitchen's reports in order, as `save_daily_report` would one after the other.
    Returns, per item, the saved report or the `ValidationError` (`ReportConflict`,
    `NeedsConfirmation`) that refused it. A permission error or a non-kitchen refuses them all."""
    scope.require(Can.EDIT, kitchen)
    _require_kitchen(kitchen)
    outcomes: list[DailyReport | ValidationError | None] = [None] * len(items)
    for i, item in enumerate(items):
        try:
            _require_past(item.date)
        except ValidationError as exc:
            outcomes[i] = exc
    dates = [item.date for i, item in enumerate(items) if outcomes[i] is None]
    if not dates:
        return outcomes
    # Months locked in order, so two batches of the same kitchen never wait on each other crosswise.
    summaries, closed = {}, {}
    for month in sorted({month_start(d) for d in dates}):
        try:
            with transaction.atomic():  # a refused month leaves no summary row behind
                summaries[month] = lock_open_month(kitchen, month)
        except ValidationError as exc:
            closed[month] = exc
    # Every report the checks may need: the days saved and the 60 days before the earliest.
    since = min(dates) - datetime.timedelta(days=USUAL_DAYS)
    known = {r.date: r for r in DailyReport.objects.filter(kitchen=kitchen, date__gte=since)}
    for report in known.values():
        report.kitchen = kitchen  # named in the audit entries: no query per report
    contributions = {month: ([], []) for month in summaries}
    writes = _Writes(kitchen, scope)
    for i, item in enumerate(items):
        if outcomes[i] is not None:
            continue
        month = month_start(item.date)
        if month in closed:
            outcomes[i] = closed[month]
            continue
        existing = known.get(item.date)
        current = existing.version if existing else 0
        if item.version != current:
            if same_as_saved(existing, item.fields):  # the same report sent twice: already saved
                outcomes[i] = existing
                continue
            conflict = ReportConflict(
                _("Otra persona guardó el parte de este día mientras usted lo llenaba. Revise los datos que se "
                  "muestran ahora y vuelva a guardar sus cambios."), code="conflict")
            conflict.current = existing  # what the server held then, for the leader to choose
            outcomes[i] = conflict
            continue
        # A copy: a refused item must leave the day as it was for the items after it.
        report = copy.copy(existing) if existing else DailyReport(kitchen=kitchen, date=item.date)
        before = _report_data(existing) if existing else {}
        for name, value in item.fields.items():
            if name not in REPORT_FIELDS:
                raise ValueError(f"{name} is not a report field")
            setattr(report, name, value.strip() if isinstance(value, str) else value)
        try:
            check_report_fields(report)
            if _may_be_unusual(report, known):
                writes.flush()  # the check reads the database: it must hold this batch's saves
                warnings = unusual_quantities(report)
                if warnings and not item.confirm:
                    raise NeedsConfirmation(warnings)
            report.version = current + 1
            report.updated_by = scope.actor
            # The table's check constraints are left to the database: a violation makes the bulk
            # write fail, and the caller saves the items one by one, each with its own message.
            report.full_clean(exclude=["kitchen", "updated_by"], validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            outcomes[i] = exc
            continue
        writes.add(report, before, _report_data(report))
        olds, news = contributions[month]
        olds.append(report_contribution(existing))
        news.append(report_contribution(report))
        known[item.date] = _as_stored(report)
        outcomes[i] = report
    writes.flush()
    for month, (olds, news) in contributions.items():
        bump(summaries[month], _total(olds), _total(news))
    return outcomes


def _total(contributions: list[dict]) -> dict:
    totals: dict = {}
    for contribution in contributions:
        for name, value in contribution.items():
            totals[name] = totals.get(name, 0) + value
    return totals
