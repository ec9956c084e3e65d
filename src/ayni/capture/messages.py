"""Capture's text-message room: who sent a text (`identify`), what it asks (`sms.parse`), doing it
with the kitchens' own services, and the reply. A text is stored raw by `capture.inbound`
first, like every submission; the reply leaves through `capture.outbound`.
"""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ayni.accounts.models import Role, User
from ayni.accounts.scope import Scope
from ayni.capture import commands, sms
from ayni.capture.gateways import GATEWAYS
from ayni.capture.models import Inbound, OutboundMessage
from ayni.capture.outbound import queue_in_database, queue_messages, send_queued
from ayni.kitchens import services as kitchens
from ayni.kitchens.models import FoodItem, plain
from ayni.lib.db import update_rows
from ayni.lib.forms import error_messages
from ayni.lib.phone import normalize_phone
from ayni.lib.text import fold, strip_controls
from ayni.orgs.models import Organisation
from ayni.people.models import Person, Position

log = logging.getLogger(__name__)

# Text messages: more than this many from one number within the window are stored but not
# processed (a phone stuck resending, or someone flooding us), and answered with one notice.
RATE_LIMIT = 5
RATE_WINDOW = datetime.timedelta(seconds=60)
# Nobody types two texts within a few seconds: a burst is a machine, and gets one answer.
REPLY_GAP = datetime.timedelta(seconds=5)


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


def _throttled(todo: list[Inbound]) -> dict[int, tuple[bool, bool]]:
    """Per text of a batch: (over the limit, a notice already went out in this window), in one
    query for the batch. Counted by phone, however the gateway wrote it: '905796393' and
    '+51 905 796 393' are one phone and one limit. The batch's own texts count as they are
    decided, oldest first, as if they had come one at a time."""
    if not todo:
        return {}
    earlier = Inbound.objects.filter(kind=Inbound.Kind.MESSAGE, phone__in={i.phone for i in todo},
                                     received_at__gte=min(i.received_at for i in todo) - RATE_WINDOW,
                                     id__lt=max(i.pk for i in todo))
    seen: dict[str, dict[int, list]] = {}
    for pk, phone, received_at, status in earlier.values_list("pk", "phone", "received_at", "status"):
        seen.setdefault(phone, {})[pk] = [received_at, status]
    decided = {}
    for inbound in sorted(todo, key=lambda i: i.pk):
        since = inbound.received_at - RATE_WINDOW
        mine = [(at, status) for pk, (at, status) in seen.get(inbound.phone, {}).items()
                if pk < inbound.pk and at >= since]
        over = sum(status != Inbound.Status.THROTTLED for _at, status in mine) >= RATE_LIMIT
        decided[inbound.pk] = (over, over and any(status == Inbound.Status.THROTTLED for _at, status in mine))
        seen.setdefault(inbound.phone, {})[inbound.pk] = [inbound.received_at,
                                                          Inbound.Status.THROTTLED if over else inbound.status]
    return decided


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
        # Read under the day's lock, held by this transaction until the save: a web save a moment
        # earlier is what the text corrects, not someone else's conflict to report to her.
        existing = kitchens.lock_daily_report(kitchen=kitchen, date=today)
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


