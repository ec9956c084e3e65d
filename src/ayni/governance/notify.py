"""The convocation as a short text message. Governance reaches the outbox through this module
alone (capture owns the queue, its gateways and its retries), so there is one import to follow
when capture's modules move."""

from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from ayni.capture.models import OutboundMessage
from ayni.capture.outbound import queue_message, waking_hours
from ayni.lib.phone import e164

SMS_LIMIT = 300  # two SMS parts at most; the full agenda is on the assembly's page


def convocation_text(assembly, agenda: list[str]) -> str:
    when = localtime(assembly.starts_at)
    head = _("Ayni: %(org)s convoca a asamblea %(kind)s %(mode)s el %(day)s a las %(time)s") % {
        "org": assembly.organisation.name, "kind": assembly.get_kind_display().lower(),
        "mode": assembly.get_mode_display().lower(), "day": date_format(when, "d/m/Y"),
        "time": date_format(when, "H:i")}
    if assembly.is_async:
        head += _(" hasta el %(day)s") % {"day": date_format(localtime(assembly.ends_at), "d/m/Y H:i")}
    if assembly.place:
        head += _(" en %(place)s") % {"place": assembly.place}
    text = head + ". " + _("Agenda:") + " " + " ".join(f"{i}) {t}" for i, t in enumerate(agenda, 1))
    return text if len(text) <= SMS_LIMIT else text[: SMS_LIMIT - 1] + "…"


def send_convocation(assembly, phones: list[str], agenda: list[str]) -> int:
    """Queue the convocation to each phone once; sent in waking hours. Returns how many."""
    body, send_after, sent = convocation_text(assembly, agenda), waking_hours(), 0
    for phone in sorted({e164(p) for p in phones if p}):
        # Not tied to a kitchen: the kitchens' daily-report reminder counts its own by kitchen.
        queue_message(to=phone, body=body, purpose=OutboundMessage.Purpose.REMINDER, send_after=send_after)
        sent += 1
    return sent


def remind_agreement(agreement) -> None:
    body = _("Ayni: el acuerdo «%(text)s» de %(org)s vence el %(day)s y usted es la responsable. Si ya se "
             "cumplió, avise a su secretaria.") % {"text": agreement.text[:120], "org": agreement.organisation.name,
                                                    "day": date_format(agreement.deadline, "d/m/Y")}
    queue_message(to=e164(agreement.responsible.phone), body=body, purpose=OutboundMessage.Purpose.REMINDER,
                  send_after=waking_hours())


def ballot_text(assembly, motions) -> str:
    """A consultation's motions with the numbers to answer with, in one or two SMS parts."""
    head = _("Ayni: consulta de %(org)s, vote hasta el %(day)s.") % {
        "org": assembly.organisation.name, "day": date_format(localtime(assembly.ends_at), "d/m/Y H:i")}
    how = _("Responda V, el número y SI, NO o ABS (ej.: V %(n)s SI).") % {"n": motions[0].pk}
    lines = [_("Moción %(n)s: %(text)s.") % {"n": m.pk, "text": m.text[:70]} for m in motions]
    text = " ".join([head, *lines, how])
    if len(text) <= SMS_LIMIT:
        return text
    numbers = ", ".join(str(m.pk) for m in motions)
    return " ".join([head, _("Mociones %(numbers)s (el texto está en la convocatoria).") % {"numbers": numbers},
                     how])[:SMS_LIMIT]


def send_ballot(assembly, phones: list[str], motions) -> int:
    body, send_after, sent = ballot_text(assembly, motions), waking_hours(), 0
    for phone in sorted({e164(p) for p in phones if p}):
        queue_message(to=phone, body=body, purpose=OutboundMessage.Purpose.REMINDER, send_after=send_after)
        sent += 1
    return sent
