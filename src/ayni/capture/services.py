"""Capture's state changes: store every submission raw, then process it with the domains'
own services. API items, the phone's offline outbox and text messages all come through here.

Two rules make a resend or a replay harmless:
- a submission is stored (and committed) before it is processed, keyed by its client id;
- processing writes the domain row and the submission's final state in one transaction, so
  after a crash either both exist or neither, and a replay finishes the job exactly once.
"""

import datetime
import logging
import re
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from ayni.accounts.models import Role, RoleGrant, User
from ayni.accounts.scope import Scope
from ayni.capture import sms
from ayni.capture.gateways import GATEWAYS
from ayni.capture.models import SIGNED_ID_GATEWAYS, Channel, Inbound, OutboundMessage, content_hash, sender_phone
from ayni.kitchens import services as kitchens
from ayni.kitchens.batch import ReportItem, save_daily_reports
from ayni.kitchens.forms import DailyReportForm, MovementForm
from ayni.kitchens.models import DailyReport, FoodItem, plain
from ayni.lib.phone import normalize_phone
from ayni.lib.text import fold, strip_controls
from ayni.orgs.models import Organisation
from ayni.people.models import Position
from ayni.people.selectors import find_by_dni
from ayni.rolls import services as rolls
from ayni.rolls.forms import AddToRollForm

log = logging.getLogger(__name__)

MAX_BATCH = 500
# Text messages: more than this many from one number within the window are stored but not
# processed (a phone stuck resending, or someone flooding us), and answered with one notice.
RATE_LIMIT = 5
RATE_WINDOW = datetime.timedelta(seconds=60)
# Nobody types two texts within a few seconds: a burst is a machine, and gets one answer.
REPLY_GAP = datetime.timedelta(seconds=5)
REMINDER_AFTER_DAYS = 2
# Reminders go out between these hours (local time); worked out at night, they wait for the morning.
REMINDER_FROM, REMINDER_UNTIL = 8, 20


class Outcome:
    ACCEPTED = "accepted"
    INVALID = "invalid"
    NEEDS_CONFIRMATION = "needs_confirmation"
    CONFLICT = "conflict"
    ID_REUSED = "id_reused"
    FORBIDDEN = "forbidden"
    FAILED = "failed"


# The HTTP-like code of each per-item outcome, so a client can branch on a number.
CODES = {Outcome.ACCEPTED: 201, Outcome.INVALID: 422, Outcome.NEEDS_CONFIRMATION: 422, Outcome.CONFLICT: 409,
         Outcome.ID_REUSED: 409, Outcome.FORBIDDEN: 403, Outcome.FAILED: 500}
STATUS_OF = {Outcome.ACCEPTED: Inbound.Status.ACCEPTED, Outcome.CONFLICT: Inbound.Status.CONFLICT,
             Outcome.FAILED: Inbound.Status.FAILED}


def _result(inbound: Inbound | None, outcome: str, client_id: str = "", **extra) -> dict:
    return {"client_id": inbound.client_id if inbound else client_id, "status": outcome, "code": CODES[outcome],
            **extra}


def _errors(source) -> dict[str, list[str]]:
    """Field → messages, from a form's errors or a ValidationError; '__all__' for the rest."""
    if hasattr(source, "error_dict") or hasattr(source, "error_list"):
        return ({f: [str(m) for m in msgs] for f, msgs in source.message_dict.items()}
                if hasattr(source, "error_dict") else {"__all__": [str(m) for m in source.messages]})
    return {f: [str(m) for m in msgs] for f, msgs in source.items()}


# --- Storing ---------------------------------------------------------------------------------

def store(*, channel: str, kind: str, payload, user=None, kitchen: Organisation | None = None, sender: str = "",
          client_id: str = "", gateway: str = "") -> tuple[Inbound, bool]:
    """Store one submission raw and commit it, or find the one already stored under the same
    client id — for a text through a gateway whose ids are not signed, the same id and the same
    content (`SIGNED_ID_GATEWAYS`). Returns (inbound, created)."""
    client_id = (client_id or "")[:64]
    payload_hash = content_hash(payload)
    lookup = None
    if client_id:
        if kind != Inbound.Kind.MESSAGE:
            lookup = {"user": user, "client_id": client_id}
        elif gateway in SIGNED_ID_GATEWAYS:
            lookup = {"kind": kind, "gateway": gateway, "client_id": client_id}
        else:  # an id used again for another text (an app reinstalled) is another text: stored too
            lookup = {"kind": kind, "gateway": gateway, "client_id": client_id, "payload_hash": payload_hash}
        existing = Inbound.objects.filter(**lookup).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            inbound = Inbound.objects.create(
                channel=channel, kind=kind, payload=payload, payload_hash=payload_hash, user=user,
                kitchen=kitchen, sender=sender, phone=sender_phone(sender), client_id=client_id, gateway=gateway,
            )
    except IntegrityError:
        if lookup is None:
            raise
        return Inbound.objects.get(**lookup), False  # the same resend, a moment earlier
    return inbound, True


