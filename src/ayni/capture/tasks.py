"""Capture's background work (django-tasks, database backend, no broker): sending a text
message, with retries. The daily reminders are worked out by `ayni runperiodic`
(`capture.outbound.send_reminders`), whose messages are sent through this task."""

import datetime
import logging

from django.utils import timezone
from django_tasks import default_task_backend, task

from ayni.capture.gateways import GatewayError, get_gateway
from ayni.capture.models import OutboundMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
BACKOFF = [datetime.timedelta(seconds=s) for s in (30, 120, 600)]


@task()
def send_messages(message_ids: list[int]) -> list[str]:
    """Send the replies to a batch of texts, each as `send_message` does (its retries one by one)."""
    return [_send(pk) for pk in message_ids]


@task()
def send_message(message_id: int) -> str:
    """Send one message through its gateway. On a network error it tries again later (30 s,
    2 min, 10 min), then gives up and leaves it marked failed for the coordination to see."""
    return _send(message_id)


def _send(message_id: int) -> str:
    message = OutboundMessage.objects.get(pk=message_id)
    if message.status != OutboundMessage.Status.QUEUED:
        return message.status  # already sent (a duplicate run of the task) or given up
    message.attempts += 1
    try:
        get_gateway(message.gateway).send(to=message.to, body=message.body, channel=message.channel)
    except GatewayError as exc:
        message.last_error = str(exc)[:500]
        if message.attempts >= MAX_ATTEMPTS:
            message.status = OutboundMessage.Status.FAILED
            message.save(update_fields=["attempts", "last_error", "status"])
            log.warning("capture: message %s failed after %s attempts", message.pk, message.attempts)
            return message.status
        message.save(update_fields=["attempts", "last_error"])
        retry = send_message
        if default_task_backend.supports_defer:
            retry = send_message.using(run_after=timezone.now() + BACKOFF[min(message.attempts, len(BACKOFF)) - 1])
        retry.enqueue(message.pk)
        return "retry"
    message.status, message.sent_at = OutboundMessage.Status.SENT, timezone.now()
    message.save(update_fields=["attempts", "status", "sent_at", "last_error"])
    return message.status

