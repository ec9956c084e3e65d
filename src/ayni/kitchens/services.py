"""State changes of kitchen operations. Views, imports, the demo and (later) SMS and sync all
call these.

Every function that changes a report, a movement or a subsidy also changes, in the same
transaction, the stored balance and the kitchen's monthly summary by the difference it makes
(`summaries.bump`), so dashboards read small tables and never recompute. The month's summary row is
locked first (`summaries.lock_open_month`): that one lock serialises two leaders saving the same day,
a save racing the monthly close, and two movements of the same month.
"""

import copy
import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Min, Q, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can, Scope
from ayni.audit.services import record, record_columns, snapshot
from ayni.kitchens import deliveries, food_alerts
from ayni.kitchens.models import (
    INBOUND,
    OUTBOUND,
    STATE_FOOD,
    DailyReport,
    DailyReportRevision,
    DeliveryReceipt,
    DeliverySchedule,
    FoodItem,
    MonthClose,
    MonthlySummary,
    MovementKind,
    StockBalance,
    StockCount,
    StockMovement,
    SubsidyPayment,
    month_start,
    plain,
)
from ayni.kitchens.summaries import bump as _bump
from ayni.kitchens.summaries import bump_many, lock_open_months, month_label, touch
from ayni.kitchens.summaries import lock_month as _lock_month
from ayni.kitchens.summaries import lock_open_month as _lock_open_month
from ayni.lib.db import insert_columns, insert_returning, json_value, update_rows
from ayni.orgs.models import Organisation

REPORT_FIELDS = (
    "is_closed", "closed_reason", "rations_prepared", "served_paying", "served_subsidised", "served_free",
    "price_per_ration", "menu", "cooks", "cooks_count", "cash_received", "notes",
)
RATION_FIELDS = ("rations_prepared", "served_paying", "served_subsidised", "served_free")
# Above these a number is more likely a typing slip than a fact: the leader is asked to confirm.
ABSURD_RATIONS = 1000
ABSURD_MULTIPLE = 3  # times the most the kitchen prepared on any day of the last 60
ABSURD_PRICE = Decimal("30")
ABSURD_QUANTITY = Decimal("5000")
# Food going out is asked again (500 kg typed for 50) above this multiple of a positive book
# balance, or above this multiple of the most the kitchen used of the item in one line lately
# (wide enough for a week's use written in one line).
UNUSUAL_OVER_BALANCE = 3
UNUSUAL_OVER_USE = 10
USUAL_DAYS = 60
CENT = Decimal("0.01")
# The numbers of a daily report: left blank they are an error on a day that cooked, and nothing
# at all on a day that did not (it asks only for the reason).
NUMBER_FIELDS = (*RATION_FIELDS, "price_per_ration", "cash_received", "cooks_count")


class ReportConflict(ValidationError):
    """Someone else saved the day since this form was opened: nothing is overwritten."""


@dataclass(frozen=True)
class Unusual:
    """A number that is possible but more likely a slip: what is odd about it, and in a few words
    what the leader confirms by saving it anyway ("500 kg de arroz (usado en la cocina)")."""

    message: str
    confirms: str


class NeedsConfirmation(ValidationError):
    """Possible but unusual numbers: saved only when the leader confirms them. The messages say
    what is odd; `confirms` says what ticking the box means, one short phrase per number."""

    def __init__(self, warnings: list[Unusual]):
        super().__init__([w.message for w in warnings])
        self.confirms = [w.confirms for w in warnings]


def _require_kitchen(org: Organisation) -> None:
    if not org.kind.is_kitchen:
        raise ValidationError(_("%(org)s no es una cocina: no lleva parte diario ni almacén.") % {"org": org.name})


def _require_past(day: datetime.date, field: str = "date") -> None:
    if day > timezone.localdate():
        raise ValidationError({field: _("La fecha %(day)s es futura; solo se registra lo que ya pasó.")
                               % {"day": day.strftime("%d/%m/%Y")}})


# --- Monthly summaries -------------------------------------------------------------------------

def report_contribution(report: DailyReport | None) -> dict:
    if report is None:
        return {}
    return {
        "days_reported": 1, "days_cooked": 0 if report.is_closed else 1,
        "rations_prepared": report.rations_prepared, "served_paying": report.served_paying,
        "served_subsidised": report.served_subsidised, "served_free": report.served_free,
        "cash_received": report.cash_received,
    }


def movement_contribution(movement: StockMovement | None) -> dict:
    if movement is None:
        return {}
    if movement.kind == MovementKind.PURCHASE:
        return {"purchases_cost": movement.value}
    if movement.kind in STATE_FOOD:
        return {"state_food_value": movement.value}
    return {}


def subsidy_contribution(payment: SubsidyPayment | None) -> dict:
    return {"subsidy_received": payment.amount} if payment is not None else {}


# --- Daily report ------------------------------------------------------------------------------
# One rule for saving a day's report, `next_report`, with no database in it: the single save (web,
# text message, the API item by item) and the bulk save (the offline sync) read what it needs,
# call it, and write what it returns. Both answer with the same messages because they are the
# same code; `tests/test_batch_reports.py` saves the same items both ways and compares the database.

@dataclass
class ReportItem:
    """One report to save: the day, the version its form was opened on (0 for a new day),
    whether its unusual numbers are confirmed, and its `REPORT_FIELDS` as the form cleaned them."""

    date: datetime.date
    version: int
    confirm: bool = False
    fields: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ReportChange:
    """What saving one item does to its day: the report as it is to be stored (not yet written)
    and the audit's before and after. `changed` is False when the item repeats the stored report
    (a second tap, a copy sent twice): `report` is then the stored one, nothing is to be written."""

    report: DailyReport
    before: dict
    after: dict
    changed: bool = True