# --- Processing ------------------------------------------------------------------------------

def _date(payload: dict) -> datetime.date:
    try:
        return datetime.date.fromisoformat(str(payload.get("date", "")))
    except ValueError:
        raise ValidationError({"date": _("Falta la fecha o no se entiende; escríbala como AAAA-MM-DD.")}) from None


def _report_item(inbound: Inbound) -> ReportItem:
    """The stored report as the arguments of a save, checked by the web form's own rules."""
    payload = inbound.payload
    day = _date(payload)
    # Counts and money left out mean zero, as on the paper form; the version never defaults to
    # "whatever is there now", so an old copy cannot overwrite a newer report.
    data = {"rations_prepared": 0, "served_paying": 0, "served_subsidised": 0, "served_free": 0,
            "price_per_ration": 0, "cash_received": 0, "cooks_count": 0, "version": 0}
    data.update({k: v for k, v in payload.items() if v is not None})
    fields = _clean_report(data)
    version, confirm = fields.pop("version"), fields.pop("confirm")
    return ReportItem(date=day, version=version, confirm=confirm, fields=fields)


def _clean_report(data: dict) -> dict:
    """What `DailyReportForm(data)` cleans, or its errors, field by field
    without making the form: a form copies every field and widget when it is made, which was
    most of the cost of checking a sync's thousands of reports. Should the form ever check
    anything beyond its fields, the form itself is used."""
    form_class = DailyReportForm
    fields = form_class.base_fields
    if form_class.clean is not forms.Form.clean or any(hasattr(form_class, f"clean_{n}") for n in fields):
        form = form_class(data)
        if not form.is_valid():
            raise ValidationError(_errors(form.errors))
        return dict(form.cleaned_data)
    cleaned, errors = {}, {}
    for name, field in fields.items():
        try:
            cleaned[name] = field.clean(field.widget.value_from_datadict(data, {}, name))
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def _apply_report(inbound: Inbound, scope: Scope) -> dict:
    item = _report_item(inbound)
    report = kitchens.save_daily_report(scope=scope, kitchen=inbound.kitchen, date=item.date,
                                        version=item.version, confirm=item.confirm, **item.fields)
    return {"id": report.pk, "version": report.version}


def _apply_movement(inbound: Inbound, scope: Scope) -> dict:
    form = MovementForm(inbound.payload)
    if not form.is_valid():
        raise ValidationError(_errors(form.errors))
    line = kitchens.record_movement(scope=scope, kitchen=inbound.kitchen, **form.cleaned_data)
    return {"id": line.pk}


def _apply_roll_entry(inbound: Inbound, scope: Scope) -> dict:
    form = AddToRollForm(inbound.payload)
    if not form.is_valid():
        raise ValidationError(_errors(form.errors))
    fields = form.person_fields()
    # The same DNI is the same person, if the key's owner may see her (else it is held for review
    # and the result names nobody); without a DNI a new person is created and the duplicate
    # finder suggests a merge later, as for an Excel import.
    person = find_by_dni(scope, fields["dni"]).person
    entry = rolls.register_entry(scope=scope, kitchen=inbound.kitchen, person=person,
                                 **form.entry_fields(), **({} if person else fields))
    return {"id": entry.pk}


HANDLERS = {
    Inbound.Kind.REPORT: _apply_report,
    Inbound.Kind.MOVEMENT: _apply_movement,
    Inbound.Kind.ROLL_ENTRY: _apply_roll_entry,
}


def _report_state(report: DailyReport | None) -> dict:
    if report is None:
        return {}
    data = {f: getattr(report, f) for f in kitchens.REPORT_FIELDS}
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in data.items()} | {"version": report.version}


def _current_report(inbound: Inbound) -> dict:
    """What the server holds for the day, so the leader can choose between the two."""
    try:
        day = _date(inbound.payload)
    except ValidationError:
        return {}
    return _report_state(DailyReport.objects.filter(kitchen=inbound.kitchen, date=day).first())


