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
from ayni.capture.outbound import queue_message
from ayni.kitchens import services as kitchens
from ayni.kitchens.models import FoodItem, plain
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


def spoken_by(sender: str) -> set[str]:
    """The languages the registry says the owner of this phone speaks (her account's person, or a
    person with this phone): they choose the language of her replies (`sms.reply_language`)."""
    try:
        phone = normalize_phone(sender)
    except ValidationError:
        return set()
    people = Person.objects.filter(models.Q(phone=phone) | models.Q(account__phone=phone, account__is_active=True))
    return set(people.values_list("languages__code", flat=True).distinct()) - {None}


def process_message(inbound: Inbound, replay: bool = False) -> Inbound:
    """Parse and apply one text; its reply (or none) is decided here and queued after commit, in
    her language (Spanish or Quechua: `sms.reply_language`)."""
    text = str(inbound.payload.get("text", ""))
    with translation.override(sms.reply_language(text, spoken_by(inbound.sender))):
        return _process_message(inbound, replay)


def _process_message(inbound: Inbound, replay: bool) -> Inbound:
    reply, purpose = "", OutboundMessage.Purpose.REPLY
    with transaction.atomic():
        inbound = Inbound.objects.select_for_update().get(pk=inbound.pk)
        if inbound.status not in Inbound.PENDING or (inbound.status == Inbound.Status.THROTTLED and not replay):
            return inbound
        inbound.attempts += 1
        text = str(inbound.payload.get("text", ""))
        # A text for another domain (a vote, a dues payment) is that domain's to read: its handler
        # identifies the sender and keeps its own writes idempotent.
        domain = commands.find(text)
        actor, kitchen, error = (None, None, "") if domain else identify(inbound.sender)
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
                if domain:
                    with transaction.atomic():
                        reply = domain[0].handle(inbound, domain[1])
                elif (command := sms.parse(text)).action == "help":
                    reply = sms.help_text()
                else:
                    with transaction.atomic():
                        reply = _sms_apply(command, inbound.acting_scope(), kitchen)
                inbound.status = Inbound.Status.ACCEPTED
            except (sms.ParseError, commands.Refused) as exc:
                inbound.status, reply = Inbound.Status.REJECTED, exc.message
            except kitchens.NeedsConfirmation as exc:
                inbound.status = Inbound.Status.REJECTED
                reply = " ".join(exc.messages) + " " + _("Si está bien, envíe el mismo mensaje con OK al final.")
            except ValidationError as exc:
                inbound.status = Inbound.Status.REJECTED
                reply = " ".join(m for msgs in error_messages(exc).values() for m in msgs)
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