def usual_rations(history: Iterable[DailyReport], day: datetime.date) -> int:
    """The most the kitchen prepared on a day it cooked, among the `USUAL_DAYS` before `day`
    (and any later day already reported), `day` itself left out: what "unusual" is measured by."""
    since = day - datetime.timedelta(days=USUAL_DAYS)
    return max((r.rations_prepared for r in history if r.date >= since and r.date != day and not r.is_closed),
               default=0)


def unusual_quantities(report: DailyReport, usual: int) -> list[Unusual]:
    """Numbers that are possible but more likely slips: the leader confirms before saving.
    `usual` is `usual_rations` of the kitchen's recent reports."""
    warnings = []
    biggest = max(getattr(report, f) for f in RATION_FIELDS)
    rations = _("%(n)s raciones en el día") % {"n": biggest}
    if biggest > ABSURD_RATIONS:
        warnings.append(Unusual(_("%(n)s raciones en un día es muchísimo para una cocina. ¿Está bien la cifra?")
                                % {"n": biggest}, rations))
    elif usual >= 10 and biggest > ABSURD_MULTIPLE * usual:
        warnings.append(Unusual(_("%(n)s raciones es más del triple de lo que esta cocina preparó en los últimos "
                                  "dos meses (máximo %(usual)s). ¿Está bien la cifra?")
                                % {"n": biggest, "usual": usual}, rations))
    if report.price_per_ration > ABSURD_PRICE:
        price = plain(Decimal(report.price_per_ration))
        warnings.append(Unusual(_("S/ %(price)s por ración es un precio muy alto. ¿Está bien la cifra?")
                                % {"price": price}, _("S/ %(price)s por ración") % {"price": price}))
    return warnings


def same_as_saved(existing: DailyReport | None, fields: dict) -> bool:
    """Whether saving `fields` over the stored report would change nothing. A second tap, or a
    copy the phone sends twice, is the same report, not someone else's change: it is never a
    conflict, whatever version it was opened on. Values are compared as what they are
    (Decimal("100.00") == Decimal("100")), never as the text they were typed as."""
    if existing is None:
        return False
    incoming = copy.copy(existing)
    for name, value in fields.items():
        setattr(incoming, name, value.strip() if isinstance(value, str) else value)
    try:
        check_report_fields(incoming)
    except ValidationError:
        return False
    return all(getattr(incoming, name) == getattr(existing, name) for name in REPORT_FIELDS)


def _report_data(report: DailyReport) -> dict:
    return snapshot(report, exclude=("kitchen", "updated_by"))


def check_report_fields(report: DailyReport) -> None:
    """A report's own coherence, before anything is written: a closed day says why and serves
    nothing (its numbers may be left blank); an open day gives every number and serves no more
    than it prepared."""
    errors = {}
    if report.is_closed:
        if not report.closed_reason:
            errors["closed_reason"] = _("Indique por qué no se cocinó (sin alimentos, sin gas, feriado…).")
        for name in RATION_FIELDS:
            setattr(report, name, 0)
        report.cash_received = Decimal(0)
        # The price and the cooks are kept if she left them; blank, they are nothing to ask for.
        for name in ("price_per_ration", "cooks_count"):
            if getattr(report, name) is None:
                setattr(report, name, 0)
    else:
        report.closed_reason = ""
        for name in NUMBER_FIELDS:
            if getattr(report, name) is None:
                errors[name] = _("Escriba un número (0 si no hubo).")
        if errors:
            raise ValidationError(errors)
        if report.rations_served > report.rations_prepared:
            errors["rations_prepared"] = _("Se sirvieron %(served)s raciones pero se prepararon %(prepared)s: "
                                           "las servidas no pueden ser más que las preparadas.") % {
                "served": report.rations_served, "prepared": report.rations_prepared}
    if errors:
        raise ValidationError(errors)


def next_report(existing: DailyReport | None, item: ReportItem, *, kitchen: Organisation,
                history: Iterable[DailyReport], user) -> ReportChange:
    """The day's report after `item` is saved over `existing` (the stored one, or None), judged
    against `history` (the kitchen's reports around the day, for `usual_rations`), by `user`
    (a User, or None for the system). Reads and writes nothing, and leaves `existing` as it was.

    Raises `ReportConflict` if someone saved the day since the item's version (with `current`,
    what the server holds), `NeedsConfirmation` for unconfirmed unusual numbers, and
    `ValidationError` for an incoherent report. The table's check constraints are left to the
    caller: the single save asks the database for their messages, the bulk save lets a violation
    fail the whole batch, which is then saved item by item."""
    current = existing.version if existing else 0
    if item.version != current:
        if same_as_saved(existing, item.fields):  # already saved as it is: nothing to write, nothing to refuse
            return ReportChange(report=existing, before={}, after={}, changed=False)
        conflict = ReportConflict(
            _("Otra persona guardó el parte de este día mientras usted lo llenaba. Revise los datos que se "
              "muestran ahora y vuelva a guardar sus cambios."), code="conflict")
        conflict.current = existing  # what the server held then, for the leader to choose
        raise conflict
    # A copy: a refused item must leave the day as it was, for the caller and the items after it.
    report = copy.copy(existing) if existing else DailyReport(kitchen=kitchen, date=item.date)
    for name, value in item.fields.items():
        if name not in REPORT_FIELDS:
            raise ValueError(f"{name} is not a report field")
        setattr(report, name, value.strip() if isinstance(value, str) else value)
    check_report_fields(report)
    warnings = unusual_quantities(report, usual_rations(history, item.date))
    if warnings and not item.confirm:
        raise NeedsConfirmation(warnings)
    report.version = current + 1
    report.updated_by = user
    _clean_report(report)
    return ReportChange(report=report, before=_report_data(existing) if existing else {},
                        after=_report_data(report))


# The model's own checks of a report's fields (`full_clean`: lengths, digits, ranges) depend on
# nothing but each value, and a batch repeats the same few values field after field: each
# (field, value) found valid is remembered, and a value never seen is checked by the field
# itself. Anything refused goes to `full_clean`, whose errors are then the ones raised.
_CLEANED_FIELDS = [f for f in DailyReport._meta.fields if f.name not in ("kitchen", "updated_by")]
_REMEMBERED = {*REPORT_FIELDS, "version"}  # not the ids and instants, which never repeat
_VALID: dict = {}
_VALID_MAX = 20_000