def _refusal(inbound: Inbound, exc: Exception) -> dict:
    """The result of an item its service refused (or that broke)."""
    if isinstance(exc, kitchens.ReportConflict):
        current = _report_state(exc.current) if hasattr(exc, "current") else _current_report(inbound)
        return _result(inbound, Outcome.CONFLICT, message=exc.messages[0], current=current)
    if isinstance(exc, kitchens.NeedsConfirmation):
        return _result(inbound, Outcome.NEEDS_CONFIRMATION, warnings=exc.messages,
                       message=_("Cifras poco comunes: revíselas y envíe de nuevo con la confirmación."))
    if isinstance(exc, ValidationError):
        return _result(inbound, Outcome.INVALID, errors=_errors(exc),
                       message=_("No se guardó: revise los datos marcados."))
    if isinstance(exc, PermissionDenied | Http404):
        return _result(inbound, Outcome.FORBIDDEN, message=_("No tiene permiso para registrar en esta cocina."))
    # A bug or an outage: keep the raw row, retry with `ayni replay-inbound`.
    log.error("capture: inbound %s failed", inbound.pk, exc_info=exc)
    return _result(inbound, Outcome.FAILED,
                   message=_("Error del servidor; el envío quedó guardado y se volverá a procesar."))


def _settle(inbound: Inbound, result: dict) -> None:
    """Set the submission's final state from its result (the caller saves it)."""
    inbound.status = STATUS_OF.get(result["status"], Inbound.Status.REJECTED)
    inbound.result = result
    details = [m for msgs in (result.get("errors") or {}).values() for m in msgs] + result.get("warnings", [])
    inbound.error = (" ".join([result.get("message", ""), *details]).strip()
                     if result["status"] != Outcome.ACCEPTED else "")
    inbound.processed_at = timezone.now()


SETTLED_FIELDS = ["status", "result", "error", "attempts", "processed_at"]


def scope_of(inbound: Inbound) -> Scope:
    """Whom a stored submission acts for when no request brings her scope (a replay, a text
    message): the account that sent it; a text from the registered phone of a board member
    without an account is authorised by that phone, and the system applies it, saying so in the
    audit trail. Anything else without an account may do nothing."""
    if inbound.user is None and inbound.kind == Inbound.Kind.MESSAGE and inbound.kitchen is not None:
        return Scope.system(f"mensaje de texto ({inbound.get_channel_display()}) del {inbound.sender}, celular de "
                            f"la directiva de {inbound.kitchen.name}")
    return Scope.for_user(inbound.user)


def process(inbound: Inbound, scope: Scope | None = None) -> Inbound:
    """Apply one stored submission, once, as `scope` (by default `scope_of` it). A submission
    already in a final state is left as it is, so calling this again (a resend, a replay) returns
    the first result."""
    if inbound.kind == Inbound.Kind.MESSAGE:
        return process_message(inbound)
    with transaction.atomic():
        inbound = Inbound.objects.select_for_update(of=("self",)).select_related("kitchen", "user").get(pk=inbound.pk)
        if inbound.status not in Inbound.PENDING:
            return inbound
        inbound.attempts += 1
        scope = scope or scope_of(inbound)
        try:
            with transaction.atomic():
                result = _result(inbound, Outcome.ACCEPTED, **HANDLERS[inbound.kind](inbound, scope))
        except Exception as exc:  # noqa: BLE001 - every refusal and failure becomes the item's result
            result = _refusal(inbound, exc)
        _settle(inbound, result)
        inbound.save(update_fields=SETTLED_FIELDS)
    return inbound


def _reused(inbound: Inbound, *, kitchen: Organisation, kind: str, payload) -> bool:
    return inbound.payload_hash != content_hash(payload) or inbound.kitchen_id != kitchen.pk or inbound.kind != kind


def _reused_result(client_id: str) -> dict:
    return _result(None, Outcome.ID_REUSED, client_id=client_id,
                   message=_("Este identificador ya se usó para otro envío con datos distintos; no se "
                             "guardó nada. Use un identificador nuevo."))


def submit(*, channel: str, scope: Scope, kitchen: Organisation, kind: str, client_id: str, payload: dict) -> dict:
    """Store and process one item of a batch. The same client id with the same content gives
    the original result; with different content, a conflict — never a second record."""
    inbound, created = store(channel=channel, kind=kind, payload=payload, user=scope.actor, kitchen=kitchen,
                             client_id=client_id)
    if not created and _reused(inbound, kitchen=kitchen, kind=kind, payload=payload):
        return _reused_result(client_id)
    return process(inbound, scope).result


# --- Batches ---------------------------------------------------------------------------------
# A phone back in signal sends everything it kept, and all the phones of a district do it when
# the antenna returns. A batch is stored in one transaction and its reports are saved in another
# (`kitchens.batch`), instead of two transactions and a dozen statements per item; the results
# are the ones `submit` would give item by item.

