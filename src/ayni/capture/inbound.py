"""Capture's inbound room: every submission stored raw, then processed with the domains' own
services. API items, the phone's offline outbox and text messages all arrive here; what a text
asks for is worked out in `capture.messages`, and answers leave through `capture.outbound`.

Two rules make a resend or a replay harmless:
- a submission is stored (and committed) before it is processed, keyed by its client id;
- processing writes the domain row and the submission's final state in one transaction, so
  after a crash either both exist or neither, and a replay finishes the job exactly once.
"""

import datetime
import logging
import re
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from ayni.accounts.models import User
from ayni.accounts.scope import Scope
from ayni.capture.messages import process_message, process_messages
from ayni.capture.models import SIGNED_ID_GATEWAYS, Inbound, content_hash, sender_phone
from ayni.kitchens import services as kitchens
from ayni.kitchens.forms import DailyReportForm, MovementForm, ReceiptForm
from ayni.kitchens.models import DailyReport
from ayni.kitchens.selectors import open_schedules
from ayni.kitchens.services import ReportItem, save_daily_reports
from ayni.lib.db import insert_returning, update_rows
from ayni.lib.forms import clean_data, error_messages
from ayni.orgs.models import Organisation
from ayni.people.selectors import find_by_dni
from ayni.rolls import services as rolls
from ayni.rolls.forms import AddToRollForm

log = logging.getLogger(__name__)

MAX_BATCH = 500

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

# A submission stored in another shape than the API's (an OpenRosa XML form from ODK Collect:
# `ayni.reach`) names its format in `payload["format"]`; the app that receives that format
# registers here how to read it into the API's fields. A reader raises ValidationError (the
# submission is kept and shown for correction) or PermissionDenied.
READERS: dict = {}


def register_reader(fmt: str, reader) -> None:
    """`reader(inbound) -> dict` of the API's fields, for submissions stored in format `fmt`;
    called from the receiving app's `AppConfig.ready()`, as `register_handler` is for a kind."""
    READERS[fmt] = reader


def fields_of(inbound: Inbound) -> dict:
    """The submission's fields as the API and the web forms name them."""
    payload = inbound.payload
    reader = READERS.get(payload.get("format")) if isinstance(payload, dict) else None
    return reader(inbound) if reader else payload


def _date(payload: dict) -> datetime.date:
    try:
        return datetime.date.fromisoformat(str(payload.get("date", "")))
    except ValueError:
        raise ValidationError({"date": _("Falta la fecha o no se entiende; escríbala como AAAA-MM-DD.")}) from None


# The report form's field values already found valid (`clean_data`'s memo), for this process.
_REPORT_MEMO: dict = {}


def report_item(inbound: Inbound) -> ReportItem:
    """The stored report as the arguments of a save, checked by the web form's own rules."""
    payload = fields_of(inbound)
    day = _date(payload)
    # Counts and money left out mean zero, as on the paper form; the version never defaults to
    # "whatever is there now", so an old copy cannot overwrite a newer report.
    data = {"rations_prepared": 0, "served_paying": 0, "served_subsidised": 0, "served_free": 0,
            "price_per_ration": 0, "cash_received": 0, "cooks_count": 0, "version": 0}
    data.update({k: v for k, v in payload.items() if v is not None})
    fields = clean_data(DailyReportForm, data, memo=_REPORT_MEMO)
    version, confirm = fields.pop("version"), fields.pop("confirm")
    return ReportItem(date=day, version=version, confirm=confirm, fields=fields)


def _apply_report(inbound: Inbound, scope: Scope) -> dict:
    item = report_item(inbound)
    report = kitchens.save_daily_report(scope=scope, kitchen=inbound.kitchen, date=item.date,
                                        version=item.version, confirm=item.confirm, **item.fields)
    return {"id": report.pk, "version": report.version}


def _apply_movement(inbound: Inbound, scope: Scope) -> dict:
    form = MovementForm(fields_of(inbound))
    if not form.is_valid():
        raise ValidationError(error_messages(form.errors))
    line = kitchens.record_movement(scope=scope, kitchen=inbound.kitchen, **form.cleaned_data)
    return {"id": line.pk}


def _apply_roll_entry(inbound: Inbound, scope: Scope) -> dict:
    form = AddToRollForm(fields_of(inbound), country=inbound.kitchen.country)
    if not form.is_valid():
        raise ValidationError(error_messages(form.errors))
    fields = form.person_fields()
    # The same DNI is the same person, if the key's owner may see her (else it is held for review
    # and the result names nobody); without a DNI a new person is created and the duplicate
    # finder suggests a merge later, as for an Excel import.
    person = find_by_dni(scope, fields["dni"]).person
    entry = rolls.register_entry(scope=scope, kitchen=inbound.kitchen, person=person,
                                 **form.entry_fields(), **({} if person else fields))
    return {"id": entry.pk}