def _clean_report(report: DailyReport) -> None:
    """`report.full_clean()` without the checks left to the database (unique, constraints)."""
    for f in _CLEANED_FIELDS:
        raw = getattr(report, f.attname)
        if f.blank and raw in f.empty_values:
            continue
        key, cleaned = None, _VALID
        if f.name in _REMEMBERED:
            try:
                key = (f.attname, type(raw), raw if type(raw) is not Decimal else str(raw))
                cleaned = _VALID.get(key, _VALID)
            except TypeError:  # not hashable: no shortcut
                key = None
        if cleaned is _VALID:
            try:
                cleaned = f.clean(raw, report)
            except ValidationError:
                report.full_clean(exclude=["kitchen", "updated_by"], validate_unique=False,
                                  validate_constraints=False)
                raise
            if key is not None and type(cleaned) is type(raw) and cleaned == raw:
                if len(_VALID) >= _VALID_MAX:
                    _VALID.clear()
                _VALID[key] = cleaned
        setattr(report, f.attname, cleaned)
    report.clean()


def _lock_day(kitchen: Organisation, date: datetime.date) -> tuple[MonthlySummary, DailyReport | None]:
    """Lock the day as every save of it does, the month's summary row first (refusing a closed
    month) and then the day's report, and return both."""
    summary = _lock_open_month(kitchen, date)
    return summary, DailyReport.objects.select_for_update().filter(kitchen=kitchen, date=date).first()


def lock_daily_report(*, kitchen: Organisation, date: datetime.date) -> DailyReport | None:
    """The day's report (or None), read under the locks its save takes, for a change worked out
    from the stored numbers (a text message states only some of them). Called inside the
    transaction that then saves, it keeps any other save of the day from landing in between,
    which would otherwise be refused as someone else's conflict."""
    return _lock_day(kitchen, date)[1]


def save_daily_report(*, scope: Scope, kitchen: Organisation, date: datetime.date, version: int,
                      confirm: bool = False, **fields) -> DailyReport:
    """Create or edit the day's report. `version` is the version the form was opened on (0 for
    a new day): if someone saved the day since, the save is refused with a conflict instead of
    overwriting her numbers. A batch of one (`save_reports`), whose refusal is raised."""
    item = ReportItem(date=date, version=version, confirm=confirm, fields=fields)
    outcome = save_reports([(scope, kitchen, item)], one=True)[0]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


# The one save of daily reports: the web form, a text message and the API's single item save a
# batch of one; the phone's offline outbox, ODK Collect's reports (saved by the task worker) and
# imports save many, of one kitchen or of hundreds. Saved one by one, each report costs its own
# transaction, scope check, month lock and a dozen statements, and its roll-up cells are moved
# once per report; here each kind of lookup is one query for the whole batch (scopes, the
# kitchens' recent reports, the month locks and closes), `next_report` decides each item in order
# against the days as the batch has left them, and the reports, their revisions and their audit
# entries are written in bulk, each summary row changed once and each roll-up cell (federation,
# district, month) once by the sum of its kitchens' differences (`summaries.bump_many`).

DECIMALS = [f for f in DailyReport._meta.concrete_fields if f.get_internal_type() == "DecimalField"]
SAVED_FIELDS = [*REPORT_FIELDS, "version", "updated_by", "updated_at"]


def _as_stored(report: DailyReport) -> DailyReport:
    """The report as the database gives it back (money with its two decimals), so that the next
    save of the same day in this batch records the same "before" as a separate save would."""
    for f in DECIMALS:
        value = getattr(report, f.attname)
        if isinstance(value, Decimal | int):
            setattr(report, f.attname, Decimal(value).quantize(Decimal(1).scaleb(-f.decimal_places)))
    return report


@dataclass
class _Saved:
    scope: Scope
    kitchen: Organisation
    change: ReportChange


def _write_reports(saved: list[_Saved]) -> None:
    """Write the last state of each day, and a revision and an audit entry per change."""
    last = {(s.kitchen.pk, s.change.report.date): s.change.report for s in saved}
    changed = [r for r in last.values() if r.pk is not None]
    insert_returning([r for r in last.values() if r.pk is None])
    now = timezone.now()
    for report in changed:
        report.updated_at = now  # written by hand: auto_now is `save`'s
    update_rows(changed, SAVED_FIELDS)
    # The revisions and audit entries as columns of values, no model instance per row; each
    # snapshot encoded once for the two tables that keep it (the revision's data is the audit's
    # "after").
    empty = json_value({})
    revisions: dict[str, list] = {"report_id": [], "report_date": [], "version": [], "data": [], "saved_by_id": []}
    entries: dict[str, list] = {name: [] for name in ("actor_id", "reason", "action", "object_type", "object_id",
                                                      "object_label", "org_path", "before", "after")}
    labels: dict[int, str] = {}
    for s in saved:
        report = s.change.report
        report.pk = last[s.kitchen.pk, report.date].pk  # an earlier state of a day first saved in this batch
        for data in (s.change.before, s.change.after):
            if "id" in data and data["id"] is None:
                data["id"] = report.pk
        after = json_value(s.change.after) if s.change.after else empty
        revisions["report_id"].append(report.pk)
        revisions["report_date"].append(report.date)
        revisions["version"].append(report.version)
        revisions["data"].append(after)
        revisions["saved_by_id"].append(report.updated_by_id)
        # As `audit.services.entry` names them (`tests/test_sync_fast_paths.py` compares).
        actor = s.scope.actor
        if s.kitchen.pk not in labels:
            labels[s.kitchen.pk] = str(s.kitchen)
        entries["actor_id"].append(actor.pk if actor is not None else None)
        entries["reason"].append(s.scope.system_reason[:200])
        entries["action"].append("kitchen.report")
        entries["object_type"].append(DailyReport._meta.model_name)
        entries["object_id"].append(str(report.pk))
        entries["object_label"].append(f"{labels[s.kitchen.pk]} {report.date:%d/%m/%Y}"[:200])
        entries["org_path"].append(s.kitchen.path)
        entries["before"].append(json_value(s.change.before) if s.change.before else empty)
        entries["after"].append(after)
    if saved:
        insert_columns(DailyReportRevision, revisions)
        record_columns(entries)