def spoken_by(senders) -> dict[str, set[str]]:
    """The languages the registry says the owner of each phone speaks (her account's person, or a
    person with this phone), by phone as the gateway wrote it, in one query: they choose the
    language of her replies (`sms.reply_language`)."""
    senders, phones = list(senders), {}
    for sender in set(senders):
        try:
            phones[sender] = normalize_phone(sender)
        except ValidationError:
            continue
    known: dict[str, set[str]] = {}
    if phones:
        wanted = set(phones.values())
        # Two indexed lookups OR-ed on the person's own columns: an OR across the join to the account
        # read every person (110,000 at national size) for each batch of texts. The accounts' people
        # are read first, as a list: OR-ed as a subquery, PostgreSQL still scanned every person
        # (180 ms a batch at 115,000 people) instead of two index lookups.
        accounts = list(User.objects.filter(phone__in=wanted, is_active=True, person__isnull=False)
                        .values_list("person_id", flat=True))
        rows = (Person.objects.filter(models.Q(phone__in=wanted) | models.Q(pk__in=accounts))
                .values_list("phone", "account__phone", "account__is_active", "languages__code").order_by()
                .distinct())  # unordered: the people's default order (by name) is sorted for nothing
        for phone, account_phone, active, code in rows:
            for owner in {phone, account_phone if active else None} & wanted:
                if code is not None:
                    known.setdefault(owner, set()).add(code)
    return {sender: known.get(phones.get(sender), set()) for sender in senders}


def process_message(inbound: Inbound, replay: bool = False) -> Inbound:
    """Parse and apply one text: a batch of one (`process_messages`)."""
    return process_messages([inbound], replay=replay)[0]


def _refusal(exc: Exception, inbound: Inbound) -> tuple[str, str]:
    """(status, reply) of a text whose handler refused it (or broke)."""
    if isinstance(exc, sms.ParseError | commands.Refused):
        return Inbound.Status.REJECTED, exc.message
    if isinstance(exc, kitchens.NeedsConfirmation):
        return Inbound.Status.REJECTED, " ".join(exc.messages) + " " + _(
            "Si está bien, envíe el mismo mensaje con OK al final.")
    if isinstance(exc, ValidationError):
        return Inbound.Status.REJECTED, " ".join(m for msgs in error_messages(exc).values() for m in msgs)
    if isinstance(exc, PermissionDenied | Http404):
        return Inbound.Status.REJECTED, _("No tiene permiso para registrar en esta cocina.")
    log.error("capture: message %s failed", inbound.pk, exc_info=exc)
    return Inbound.Status.FAILED, ""


def _apply_one(inbound: Inbound, text: str, domain) -> tuple[str, str, Inbound | None]:
    """One text not handled with its batch (a kitchen's text, or a domain's without `handle_many`,
    or one whose batch broke): (status, reply, the text it repeats), inside its own savepoint."""
    actor, kitchen, error = (None, None, "") if domain else identify(inbound.sender)
    inbound.user, inbound.kitchen = actor, kitchen
    # Checked on a replay too: nine throttled copies of one text must not become nine records.
    repeated = _repeat_of(inbound, kitchen, text) if kitchen is not None else None
    if repeated:  # stored as it came, and marked; what it asks was already done
        return Inbound.Status.DUPLICATE, _(
            "Este mensaje ya estaba anotado (llegó a las %(time)s); no se registró dos veces. Si de verdad es otro "
            "igual, envíelo de nuevo con OK al final.") % {
            "time": timezone.localtime(repeated.received_at).strftime("%H:%M")}, repeated
    if error:
        return Inbound.Status.REJECTED, error, None
    try:
        if domain:
            with transaction.atomic():
                return Inbound.Status.ACCEPTED, domain[0].handle(inbound, domain[1]), None
        if (command := sms.parse(text)).action == "help":
            return Inbound.Status.ACCEPTED, sms.help_text(), None
        with transaction.atomic():
            return Inbound.Status.ACCEPTED, _sms_apply(command, inbound.acting_scope(), kitchen), None
    except Exception as exc:  # noqa: BLE001 - every refusal and failure becomes the text's reply
        status, reply = _refusal(exc, inbound)
        return status, reply, None