def _apply_receipt(inbound: Inbound, scope: Scope) -> dict:
    # Only the kitchen's own open deliveries can be chosen, as on the web form.
    form = ReceiptForm(fields_of(inbound), schedules=open_schedules(inbound.kitchen))
    if not form.is_valid():
        raise ValidationError(error_messages(form.errors))
    receipt = kitchens.record_receipt(scope=scope, **form.cleaned_data)
    return {"id": receipt.pk}


HANDLERS = {
    Inbound.Kind.REPORT: _apply_report,
    Inbound.Kind.MOVEMENT: _apply_movement,
    Inbound.Kind.ROLL_ENTRY: _apply_roll_entry,
    Inbound.Kind.RECEIPT: _apply_receipt,
}


def register_handler(kind: str, handler) -> None:
    """Let a domain above capture process the offline items of its kind (attendance at a training
    session, a savings group's meeting sheet), from its `AppConfig.ready()`, as `commands.register`
    is for texts: `handler(inbound, scope) -> dict` is applied like the kitchen's own items — raw
    first, once, replayable — inside the item's savepoint, raises a ValidationError to refuse, and
    keeps its writes idempotent (a replay must not count twice)."""
    if kind in HANDLERS and HANDLERS[kind] is not handler:
        raise ValueError(f"inbound kind {kind!r} is already handled")
    HANDLERS[kind] = handler


def _report_state(report: DailyReport | None) -> dict:
    if report is None:
        return {}
    data = {f: getattr(report, f) for f in kitchens.REPORT_FIELDS}
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in data.items()} | {"version": report.version}