class _Day(NamedTuple):
    """A day of a kitchen's history, as `usual_rations` reads it."""

    date: datetime.date
    rations_prepared: int
    is_closed: bool


def _recent_reports(wanted: dict[int, datetime.date], kitchens: dict[int, Organisation],
                    saving: set[tuple[int, datetime.date]]) -> dict[int, dict]:
    """Per kitchen, its reports from `USUAL_DAYS` before the earliest day it saves on (the days
    saved and the history `usual_rations` needs), date → report: one query for all kitchens.
    Only the days being saved (`saving`: kitchen, date) become model instances; the others are
    the three numbers `usual_rations` reads (a batch of a busy worker reads hundreds of days of
    history: building a model for each was a third of its time)."""
    query = Q(pk__in=[])
    for kitchen_id, earliest in wanted.items():
        query |= Q(kitchen_id=kitchen_id, date__gte=earliest - datetime.timedelta(days=USUAL_DAYS))
    known: dict[int, dict] = {kitchen_id: {} for kitchen_id in wanted}
    names = [f.attname for f in DailyReport._meta.concrete_fields]
    at = {name: n for n, name in enumerate(names)}
    kitchen_at, date_at, rations_at, closed_at = at["kitchen_id"], at["date"], at["rations_prepared"], at["is_closed"]
    for row in DailyReport.objects.filter(query).values_list(*names):
        kitchen_id, day = row[kitchen_at], row[date_at]
        if (kitchen_id, day) in saving:
            report = DailyReport.from_db(connection.alias, names, row)
            report.kitchen = kitchens[kitchen_id]  # named in the audit entries: no query per report
            known[kitchen_id][day] = report
        else:
            known[kitchen_id][day] = _Day(day, row[rations_at], bool(row[closed_at]))
    return known


@transaction.atomic
def save_reports(entries: list[tuple[Scope, Organisation, ReportItem]], *,
                 one: bool = False) -> list[DailyReport | Exception]:
    """Save reports, each (scope, kitchen, item), in order, as `save_daily_report` would one after
    the other, in one transaction. Returns, per item, the saved report or what refused it —
    `ReportConflict`, `NeedsConfirmation`, a `ValidationError` (a future day, a closed month, not a
    kitchen), `PermissionDenied` or `Http404` (not hers to edit) — one item's refusal never stops
    the others. Every refusal is decided before anything is written; a table constraint broken
    in the writes breaks the whole batch, which the caller then saves item by item as batches of
    one (`one=True`), where the constraints are checked first and their messages returned."""
    outcomes: list = [None] * len(entries)
    allowed: dict[tuple[int, int], Exception | None] = {}
    for i, (scope, kitchen, item) in enumerate(entries):
        key = (id(scope), kitchen.pk)
        if key not in allowed:
            try:
                scope.require(Can.EDIT, kitchen)
                _require_kitchen(kitchen)
                allowed[key] = None
            except (ValidationError, PermissionDenied, Http404) as exc:
                allowed[key] = exc
        try:
            if allowed[key] is not None:
                raise allowed[key]
            _require_past(item.date)
        except (ValidationError, PermissionDenied, Http404) as exc:
            outcomes[i] = exc
    live = [i for i, outcome in enumerate(outcomes) if outcome is None]
    if not live:
        return outcomes
    kitchens = {entries[i][1].pk: entries[i][1] for i in live}
    # Months locked in (kitchen, month) order, so two batches never wait on each other crosswise.
    summaries, closed = lock_open_months(kitchens, {(entries[i][1].pk, month_start(entries[i][2].date))
                                                    for i in live})
    earliest: dict[int, datetime.date] = {}
    for i in live:
        kitchen_id, day = entries[i][1].pk, entries[i][2].date
        earliest[kitchen_id] = min(day, earliest.get(kitchen_id, day))
    known = _recent_reports(earliest, kitchens, {(entries[i][1].pk, entries[i][2].date) for i in live})
    contributions: dict[tuple, tuple[list, list]] = {}
    saved: list[_Saved] = []
    for i in live:
        scope, kitchen, item = entries[i]
        pair = (kitchen.pk, month_start(item.date))
        if pair in closed:
            outcomes[i] = closed[pair]
            continue
        days = known[kitchen.pk]
        existing = days.get(item.date)
        try:
            change = next_report(existing, item, kitchen=kitchen, history=days.values(), user=scope.actor)
            if one and change.changed:  # the database's own messages, for the form
                change.report.validate_constraints(exclude=["kitchen", "updated_by"])
        except ValidationError as exc:
            outcomes[i] = exc
            continue
        outcomes[i] = change.report
        if not change.changed:
            continue
        saved.append(_Saved(scope, kitchen, change))
        olds, news = contributions.setdefault(pair, ([], []))
        olds.append(report_contribution(existing))
        news.append(report_contribution(change.report))
        days[item.date] = _as_stored(change.report)
    if one and saved:
        try:
            with transaction.atomic():
                _write_reports(saved)
        except IntegrityError as exc:  # created at the same instant by someone else
            raise ReportConflict(_("Otra persona acaba de registrar el parte de este día. Vuelva a abrirlo."),
                                 code="conflict") from exc
    else:
        _write_reports(saved)
    bump_many([(summaries[pair], _total(olds), _total(news)) for pair, (olds, news) in sorted(contributions.items())],
              locked=True)
    return outcomes