def process_messages(inbounds: list[Inbound], replay: bool = False) -> list[Inbound]:
    """Parse and apply stored texts, oldest first: per text its final state and its reply (or
    none), in her language (Spanish or Quechua: `sms.reply_language`), the replies queued after
    commit. The batch reads its senders' languages, the flood limit and the replies just sent
    once for all its texts; the texts of a domain that takes them many at a time (votes:
    `TextCommand.handle_many`) are applied together, the others one by one, each in its own
    savepoint. A text already in a final state is left as it is, so a text processed twice (a
    retry, a replay) counts once.

    What only reads is done before the write transaction: the texts' states, the flood limit,
    the languages, what each text asks, and a domain's own reads for its batch
    (`TextCommand.prepare_many`). On SQLite a write transaction locks the whole database from its
    BEGIN, so the gunicorn workers would otherwise take turns for all of that work. The
    transaction then reads again, locked, the states of the texts (another worker may have
    settled one of them meanwhile: a gateway's resend, a replay), lets each domain re-check
    under its own locks what may have changed, and writes: the domains' rows, the texts' states
    and the replies, all or nothing."""
    if not inbounds:
        return []
    # As the caller read them (just stored, or read by a replay): their state is read again under
    # the lock, which is what decides.
    given = {i.pk: i for i in inbounds}
    todo = sorted((i for i in given.values() if _open(i, replay)), key=lambda i: (i.received_at, i.pk))
    if not todo:
        return [given[i.pk] for i in inbounds]
    throttled = {} if replay else _throttled(todo)
    languages = spoken_by(i.sender for i in todo)
    asked: dict[int, tuple[str, tuple[commands.TextCommand, list[str]] | None, str]] = {}  # text, domain, language
    groups: dict[tuple[commands.TextCommand, str], list[tuple[Inbound, list[str]]]] = {}
    for inbound in todo:
        text = str(inbound.payload.get("text", ""))
        language = sms.reply_language(text, languages.get(inbound.sender, set()))
        # A text for another domain (a vote, a dues payment) is that domain's to read: its handler
        # identifies the sender and keeps its own writes idempotent.
        domain = None if throttled.get(inbound.pk, (False, False))[0] else commands.find(text)
        asked[inbound.pk] = (text, domain, language)
        if domain is not None and domain[0].handle_many is not None:
            groups.setdefault((domain[0], language), []).append((inbound, domain[1]))
    prepared = {(command, language): _prepare(command, language, items)
                for (command, language), items in groups.items()}
    # A burst gets one answer: nobody types two texts within a few seconds.
    recent = set() if replay else set(OutboundMessage.objects.filter(
        to__in={i.sender for i in todo}, created_at__gte=timezone.now() - REPLY_GAP).values_list("to", flat=True))
    outbox: list[OutboundMessage] = []
    with transaction.atomic():
        # Read again under the lock, in id order (two resends of overlapping texts wait in turn).
        states = {pk: (status, attempts) for pk, status, attempts in Inbound.objects.select_for_update()
                  .filter(pk__in=[i.pk for i in todo]).order_by("pk").values_list("pk", "status", "attempts")}
        for inbound in todo:
            inbound.status, inbound.attempts = states[inbound.pk]
        gone = {i.pk for i in todo if not _open(i, replay)}
        if gone:  # settled meanwhile: its result stands, and a plan that counted on it is made again
            given.update(Inbound.objects.in_bulk(gone))
            todo = [i for i in todo if i.pk not in gone]
            for key, items in list(groups.items()):
                if any(inbound.pk in gone for inbound, _args in items):
                    groups[key] = [(inbound, args) for inbound, args in items if inbound.pk not in gone]
                    prepared[key] = None
        outcome: dict[int, tuple[str, str, str, Inbound | None]] = {}  # status, reply, purpose, repeat of
        for inbound in todo:
            inbound.attempts += 1
            text, domain, language = asked[inbound.pk]
            over, noticed = throttled.get(inbound.pk, (False, False))
            if over:
                inbound.status = Inbound.Status.THROTTLED
                outcome[inbound.pk] = (Inbound.Status.THROTTLED, "" if noticed else _(
                    "Recibimos muchos mensajes seguidos de su número. Espere un minuto; los guardamos y la "
                    "coordinación los revisará."), OutboundMessage.Purpose.THROTTLE, None)
                continue
            if domain is not None and domain[0].handle_many is not None:
                continue
            with translation.override(language):
                status, reply, repeated = _apply_one(inbound, text, domain)
            outcome[inbound.pk] = (status, reply, OutboundMessage.Purpose.REPLY, repeated)
            if status == Inbound.Status.ACCEPTED and inbound.kitchen_id is not None:
                # A copy later in this batch must find it done (`_repeat_of` reads the table).
                Inbound.objects.filter(pk=inbound.pk).update(status=status, kitchen=inbound.kitchen)
        for (command, language), items in groups.items():
            if not items:
                continue
            apply = prepared[(command, language)] or (lambda command=command, items=items: command.handle_many(items))
            with translation.override(language):
                try:
                    with transaction.atomic():
                        replies = apply()
                except Exception:  # noqa: BLE001 - whatever broke the batch, each text gets its own chance
                    log.exception("capture: batch of %s %s texts failed; applying them one by one", len(items),
                                  command.name)
                    replies = None
                for n, (inbound, args) in enumerate(items):
                    if replies is None:
                        status, reply, _repeat = _apply_one(inbound, str(inbound.payload.get("text", "")),
                                                            (command, args))
                    elif isinstance(replies[n], Exception):
                        status, reply = _refusal(replies[n], inbound)
                    else:
                        status, reply = Inbound.Status.ACCEPTED, replies[n]
                    outcome[inbound.pk] = (status, reply, OutboundMessage.Purpose.REPLY, None)
        now = timezone.now()
        for inbound in todo:
            status, reply, purpose, repeated = outcome[inbound.pk]
            # A reply may quote her text (a reason, a word not understood): never its control characters.
            reply = strip_controls(reply)
            answer = bool(reply) and inbound.sender not in recent
            if answer and not replay:
                recent.add(inbound.sender)
            inbound.status = status
            inbound.result = {**({"repeat_of": repeated.pk} if repeated else {}), "status": status, "reply": reply,
                              "answered": answer}
            inbound.error = reply if status == Inbound.Status.REJECTED else ""
            inbound.processed_at = now
            if answer:
                outbox.append(OutboundMessage(to=inbound.sender, body=reply, channel=inbound.channel,
                                              gateway=inbound.gateway, kitchen=inbound.kitchen, inbound=inbound,
                                              purpose=purpose))
        if todo:
            update_rows(todo, ["status", "result", "error", "attempts", "processed_at", "user", "kitchen"])
        queued = queue_messages(outbox)
        # A task queue kept in this database takes the replies' task in this transaction: one commit
        # (on SQLite one fsync, under the write lock) instead of two, and no reply is left without
        # its task by a crash between them. Any other queue (the tests', AYNI_TASKS_IMMEDIATE) runs
        # the task as it is handed: after the commit, never holding the lock while it sends.
        together = queue_in_database()
        if together:
            send_queued(queued)
    if not together:
        send_queued(queued)
    return [given[i.pk] for i in inbounds]


def _open(inbound: Inbound, replay: bool) -> bool:
    """Whether a stored text is still to be processed: not in a final state; a throttled one only
    by a replay (the flood limit holds it until the coordination replays it)."""
    return inbound.status in Inbound.PENDING and (replay or inbound.status != Inbound.Status.THROTTLED)


def _prepare(command: commands.TextCommand, language: str, items: list[tuple[Inbound, list[str]]]):
    """A domain's reads for its batch, before the write transaction (`TextCommand.prepare_many`):
    what to call inside it, or None to call `handle_many` there, as a domain without it is."""
    if command.prepare_many is None:
        return None
    with translation.override(language):
        try:
            return command.prepare_many(items)
        except Exception:  # noqa: BLE001 - read again, under the lock, by handle_many
            log.exception("capture: preparing a batch of %s %s texts failed", len(items), command.name)
            return None