def store_batch(*, channel: str, user, kitchen: Organisation,
                items: list[tuple[str, str, dict]]) -> list[tuple[Inbound, bool]]:
    """Store (kind, client id, payload) items raw and commit them, finding those already stored
    under the same client id (an item repeated within the batch finds its first copy).
    Returns (inbound, created) per item, as `store` does."""
    items = [(kind, (client_id or "")[:64], payload) for kind, client_id, payload in items]
    hashes = [content_hash(payload) for _kind, _client_id, payload in items]
    try:
        with transaction.atomic():
            seen = {i.client_id: i for i in Inbound.objects.filter(
                user=user, client_id__in={c for _k, c, _p in items if c}).exclude(kind=Inbound.Kind.MESSAGE)}
            stored, new = [], []
            for (kind, client_id, payload), payload_hash in zip(items, hashes, strict=True):
                if client_id in seen:
                    stored.append((seen[client_id], False))
                    continue
                inbound = Inbound(channel=channel, kind=kind, payload=payload, payload_hash=payload_hash,
                                  user=user, kitchen=kitchen, client_id=client_id)
                if client_id:
                    seen[client_id] = inbound
                stored.append((inbound, True))
                new.append(inbound)
            Inbound.objects.bulk_create(new)
    except IntegrityError:  # a resend of the same items raced this one: one by one, the database decides
        return [store(channel=channel, kind=kind, payload=payload, user=user, kitchen=kitchen, client_id=client_id)
                for kind, client_id, payload in items]
    return stored


def process_reports(inbounds: list[Inbound], scope: Scope | None = None) -> dict[int, dict]:
    """Apply stored reports together, once, in the order given (oldest first): one transaction
    that saves the reports of each kitchen in bulk and settles their submissions. Those already
    in a final state keep their first result. Returns the result per inbound id."""
    order = {inbound.pk: n for n, inbound in enumerate(inbounds)}
    results: dict[int, dict] = {}
    # Read and checked before the transaction (a stored payload never changes), so that the
    # database stays locked only while the reports are written.
    parsed = {inbound.pk: _parse_report(inbound) for inbound in inbounds}
    kitchens_of = Organisation.objects.select_related("kind").in_bulk({i.kitchen_id for i in inbounds})
    users = User.objects.in_bulk({i.user_id for i in inbounds})
    with transaction.atomic():
        # Their state read again under the lock (taken in id order, as every batch does, so two
        # resends of overlapping items wait in turn): one of them may have settled them.
        states = {pk: rest for pk, *rest in Inbound.objects.select_for_update().filter(pk__in=order)
                  .order_by("pk").values_list("pk", "status", "result", "attempts")}
        pending = []
        for inbound in inbounds:
            inbound.status, inbound.result, inbound.attempts = states[inbound.pk]
            if inbound.status in Inbound.PENDING:
                pending.append(inbound)
            else:
                results[inbound.pk] = inbound.result
        groups: dict[tuple, list[Inbound]] = {}
        for inbound in pending:
            inbound.attempts += 1
            inbound.kitchen, inbound.user = kitchens_of.get(inbound.kitchen_id), users.get(inbound.user_id)
            groups.setdefault((inbound.kitchen_id, inbound.user_id), []).append(inbound)
        for group in groups.values():
            results.update(_save_reports(group, parsed, scope or scope_of(group[0])))
        for inbound in pending:
            _settle(inbound, results[inbound.pk])
        _save_settled(pending)
    return results


def _save_settled(inbounds: list[Inbound]) -> None:
    """Write the final state of many submissions: one prepared UPDATE run for all rows
    (`bulk_update` builds a CASE per field and row, slower than the reports' own saving)."""
    fields = [Inbound._meta.get_field(name) for name in SETTLED_FIELDS]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608 - names from the model, values bound
        quote(Inbound._meta.db_table), ", ".join(f"{quote(f.column)} = %s" for f in fields), quote("id"))
    rows = [[f.get_db_prep_save(getattr(inbound, f.attname), connection) for f in fields] + [inbound.pk]
            for inbound in inbounds]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _parse_report(inbound: Inbound) -> ReportItem | ValidationError:
    try:
        return _report_item(inbound)
    except ValidationError as exc:
        return exc


def _save_reports(group: list[Inbound], items_of: dict[int, ReportItem | ValidationError],
                  scope: Scope) -> dict[int, dict]:
    """One kitchen's and one sender's stored reports, saved together."""
    results, items, parsed = {}, [], []
    for inbound in group:
        item = items_of[inbound.pk]
        if isinstance(item, ValidationError):
            results[inbound.pk] = _refusal(inbound, item)
        else:
            items.append(item)
            parsed.append(inbound)
    if not parsed:
        return results
    try:
        with transaction.atomic():
            outcomes = save_daily_reports(scope=scope, kitchen=parsed[0].kitchen, items=items)
    except (ValidationError, PermissionDenied, Http404) as exc:  # the whole batch: not her kitchen, not a kitchen
        return results | {inbound.pk: _refusal(inbound, exc) for inbound in parsed}
    except Exception:  # noqa: BLE001 - whatever broke the batch, the items get their own chance
        log.exception("capture: batch of %s reports failed; saving them one by one", len(parsed))
        for inbound in parsed:
            try:
                with transaction.atomic():
                    results[inbound.pk] = _result(inbound, Outcome.ACCEPTED, **_apply_report(inbound, scope))
            except Exception as exc:  # noqa: BLE001
                results[inbound.pk] = _refusal(inbound, exc)
        return results
    for inbound, outcome in zip(parsed, outcomes, strict=True):
        results[inbound.pk] = (_refusal(inbound, outcome) if isinstance(outcome, Exception) else
                               _result(inbound, Outcome.ACCEPTED, id=outcome.pk, version=outcome.version))
    return results