def save_daily_reports(*, items: list, scope: Scope | None = None,
                       kitchen: Organisation | None = None) -> list[DailyReport | Exception]:
    """`save_reports` of (scope, kitchen, item) entries of any kitchens; or, given `scope` and
    `kitchen`, of one kitchen's `ReportItem`s, where a permission error or a non-kitchen is
    raised and refuses them all."""
    if kitchen is not None:
        scope.require(Can.EDIT, kitchen)
        _require_kitchen(kitchen)
        items = [(scope, kitchen, item) for item in items]
    return save_reports(items)


def _total(contributions: list[dict]) -> dict:
    totals: dict = {}
    for contribution in contributions:
        for name, value in contribution.items():
            totals[name] = totals.get(name, 0) + value
    return totals


@transaction.atomic
def delete_daily_report(*, scope: Scope, report: DailyReport) -> None:
    kitchen = report.kitchen
    scope.require(Can.EDIT, kitchen)
    summary = _lock_open_month(kitchen, report.date)
    report = DailyReport.objects.select_for_update().get(pk=report.pk)
    before = _report_data(report)
    _bump(summary, report_contribution(report), {})
    record(scope=scope, action="kitchen.report.delete", obj=report, org_path=kitchen.path, before=before)
    report.delete()


# --- Stock ledger ------------------------------------------------------------------------------

def _lock_balance(kitchen: Organisation, item: FoodItem) -> StockBalance:
    StockBalance.objects.get_or_create(kitchen=kitchen, item=item)
    return StockBalance.objects.select_for_update().get(kitchen=kitchen, item=item)


def _move_balance(balance: StockBalance, delta: Decimal) -> None:
    StockBalance.objects.filter(pk=balance.pk).update(quantity=F("quantity") + delta)
    balance.quantity += delta


def movement_value(kind: str, quantity: Decimal, item: FoodItem, unit_price: Decimal | None) -> Decimal:
    if kind == MovementKind.PURCHASE:
        return (quantity * (unit_price or 0)).quantize(CENT, ROUND_HALF_UP)
    if kind in STATE_FOOD:
        return (quantity * item.reference_price).quantize(CENT, ROUND_HALF_UP)
    return Decimal(0)


def unusual_outflow(*, kitchen: Organisation, item: FoodItem, date: datetime.date, kind: str, quantity: Decimal,
                    balance: Decimal) -> list[Unusual]:
    """Food going out in an amount more likely a slip than a fact: far above what the book says
    is in the store, or far above the most the kitchen used of it in one line lately. Asked
    again, not refused: the paper count may be late, a feast day may be real. A slip saved
    unasked drove one kitchen's rice to −402 kg and its coordinator's home to "no stock"."""
    if kind not in OUTBOUND:
        return []
    what = {"q": plain(quantity), "unit": item.unit, "item": item.name.lower(),
            "balance": plain(balance), "kind": MovementKind(kind).label.lower()}
    confirms = _("%(q)s %(unit)s de %(item)s (%(kind)s)") % what
    usual = Decimal(0)
    if kind == MovementKind.USED:
        since = date - datetime.timedelta(days=USUAL_DAYS)
        usual = -(StockMovement.objects.filter(kitchen=kitchen, item=item, kind=MovementKind.USED, date__gte=since)
                  .aggregate(most=Min("delta"))["most"] or 0)
    # An empty or negative book says nothing about the amount: the count will put it right, and
    # many kitchens write what they use before what came in. Only her usual use speaks then.
    far_above_balance = balance > 0 and quantity > UNUSUAL_OVER_BALANCE * balance
    if far_above_balance and not (usual and quantity <= usual):  # a normal day's use: the book is late
        return [Unusual(_("Salen %(q)s %(unit)s de %(item)s, pero en el almacén solo hay %(balance)s %(unit)s "
                          "según el kárdex. ¿Está bien la cifra?") % what, confirms)]
    if usual and quantity > UNUSUAL_OVER_USE * usual:
        return [Unusual(_("%(q)s %(unit)s de %(item)s es mucho más de lo que esta cocina suele usar (máximo "
                          "%(usual)s %(unit)s de una vez en los últimos dos meses). ¿Está bien la cifra?")
                        % {**what, "usual": plain(usual)}, confirms)]
    return []


def unusual_purchase(*, kitchen: Organisation, item: FoodItem, date: datetime.date, quantity: Decimal,
                     unit_price: Decimal | None) -> list[Unusual]:
    """A purchase more likely a slip than a fact, measured against the kitchen's own purchases of
    the item in the last two months: far more at once than she ever bought (500 kg typed for
    50), or a unit price a tenth or ten times what she paid (350 for 3.50). Such a slip would
    inflate the stock, the cost of a ration and the family-farming share; asked again, not
    refused. With no purchase of it lately, nothing to compare with: nothing asked."""
    since = date - datetime.timedelta(days=USUAL_DAYS)
    usual = StockMovement.objects.filter(kitchen=kitchen, item=item, kind=MovementKind.PURCHASE,
                                         date__gte=since).aggregate(most=Max("delta"), high=Max("unit_price"),
                                                                    low=Min("unit_price"))
    what = {"q": plain(quantity), "unit": item.unit, "item": item.name.lower()}
    out = []
    if usual["most"] and quantity > UNUSUAL_OVER_USE * usual["most"]:
        out.append(Unusual(_("%(q)s %(unit)s de %(item)s es mucho más de lo que esta cocina suele comprar (máximo "
                             "%(usual)s %(unit)s de una vez en los últimos dos meses). ¿Está bien la cifra?")
                           % {**what, "usual": plain(usual["most"])},
                           _("%(q)s %(unit)s de %(item)s (compra)") % what))
    if unit_price and usual["high"] and not (usual["low"] / UNUSUAL_OVER_USE <= unit_price
                                             <= usual["high"] * UNUSUAL_OVER_USE):
        price = {**what, "price": plain(unit_price), "low": plain(usual["low"]), "high": plain(usual["high"])}
        out.append(Unusual(_("S/ %(price)s por %(unit)s de %(item)s está muy lejos de lo que esta cocina pagó en los "
                             "últimos dos meses (entre S/ %(low)s y S/ %(high)s). ¿Está bien el precio?") % price,
                           _("S/ %(price)s por %(unit)s de %(item)s") % price))
    return out


