"""Capture's outbound room: messages stored, then handed to the task queue that sends them
(`capture.tasks.send_message`, with its retries), and the daily reminders to kitchens that sent
no report.
"""

import datetime

import django_tasks
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks_db import DatabaseBackend

from ayni.accounts.models import Role, RoleGrant
from ayni.capture import tasks
from ayni.capture.models import Channel, Inbound, OutboundMessage
from ayni.kitchens.models import DailyReport
from ayni.lib.db import insert_returning
from ayni.lib.phone import e164
from ayni.lib.text import strip_controls
from ayni.orgs.models import Organisation

REMINDER_AFTER_DAYS = 2
# Reminders go out between these hours (local time); worked out at night, they wait for the morning.
REMINDER_FROM, REMINDER_UNTIL = 8, 20


def queue_message(*, to: str, body: str, channel: str = Channel.SMS, gateway: str = "", kitchen=None,
                  inbound: Inbound | None = None, purpose: str = OutboundMessage.Purpose.REPLY,
                  send_after: datetime.datetime | None = None) -> OutboundMessage:
    """Store the message, then hand it to the task queue, which sends it (not before
    `send_after`, when the queue can wait) and retries."""
    message = queue_messages([OutboundMessage(to=to, body=body, channel=channel, gateway=gateway, kitchen=kitchen,
                                              inbound=inbound, purpose=purpose)])[0]
    send_queued([message], send_after=send_after)
    return message


def queue_messages(messages: list[OutboundMessage]) -> list[OutboundMessage]:
    """Store many messages at once (one statement; the replies to a batch of texts), inside the
    caller's transaction; `send_queued` hands them to the task queue once it has committed."""
    for message in messages:
        message.body = strip_controls(message.body)[:1000]
        message.gateway = message.gateway or settings.AYNI_SMS_GATEWAY
    insert_returning(messages)  # their ids, for the task that sends them
    return messages


def queue_in_database() -> bool:
    """Whether the task queue is kept in Ayni's own database (django_tasks_db, production's): then a
    task enqueued inside a transaction is written, and committed, with it."""
    return isinstance(django_tasks.task_backends[django_tasks.DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend)


def send_queued(messages: list[OutboundMessage], send_after: datetime.datetime | None = None) -> None:
    """Hand stored messages to the task queue: one task for one message, one task for a batch."""
    if not messages:
        return
    task, args = ((tasks.send_message, messages[0].pk) if len(messages) == 1
                  else (tasks.send_messages, [m.pk for m in messages]))
    if send_after is not None and send_after > timezone.now() and django_tasks.default_task_backend.supports_defer:
        task = task.using(run_after=send_after)
    task.enqueue(args)


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