def _current_report(inbound: Inbound) -> dict:
    """What the server holds for the day, so the leader can choose between the two."""
    try:
        day = _date(fields_of(inbound))
    except (ValidationError, PermissionDenied):
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
        return _result(inbound, Outcome.INVALID, errors=error_messages(exc),
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


def process(inbound: Inbound, scope: Scope | None = None) -> Inbound:
    """Apply one stored submission, once, as `scope` (by default `Inbound.acting_scope`). A submission
    already in a final state is left as it is, so calling this again (a resend, a replay) returns
    the first result."""
    if inbound.kind == Inbound.Kind.MESSAGE:
        return process_message(inbound)
    with transaction.atomic():
        inbound = Inbound.objects.select_for_update(of=("self",)).select_related("kitchen", "user").get(pk=inbound.pk)
        if inbound.status not in Inbound.PENDING:
            return inbound
        inbound.attempts += 1
        scope = scope or inbound.acting_scope()
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
# (`kitchens.services.save_daily_reports`), instead of two transactions and a dozen statements per
# item; the results are the ones `submit` would give item by item. The task worker saves the
# reports ODK Collect sent the same way, a batch holding one report of each of many kitchens.

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
            insert_returning(new)
    except IntegrityError:  # a resend of the same items raced this one: one by one, the database decides
        return [store(channel=channel, kind=kind, payload=payload, user=user, kitchen=kitchen, client_id=client_id)
                for kind, client_id, payload in items]
    return stored


def process_reports(inbounds: list[Inbound], scope: Scope | None = None) -> dict[int, dict]:
    """Apply stored reports together, once, in the order given (oldest first), whatever kitchens
    and senders they come from: one transaction that saves them all in one batch
    (`kitchens.services.save_daily_reports`) and settles their submissions. Those already in a
    final state keep their first result. Each acts as `scope`, by default its sender's. Returns
    the result per inbound id."""
    order = {inbound.pk: n for n, inbound in enumerate(inbounds)}
    results: dict[int, dict] = {}
    # Read and checked before the transaction (a stored payload never changes), so that the
    # database stays locked only while the reports are written.
    parsed = {inbound.pk: _parse_report(inbound) for inbound in inbounds}
    # Those just stored carry their kitchen and sender already; the rest are read once.
    kitchens_of = {i.kitchen_id: i.kitchen for i in inbounds if Inbound.kitchen.is_cached(i)}
    users = {i.user_id: i.user for i in inbounds if Inbound.user.is_cached(i)}
    kitchens_of |= Organisation.objects.select_related("kind").in_bulk({i.kitchen_id for i in inbounds}
                                                                       - kitchens_of.keys() - {None})
    users |= User.objects.in_bulk({i.user_id for i in inbounds} - users.keys() - {None})
    # Each sender's scope, all senders' grants in one query.
    scopes = {} if scope else Scope.for_users(u for u in users.values() if u is not None)
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
        for inbound in pending:
            inbound.attempts += 1
            inbound.kitchen, inbound.user = kitchens_of.get(inbound.kitchen_id), users.get(inbound.user_id)
        results.update(_save_reports(pending, parsed, lambda i: scope or scopes.get(i.user_id) or i.acting_scope()))
        for inbound in pending:
            _settle(inbound, results[inbound.pk])
        update_rows(pending, SETTLED_FIELDS)
    return results


def _parse_report(inbound: Inbound) -> ReportItem | ValidationError:
    try:
        return report_item(inbound)
    except ValidationError as exc:
        return exc


def _save_reports(pending: list[Inbound], items_of: dict[int, ReportItem | ValidationError],
                  scope_of) -> dict[int, dict]:
    """Stored reports of any kitchens and senders, saved together."""
    results, entries, parsed = {}, [], []
    for inbound in pending:
        item = items_of[inbound.pk]
        if isinstance(item, ValidationError):
            results[inbound.pk] = _refusal(inbound, item)
        elif inbound.kitchen is None:  # a report names its kitchen; one that does not is nobody's to save
            results[inbound.pk] = _refusal(inbound, Http404())
        else:
            entries.append((scope_of(inbound), inbound.kitchen, item))
            parsed.append(inbound)
    if not parsed:
        return results
    try:
        with transaction.atomic():
            outcomes = save_daily_reports(items=entries)
    except Exception:  # noqa: BLE001 - whatever broke the batch, the items get their own chance
        log.exception("capture: batch of %s reports failed; saving them one by one", len(parsed))
        for inbound, (scope, _kitchen, _item) in zip(parsed, entries, strict=True):
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
    texts: list[Inbound] = []

    def count(done: list[Inbound]) -> None:
        for inbound in done:
            counts[inbound.status] = counts.get(inbound.status, 0) + 1

    for inbound in query[:limit]:
        if inbound.kind == Inbound.Kind.MESSAGE:  # texts go in batches, as a gateway's post does
            texts.append(inbound)
            if len(texts) >= MAX_BATCH:
                count(process_messages(texts, replay=True))
                texts = []
        else:
            count([process(inbound)])
    count(process_messages(texts, replay=True))
    return counts


# --- Text messages ---------------------------------------------------------------------------
# Stored here like any submission; what a text asks and the answer are `capture.messages`.

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # JSON joins the halves of an emoji; only a lone half is left


def receive_text(*, gateway: str, channel: str, sender: str, text: str, external_id: str = "") -> Inbound:
    """A text from a gateway: stored raw first, then processed, and the reply queued (a batch of
    one: `receive_texts`)."""
    return receive_texts(gateway=gateway, texts=[(channel, sender, text, external_id)])[0]


def _unsigned_key(gateway: str, client_id: str, payload_hash: str) -> tuple:
    return (client_id, payload_hash) if gateway not in SIGNED_ID_GATEWAYS else (client_id,)


def receive_texts(*, gateway: str, texts: list[tuple[str, str, str, str]]) -> list[Inbound]:
    """Texts from a gateway, (channel, sender, text, message id) each, as its phone received them:
    all stored raw first (one statement, committed), then processed together
    (`messages.process_messages`) and the replies queued. A text the gateway posts again (the same
    id; through an unsigned gateway, the same id and content) finds its first copy, whose result
    stands; one that was stored but never processed (the server died) is finished by
    `ayni replay-inbound`."""
    rows = []
    for channel, sender, text, external_id in texts:
        # PostgreSQL cannot store a NUL character, in a text column or in JSON, and no database a lone
        # surrogate (half an emoji, from a text cut between two parts: not UTF-8): kept, the whole
        # text would be refused and lost. Each becomes U+FFFD, the mark for "a character that was here".
        sender, text, external_id = (UNSTORABLE.sub("\ufffd", value) for value in (sender, text, external_id))
        payload = {"from": sender, "text": text, "id": external_id}
        rows.append(Inbound(channel=channel, kind=Inbound.Kind.MESSAGE, gateway=gateway, sender=sender,
                            phone=sender_phone(sender), client_id=external_id[:64], payload=payload,
                            payload_hash=content_hash(payload)))
    ids = {r.client_id for r in rows if r.client_id}
    try:
        with transaction.atomic():
            known = {}
            if ids:
                for found in Inbound.objects.filter(kind=Inbound.Kind.MESSAGE, gateway=gateway, client_id__in=ids):
                    known.setdefault(_unsigned_key(gateway, found.client_id, found.payload_hash), found)
            stored, new = [], []
            for row in rows:
                key = _unsigned_key(gateway, row.client_id, row.payload_hash) if row.client_id else None
                if key is not None and key in known:
                    stored.append((known[key], False))
                    continue
                if key is not None:
                    known[key] = row  # the same text twice in one post: stored once
                stored.append((row, True))
                new.append(row)
            Inbound.objects.bulk_create(new)
    except IntegrityError:  # the same retry, posted at the same moment: each text finds its first copy
        stored = [store(channel=r.channel, kind=r.kind, gateway=gateway, sender=r.sender, client_id=r.client_id,
                        payload=r.payload) for r in rows]
    fresh = list({i.pk: i for i, created in stored if created}.values())
    done = {i.pk: i for i in process_messages(fresh)} if fresh else {}
    return [done.get(inbound.pk, inbound) for inbound, _created in stored]