@transaction.atomic
def record_movement(*, scope: Scope, kitchen: Organisation, item: FoodItem, date: datetime.date, kind: str,
                    quantity: Decimal, unit_price: Decimal | None = None, party: str = "", note: str = "",
                    receipt: DeliveryReceipt | None = None, confirm: bool = False) -> StockMovement:
    """Food in or out of the kitchen's store. Using more than the book balance is allowed — the
    paper count may be late — but the line is flagged for the next physical count; an amount far
    above the balance or the kitchen's usual use, or a purchase far from her usual ones, is saved
    only once confirmed (`unusual_outflow`, `unusual_purchase`)."""
    scope.require(Can.EDIT, kitchen)
    _require_kitchen(kitchen)
    _require_past(date)
    party = party.strip()
    errors = {}
    if kind not in INBOUND and kind not in OUTBOUND:
        errors["kind"] = _("Tipo de movimiento desconocido.")
    if quantity is None or quantity <= 0:
        errors["quantity"] = _("La cantidad debe ser mayor que cero.")
    elif quantity > ABSURD_QUANTITY:
        errors["quantity"] = _("%(q)s %(unit)s es demasiado para un almacén de cocina; revise la cifra.") % {
            "q": quantity, "unit": item.unit}
    if kind == MovementKind.PURCHASE:
        if unit_price is None or unit_price < 0:
            errors["unit_price"] = _("Indique el precio unitario de la compra.")
        if not party:
            errors["party"] = _("Indique a quién se compró.")
    elif kind == MovementKind.DONATION and not party:
        errors["party"] = _("Indique quién donó.")
    elif kind in (MovementKind.TRANSFER_IN, MovementKind.TRANSFER_OUT) and not party:
        errors["party"] = _("Indique la otra cocina.")
    if errors:
        raise ValidationError(errors)
    summary = _lock_open_month(kitchen, date)
    balance = _lock_balance(kitchen, item)
    if not confirm:
        warnings = unusual_outflow(kitchen=kitchen, item=item, date=date, kind=kind, quantity=quantity,
                                   balance=balance.quantity)
        if kind == MovementKind.PURCHASE:
            warnings += unusual_purchase(kitchen=kitchen, item=item, date=date, quantity=quantity,
                                         unit_price=unit_price)
        if warnings:
            raise NeedsConfirmation(warnings)
    delta = quantity if kind in INBOUND else -quantity
    movement = StockMovement.objects.create(
        kitchen=kitchen, item=item, date=date, kind=kind, delta=delta,
        unit_price=unit_price if kind == MovementKind.PURCHASE else None,
        value=movement_value(kind, quantity, item, unit_price), party=party, note=note.strip(), receipt=receipt,
        over_balance=kind in OUTBOUND and quantity > balance.quantity,
        created_by=scope.actor,
    )
    _move_balance(balance, delta)
    touch(kitchen.path)  # the kitchen's page shows its store (kitchens/kept.py)
    _bump(summary, {}, movement_contribution(movement))
    food_alerts.refresh(kitchen.pk, item, path=kitchen.path)
    record(scope=scope, action="kitchen.movement", obj=movement, org_path=kitchen.path,
           after=snapshot(movement))
    return movement


@transaction.atomic
def delete_movement(*, scope: Scope, movement: StockMovement) -> None:
    """Take back a line typed by mistake. A count's adjustment and a delivery's receipt are
    taken back with their count or receipt, never alone."""
    kitchen = movement.kitchen
    scope.require(Can.EDIT, kitchen)
    if movement.kind == MovementKind.COUNT or movement.receipt_id:
        raise ValidationError(_("Este movimiento viene de un conteo o de una recepción de entrega; anule ese "
                                "registro en su lugar."))
    summary = _lock_open_month(kitchen, movement.date)
    balance = _lock_balance(kitchen, movement.item)
    movement = StockMovement.objects.select_for_update().get(pk=movement.pk)
    _move_balance(balance, -movement.delta)
    touch(kitchen.path)
    _bump(summary, movement_contribution(movement), {})
    record(scope=scope, action="kitchen.movement.delete", obj=movement, org_path=kitchen.path,
           before=snapshot(movement))
    movement.delete()
    food_alerts.refresh(kitchen.pk, movement.item, path=kitchen.path)


@transaction.atomic
def record_count(*, scope: Scope, kitchen: Organisation, item: FoodItem, date: datetime.date, counted: Decimal,
                 note: str = "") -> StockCount:
    """A physical count: the difference from the book balance becomes a `count` movement, so
    the balance equals what is on the shelf, and lines flagged as over the balance are marked
    as seen by this count."""
    scope.require(Can.EDIT, kitchen)
    _require_kitchen(kitchen)
    _require_past(date)
    if counted is None or counted < 0:
        raise ValidationError({"counted": _("La cantidad contada no puede ser negativa.")})
    summary = _lock_open_month(kitchen, date)
    balance = _lock_balance(kitchen, item)
    difference = counted - balance.quantity
    count = StockCount.objects.create(kitchen=kitchen, item=item, date=date, counted=counted,
                                      book_balance=balance.quantity, difference=difference, note=note.strip(),
                                      created_by=scope.actor)
    if difference:
        count.movement = StockMovement.objects.create(
            kitchen=kitchen, item=item, date=date, kind=MovementKind.COUNT, delta=difference,
            note=note.strip(), created_by=scope.actor,
        )
        count.save(update_fields=["movement"])
        _move_balance(balance, difference)
        _bump(summary, {}, movement_contribution(count.movement))
    StockMovement.objects.filter(kitchen=kitchen, item=item, over_balance=True, reviewed_by_count__isnull=True,
                                 date__lte=date).update(reviewed_by_count=count)
    touch(kitchen.path)  # its balance and the lines flagged for review, on the kitchen's page
    food_alerts.refresh(kitchen.pk, item, path=kitchen.path)
    record(scope=scope, action="kitchen.count", obj=count, org_path=kitchen.path, after=snapshot(count))
    return count