def submit_batch(*, channel: str, scope: Scope, kitchen: Organisation,
                 items: list[tuple[str, str, dict]]) -> list[dict]:
    """Store and process the (kind, client id, payload) items of an API batch: one result per
    item, in order, the same `submit` would give for each."""
    stored = store_batch(channel=channel, user=scope.actor, kitchen=kitchen, items=items)
    results: list[dict | None] = [None] * len(items)
    reports: dict[int, Inbound] = {}  # in the batch's order; an item repeated in it is saved once
    for n, ((kind, client_id, payload), (inbound, created)) in enumerate(zip(items, stored, strict=True)):
        if not created and _reused(inbound, kitchen=kitchen, kind=kind, payload=payload):
            results[n] = _reused_result(client_id)
        elif inbound.kind == Inbound.Kind.REPORT:
            reports.setdefault(inbound.pk, inbound)
    saved = process_reports(list(reports.values()), scope) if reports else {}
    for n, (inbound, _created) in enumerate(stored):
        if results[n] is None:
            results[n] = saved[inbound.pk] if inbound.pk in saved else process(inbound, scope).result
    return results


def replay(*, statuses=Inbound.PENDING, ids=None, limit: int | None = None) -> dict[str, int]:
    """Process stored submissions again, oldest first: the ones that failed, were throttled or
    never got processed (the server died in between). Final ones are untouched."""
    query = Inbound.objects.filter(status__in=statuses).order_by("received_at", "id")
    if ids:
        query = query.filter(pk__in=ids)
    counts: dict[str, int] = {}
    for inbound in query[:limit]:
        if inbound.kind == Inbound.Kind.MESSAGE:
            inbound = process_message(inbound, replay=True)
        else:
            inbound = process(inbound)
        counts[inbound.status] = counts.get(inbound.status, 0) + 1
    return counts


# --- Text messages ---------------------------------------------------------------------------