def _take_back_movement(kitchen: Organisation, movement: StockMovement, summary) -> None:
    """Undo a ledger line's effect on the stored balance and the month's summary, then delete it."""
    balance = _lock_balance(kitchen, movement.item)
    _move_balance(balance, -movement.delta)
    touch(kitchen.path)
    _bump(summary, movement_contribution(movement), {})
    movement.delete()
    food_alerts.refresh(kitchen.pk, movement.item, path=kitchen.path)


@transaction.atomic
def delete_count(*, scope: Scope, count: StockCount) -> None:
    """Take back a count typed by mistake: its adjustment leaves the ledger with it, and the
    lines it had marked as reviewed wait again for the next count."""
    kitchen = count.kitchen
    scope.require(Can.EDIT, kitchen)
    summary = _lock_open_month(kitchen, count.date)
    count = StockCount.objects.select_for_update(of=("self",)).select_related("movement").get(pk=count.pk)
    record(scope=scope, action="kitchen.count.delete", obj=count, org_path=kitchen.path, before=snapshot(count))
    StockMovement.objects.filter(reviewed_by_count=count).update(reviewed_by_count=None)
    touch(kitchen.path)  # the lines it had marked as reviewed are flagged again on the kitchen's page
    movement = count.movement
    count.delete()
    if movement is not None:
        _take_back_movement(kitchen, movement, summary)


@transaction.atomic
def delete_receipt(*, scope: Scope, receipt: DeliveryReceipt) -> None:
    """Take back a receipt typed by mistake: the food it put in the ledger leaves with it, and
    the delivery counts as not received again."""
    kitchen = receipt.schedule.kitchen
    scope.require(Can.EDIT, kitchen)
    # The schedule first, as a new receipt locks it: the roll-up moves by one difference at a time.
    DeliverySchedule.objects.select_for_update().filter(pk=receipt.schedule_id).values_list("pk", flat=True).get()
    before = deliveries.state(receipt.schedule_id)
    summary = _lock_open_month(kitchen, receipt.received_on)
    movement = StockMovement.objects.select_for_update(of=("self",)).filter(receipt=receipt).first()
    record(scope=scope, action="kitchen.receipt.delete", obj=receipt, org_path=kitchen.path,
           before=snapshot(receipt))
    if movement is not None:
        _take_back_movement(kitchen, movement, summary)
    receipt.delete()
    deliveries.follow(before, deliveries.state(receipt.schedule_id))


# --- Deliveries and subsidies ------------------------------------------------------------------

@transaction.atomic
def create_schedule(*, scope: Scope, kitchen: Organisation, municipality, item: FoodItem, quantity: Decimal,
                    period_start: datetime.date, period_end: datetime.date, due_on: datetime.date,
                    programme: str = "PCA", kind: str = MovementKind.STATE_DELIVERY) -> DeliverySchedule:
    """Record what the municipality's programme promised this kitchen."""
    scope.require(Can.EDIT, kitchen)
    _require_kitchen(kitchen)
    errors = {}
    if quantity is None or quantity <= 0:
        errors["quantity"] = _("La cantidad prometida debe ser mayor que cero.")
    if period_end < period_start:
        errors["period_end"] = _("El periodo termina antes de empezar: revise las fechas.")
    if kind not in STATE_FOOD:
        errors["kind"] = _("Tipo de entrega desconocido.")
    if errors:
        raise ValidationError(errors)
    schedule = DeliverySchedule.objects.create(
        kitchen=kitchen, municipality=municipality, item=item, quantity=quantity, period_start=period_start,
        period_end=period_end, due_on=due_on, programme=programme.strip() or "PCA", kind=kind,
    )
    deliveries.follow(None, deliveries.state(schedule.pk))
    record(scope=scope, action="kitchen.schedule", obj=schedule, org_path=kitchen.path, after=snapshot(schedule))
    return schedule


def over_promise(schedule: DeliverySchedule, quantity: Decimal) -> list[Unusual]:
    """More arriving than the delivery still owed: most often the wrong delivery was picked (one
    from months ago), sometimes a real extra. Asked again, never refused."""
    received = schedule.receipts.aggregate(total=Sum("quantity"))["total"] or Decimal(0)
    if received + quantity <= schedule.quantity:
        return []
    what = {"q": plain(quantity), "unit": schedule.item.unit, "item": schedule.item.name.lower(),
            "promised": plain(schedule.quantity), "got": plain(received), "due": schedule.due_on.strftime("%d/%m/%Y"),
            "over": plain(received + quantity - schedule.quantity)}
    message = (_("Llegan %(q)s %(unit)s de %(item)s, pero la entrega del %(due)s prometió %(promised)s %(unit)s y ya "
                 "se recibieron %(got)s: serían %(over)s %(unit)s de más. ¿Es de otra entrega?") if received else
               _("Llegan %(q)s %(unit)s de %(item)s, pero la entrega del %(due)s prometió %(promised)s %(unit)s: "
                 "serían %(over)s %(unit)s de más. ¿Es de otra entrega?")) % what
    return [Unusual(message, _("llegaron %(q)s %(unit)s para la entrega del %(due)s") % what)]


@transaction.atomic
def record_receipt(*, scope: Scope, schedule: DeliverySchedule | None, received_on: datetime.date, quantity: Decimal,
                   condition: str = DeliveryReceipt.Condition.GOOD, note: str = "",
                   confirm: bool = False) -> DeliveryReceipt:
    """What arrived for a promised delivery; the food enters the ledger in the same step. More
    than was promised is saved only once confirmed (`over_promise`)."""
    if schedule is None:
        raise ValidationError({"schedule": _("Esa entrega programada no existe. Elija una de la lista o pida a "
                                             "la coordinación que la registre.")})
    kitchen = schedule.kitchen
    scope.require(Can.EDIT, kitchen)
    _require_past(received_on, "received_on")
    if quantity is None or quantity <= 0:
        raise ValidationError({"quantity": _("La cantidad recibida debe ser mayor que cero.")})
    if condition not in DeliveryReceipt.Condition.values:
        raise ValidationError({"condition": _("Estado desconocido.")})
    # Locked, so two receipts saved at once are both counted against what was promised.
    schedule = DeliverySchedule.objects.select_for_update().select_related("item", "kitchen").get(pk=schedule.pk)
    if not confirm:
        warnings = over_promise(schedule, quantity)
        if warnings:
            raise NeedsConfirmation(warnings)
    before = deliveries.state(schedule.pk)
    receipt = DeliveryReceipt.objects.create(
        schedule=schedule, received_on=received_on, quantity=quantity, condition=condition, note=note.strip(),
        created_by=scope.actor,
    )
    record_movement(scope=scope, kitchen=kitchen, item=schedule.item, date=received_on, kind=schedule.kind,
                    quantity=quantity, party=schedule.programme, note=note, receipt=receipt, confirm=True)
    deliveries.follow(before, deliveries.state(schedule.pk))
    record(scope=scope, action="kitchen.receipt", obj=receipt, org_path=kitchen.path, after=snapshot(receipt))
    return receipt


@transaction.atomic
def record_subsidy(*, scope: Scope, kitchen: Organisation, month: datetime.date, amount: Decimal,
                   received_on: datetime.date, note: str = "") -> SubsidyPayment:
    scope.require(Can.EDIT, kitchen)
    _require_kitchen(kitchen)
    _require_past(received_on, "received_on")
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("El monto debe ser mayor que cero.")})
    month = month_start(month)
    summary = _lock_open_month(kitchen, month)
    payment = SubsidyPayment.objects.create(kitchen=kitchen, month=month, amount=amount, received_on=received_on,
                                            note=note.strip())
    _bump(summary, {}, subsidy_contribution(payment))
    record(scope=scope, action="kitchen.subsidy", obj=payment, org_path=kitchen.path, after=snapshot(payment))
    return payment


@transaction.atomic
def delete_subsidy(*, scope: Scope, payment: SubsidyPayment) -> None:
    kitchen = payment.kitchen
    scope.require(Can.EDIT, kitchen)
    summary = _lock_open_month(kitchen, payment.month)
    _bump(summary, subsidy_contribution(payment), {})
    record(scope=scope, action="kitchen.subsidy.delete", obj=payment, org_path=kitchen.path,
           before=snapshot(payment))
    payment.delete()


# --- Monthly close -----------------------------------------------------------------------------

def _json_totals(summary: MonthlySummary) -> dict:
    return {f: str(v) for f, v in summary.as_totals().items()}


@transaction.atomic
def close_month(*, scope: Scope, kitchen: Organisation, month: datetime.date) -> MonthClose:
    """The leader closes a finished month: its totals are frozen for the coordination to validate."""
    scope.require(Can.EDIT, kitchen)
    _require_kitchen(kitchen)
    month = month_start(month)
    if month > month_start(timezone.localdate()):
        raise ValidationError(_("El mes %(month)s aún no empieza.") % {"month": month_label(month)})
    summary = _lock_month(kitchen, month)
    close = MonthClose.objects.select_for_update().filter(kitchen=kitchen, month=month).first()
    if close is not None and close.is_locked:
        raise ValidationError(_("El mes %(month)s ya está cerrado.") % {"month": month_label(month)})
    before = snapshot(close) if close else {}
    close = close or MonthClose(kitchen=kitchen, month=month)
    close.status = MonthClose.Status.CLOSED
    close.totals = _json_totals(summary)
    close.closed_by = scope.actor
    close.closed_at = timezone.now()
    close.save()
    record(scope=scope, action="kitchen.month.close", obj=kitchen, org_path=kitchen.path, before=before,
           after={"month": month.isoformat(), **close.totals})
    return close


def _review(scope: Scope, kitchen: Organisation, month: datetime.date) -> MonthClose:
    scope.require(Can.VALIDATE, kitchen)
    month = month_start(month)
    _lock_month(kitchen, month)
    close = MonthClose.objects.select_for_update().filter(kitchen=kitchen, month=month).first()
    if close is None or close.status != MonthClose.Status.CLOSED:
        raise ValidationError(_("El mes %(month)s no está cerrado por la cocina: no hay nada que revisar.")
                              % {"month": month_label(month)})
    close.reviewed_by = scope.actor
    close.reviewed_at = timezone.now()
    return close


@transaction.atomic
def validate_month(*, scope: Scope, kitchen: Organisation, month: datetime.date) -> MonthClose:
    """The coordination validates the month: from now on it is locked."""
    close = _review(scope, kitchen, month)
    close.status = MonthClose.Status.VALIDATED
    close.save()
    record(scope=scope, action="kitchen.month.validate", obj=kitchen, org_path=kitchen.path,
           after={"month": close.month.isoformat()})
    return close


@transaction.atomic
def return_month(*, scope: Scope, kitchen: Organisation, month: datetime.date, comment: str) -> MonthClose:
    """The coordination sends the month back with a comment; the kitchen can correct it."""
    if not comment.strip():
        raise ValidationError({"comment": _("Escriba qué debe corregir la cocina.")})
    close = _review(scope, kitchen, month)
    close.status = MonthClose.Status.RETURNED
    close.comment = comment.strip()
    close.save()
    record(scope=scope, action="kitchen.month.return", obj=kitchen, org_path=kitchen.path,
           after={"month": close.month.isoformat(), "comment": close.comment})
    return close