def e164(phone: str) -> str:
    """'912345678' → '+51912345678', what gateways expect."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"+51{digits}" if len(digits) == 9 else (f"+{digits}" if digits else phone)


def identify(sender: str) -> tuple[User | None, Organisation | None, str]:
    """The leader and her kitchen from the phone number: her account's phone, or the phone of a
    person holding a current board position in a kitchen. Returns (actor, kitchen, error)."""
    try:
        phone = normalize_phone(sender)
    except ValidationError:
        phone = ""
    unknown = _("Este número no está registrado en Ayni. Pida a su coordinadora que anote su celular.")
    if not phone:
        return None, None, unknown
    user = User.objects.filter(phone=phone, is_active=True).first()
    if user is not None:
        kitchens_of_user = list(Organisation.objects.filter(
            grants__user=user, grants__role__in=[Role.LEADER, Role.COORDINATOR], kind__is_kitchen=True).distinct())
        if len(kitchens_of_user) == 1:
            return user, kitchens_of_user[0], ""
        if len(kitchens_of_user) > 1:
            return user, None, _("Su número está en varias cocinas; registre desde la web o pida ayuda a su "
                                 "coordinadora.")
    positions = (Position.objects.current().filter(person__phone=phone, organisation__kind__is_kitchen=True)
                 .select_related("organisation", "person").order_by("organisation_id"))
    kitchens_of_person = {p.organisation_id: p for p in positions}
    if len(kitchens_of_person) == 1:
        position = next(iter(kitchens_of_person.values()))
        account = User.objects.filter(person=position.person, is_active=True).first()
        # Without an account she acts through her board position: the system writes for her.
        return account, position.organisation, ""
    if len(kitchens_of_person) > 1:
        return None, None, _("Su número está en varias cocinas; registre desde la web o pida ayuda a su "
                             "coordinadora.")
    return (user, None, _("Su cuenta no dirige ninguna cocina; los mensajes son para las cocinas.")) if user \
        else (None, None, unknown)


UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # JSON joins the halves of an emoji; only a lone half is left


def receive_text(*, gateway: str, channel: str, sender: str, text: str, external_id: str = "") -> Inbound:
    """A text from a gateway: stored raw first, then processed, and the reply queued."""
    # PostgreSQL cannot store a NUL character, in a text column or in JSON, and no database a lone
    # surrogate (half an emoji, from a text cut between two parts: not UTF-8): kept, the whole
    # text would be refused and lost. Each becomes U+FFFD, the mark for "a character that was here".
    sender, text, external_id = (UNSTORABLE.sub("\ufffd", value) for value in (sender, text, external_id))
    inbound, created = store(channel=channel, kind=Inbound.Kind.MESSAGE, gateway=gateway, sender=sender,
                             client_id=external_id, payload={"from": sender, "text": text, "id": external_id})
    if not created:  # the gateway retried a webhook we already have: its first result stands
        return inbound
    return process_message(inbound)


def _throttled(inbound: Inbound) -> tuple[bool, bool]:
    """(over the limit, a notice already went out in this window). Counted by phone, however the
    gateway wrote it: '905796393' and '+51 905 796 393' are one phone and one limit."""
    since = inbound.received_at - RATE_WINDOW
    earlier = Inbound.objects.filter(phone=inbound.phone, kind=Inbound.Kind.MESSAGE, received_at__gte=since,
                                     id__lt=inbound.pk)
    if earlier.exclude(status=Inbound.Status.THROTTLED).count() < RATE_LIMIT:
        return False, False
    return True, earlier.filter(status=Inbound.Status.THROTTLED).exists()


def _instruction(text: str):
    """What a text asks for, to tell a repeat: its command, so that 'S ARROZ 50' and
    's arroz 50kg' are the same and 'S ARROZ 50 OK' is not; the folded text when it does not parse."""
    try:
        return sms.parse(text)
    except sms.ParseError:
        return fold(strip_controls(text))


STATE_ACTIONS = ("report", "closed")  # texts that set the day's report, rather than add to the stock


def _repeat_of(inbound: Inbound, kitchen: Organisation, text: str) -> Inbound | None:
    """The text already recorded that this one repeats, if any: the same phone (however the
    gateway wrote it), the same instruction, the same kitchen, within
    AYNI_SMS_REPEAT_WINDOW_MINUTES either side. Only for gateways whose message ids are not
    signed (`Gateway.trusted_ids`): through Twilio a new id is a new message, and a retry carries
    the old id, which `store` already recognises.

    Why a short window on the text: a leader may well send `U ACEITE 3` twice in a day, but the
    same words from the same phone within minutes are a phone or a gateway app sending again,
    or a webhook posted again under a new id. Should it really be a second one, the reply says
    to send it with OK at the end, which makes it a different text."""
    gateway = GATEWAYS.get(inbound.gateway)
    if gateway is not None and gateway.trusted_ids:
        return None
    instruction = _instruction(text)
    if isinstance(instruction, sms.Command) and instruction.action == "help":
        return None  # asking for help twice records nothing
    # Texts to one kitchen are processed one at a time from here to the commit, so that two
    # copies arriving together cannot both be applied (a no-op on SQLite, which writes one at a time).
    list(Organisation.objects.select_for_update().filter(pk=kitchen.pk).values_list("pk", flat=True))
    window = datetime.timedelta(minutes=settings.AYNI_SMS_REPEAT_WINDOW_MINUTES)
    candidates = (Inbound.objects.filter(kind=Inbound.Kind.MESSAGE, kitchen=kitchen, status=Inbound.Status.ACCEPTED,
                                         phone=inbound.phone, received_at__gte=inbound.received_at - window,
                                         received_at__lte=inbound.received_at + window)
                  .exclude(pk=inbound.pk).order_by("received_at", "id"))
    earlier = [(other, _instruction(str(other.payload.get("text", "")))) for other in candidates]
    if isinstance(instruction, sms.Command) and instruction.action in STATE_ACTIONS:
        # A day's report is a state, not an addition: sending the last one again changes nothing,
        # but going back to an earlier one (120, then 100, then 120 again) is a correction.
        earlier = [pair for pair in earlier
                   if isinstance(pair[1], sms.Command) and pair[1].action in STATE_ACTIONS][-1:]
    return next((other for other, said in earlier if said == instruction), None)


def _sms_apply(command: sms.Command, scope: Scope, kitchen: Organisation) -> str:
    today = timezone.localdate()
    if command.action in ("report", "closed"):
        existing = DailyReport.objects.filter(kitchen=kitchen, date=today).first()
        fields = {f: getattr(existing, f) for f in kitchens.REPORT_FIELDS} if existing else {}
        if command.action == "report":
            served = command.paying + command.subsidised + command.free
            fields.update(is_closed=False, closed_reason="", served_paying=command.paying,
                          served_subsidised=command.subsidised, served_free=command.free,
                          rations_prepared=max(served, fields.get("rations_prepared", 0)))
        else:
            fields.update(is_closed=True, closed_reason=command.reason)
        # A text states today's numbers as they are now: it corrects the day, and the report's
        # history keeps what was there before.
        kitchens.save_daily_report(scope=scope, kitchen=kitchen, date=today,
                                   version=existing.version if existing else 0, confirm=command.confirm, **fields)
        if command.action == "closed":
            return _("%(org)s, %(day)s: anotado que hoy no se cocinó (%(reason)s).") % {
                "org": kitchen.name, "day": today.strftime("%d/%m"), "reason": command.reason}
        return _("%(org)s, %(day)s: %(total)s raciones (%(p)s pagantes, %(s)s subsidiadas, %(f)s gratuitas). "
                 "Gracias.") % {"org": kitchen.name, "day": today.strftime("%d/%m"), "total": served,
                                "p": command.paying, "s": command.subsidised, "f": command.free}
    item = FoodItem.objects.get(code=command.item)
    line = kitchens.record_movement(scope=scope, kitchen=kitchen, item=item, date=today, kind=command.kind,
                                    quantity=command.quantity, party=command.party, note=_("Por mensaje de texto"),
                                    confirm=command.confirm)
    verb = _("recibido") if command.action == "received" else _("usado")
    return _("%(org)s: %(verb)s %(q)s %(unit)s de %(item)s. Gracias.") % {
        "org": kitchen.name, "verb": verb, "q": plain(command.quantity), "unit": item.unit, "item": item.name.lower(),
        **({"verb": f"{verb} ({line.get_kind_display().lower()})"} if command.action == "received" else {})}


def process_message(inbound: Inbound, replay: bool = False) -> Inbound:
    """Parse and apply one text; its reply (or none) is decided here and queued after commit."""
    reply, purpose = "", OutboundMessage.Purpose.REPLY
    with transaction.atomic():
        inbound = Inbound.objects.select_for_update().get(pk=inbound.pk)
        if inbound.status not in Inbound.PENDING or (inbound.status == Inbound.Status.THROTTLED and not replay):
            return inbound
        inbound.attempts += 1
        text = str(inbound.payload.get("text", ""))
        actor, kitchen, error = identify(inbound.sender)
        inbound.user, inbound.kitchen = actor, kitchen
        over, noticed = (False, False) if replay else _throttled(inbound)
        # Checked on a replay too: nine throttled copies of one text must not become nine records.
        repeated = _repeat_of(inbound, kitchen, text) if kitchen is not None and not over else None
        if over:
            inbound.status = Inbound.Status.THROTTLED
            if not noticed:
                reply, purpose = _("Recibimos muchos mensajes seguidos de su número. Espere un minuto; los "
                                   "guardamos y la coordinación los revisará."), OutboundMessage.Purpose.THROTTLE
        elif repeated:  # stored as it came, and marked; what it asks was already done
            inbound.status = Inbound.Status.DUPLICATE
            reply = _("Este mensaje ya estaba anotado (llegó a las %(time)s); no se registró dos veces. Si de verdad "
                      "es otro igual, envíelo de nuevo con OK al final.") % {
                "time": timezone.localtime(repeated.received_at).strftime("%H:%M")}
        elif error:
            inbound.status, reply = Inbound.Status.REJECTED, error
        else:
            try:
                command = sms.parse(text)
                if command.action == "help":
                    reply = sms.help_text()
                else:
                    with transaction.atomic():
                        reply = _sms_apply(command, scope_of(inbound), kitchen)
                inbound.status = Inbound.Status.ACCEPTED
            except sms.ParseError as exc:
                inbound.status, reply = Inbound.Status.REJECTED, exc.message
            except kitchens.NeedsConfirmation as exc:
                inbound.status = Inbound.Status.REJECTED
                reply = " ".join(exc.messages) + " " + _("Si está bien, envíe el mismo mensaje con OK al final.")
            except ValidationError as exc:
                inbound.status = Inbound.Status.REJECTED
                reply = " ".join(m for msgs in _errors(exc).values() for m in msgs)
            except (PermissionDenied, Http404):
                inbound.status, reply = Inbound.Status.REJECTED, _("No tiene permiso para registrar en esta cocina.")
            except Exception:
                log.exception("capture: message %s failed", inbound.pk)
                inbound.status = Inbound.Status.FAILED
        # A reply may quote her text (a reason, a word not understood): never its control characters.
        reply = strip_controls(reply)
        answer = bool(reply) and (replay or not OutboundMessage.objects.filter(
            to=inbound.sender, created_at__gte=timezone.now() - REPLY_GAP).exists())  # a burst gets one answer
        inbound.result = {**({"repeat_of": repeated.pk} if repeated else {}), "status": inbound.status,
                          "reply": reply, "answered": answer}
        inbound.error = reply if inbound.status == Inbound.Status.REJECTED else ""
        inbound.processed_at = timezone.now()
        inbound.save(update_fields=["status", "result", "error", "attempts", "processed_at", "user", "kitchen"])
    if answer:
        queue_message(to=inbound.sender, body=reply, channel=inbound.channel, gateway=inbound.gateway,
                      kitchen=inbound.kitchen, inbound=inbound, purpose=purpose)
    return inbound


# --- Outgoing messages -----------------------------------------------------------------------

def queue_message(*, to: str, body: str, channel: str = Channel.SMS, gateway: str = "", kitchen=None,
                  inbound: Inbound | None = None, purpose: str = OutboundMessage.Purpose.REPLY,
                  send_after: datetime.datetime | None = None) -> OutboundMessage:
    """Store the message, then hand it to the task queue, which sends it (not before
    `send_after`, when the queue can wait) and retries."""
    from django_tasks import default_task_backend

    from ayni.capture.tasks import send_message

    message = OutboundMessage.objects.create(to=to, body=strip_controls(body)[:1000], channel=channel,
                                             gateway=gateway or settings.AYNI_SMS_GATEWAY, kitchen=kitchen,
                                             inbound=inbound, purpose=purpose)
    task = send_message
    if send_after is not None and send_after > timezone.now() and default_task_backend.supports_defer:
        task = send_message.using(run_after=send_after)
    task.enqueue(message.pk)
    return message


def waking_hours(now: datetime.datetime | None = None) -> datetime.datetime | None:
    """When a reminder worked out now may go out: None in the day, else the next morning.
    The nightly job (`ayni runperiodic`) finds the kitchens to remind; nobody's phone should
    ring at three in the morning for it."""
    local = timezone.localtime(now)
    if REMINDER_FROM <= local.hour < REMINDER_UNTIL:
        return None
    day = local.date() if local.hour < REMINDER_FROM else local.date() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(REMINDER_FROM)))


def kitchens_to_remind(on: datetime.date | None = None):
    """Kitchens whose leader has a phone and that sent no report for the last
    `REMINDER_AFTER_DAYS` days (nor was reminded in the last day): (kitchen, phone, channel)."""
    on = on or timezone.localdate()
    since = on - datetime.timedelta(days=REMINDER_AFTER_DAYS)
    recently = timezone.now() - datetime.timedelta(hours=20)
    # From the grants themselves, so a leader who also holds another role elsewhere is reminded
    # only for her kitchen.
    leaders = (RoleGrant.objects.filter(role=Role.LEADER, organisation__kind__is_kitchen=True, user__is_active=True,
                                        user__phone__isnull=False)
               .exclude(user__phone="").order_by("organisation_id", "user_id")
               .values_list("user__phone", "organisation_id"))
    by_kitchen: dict[int, str] = {}
    for phone, kitchen_id in leaders:
        by_kitchen.setdefault(kitchen_id, phone)
    reported = set(DailyReport.objects.filter(kitchen_id__in=by_kitchen, date__gte=since, date__lt=on)
                   .values_list("kitchen_id", flat=True))
    reminded = set(OutboundMessage.objects.filter(kitchen_id__in=by_kitchen, purpose=OutboundMessage.Purpose.REMINDER,
                                                  created_at__gte=recently).values_list("kitchen_id", flat=True))
    due = [k for k in by_kitchen if k not in reported and k not in reminded]
    last_channel = dict(Inbound.objects.filter(kitchen_id__in=due, kind=Inbound.Kind.MESSAGE)
                        .order_by("kitchen_id", "received_at").values_list("kitchen_id", "channel"))
    for kitchen in Organisation.objects.filter(pk__in=due).order_by("pk"):
        yield kitchen, by_kitchen[kitchen.pk], last_channel.get(kitchen.pk, Channel.SMS)


def send_reminders(on: datetime.date | None = None) -> int:
    sent, send_after = 0, waking_hours()
    for kitchen, phone, channel in kitchens_to_remind(on):
        body = _("Ayni: %(org)s no tiene parte diario de los últimos %(n)s días. Envíe por ejemplo R 120 30 10 "
                 "(pagantes, subsidiadas, gratuitas) o C y el motivo si no cocinaron.") % {
            "org": kitchen.name, "n": REMINDER_AFTER_DAYS}
        queue_message(to=e164(phone), body=body, channel=channel, kitchen=kitchen,
                      purpose=OutboundMessage.Purpose.REMINDER, send_after=send_after)
        sent += 1
    return sent
