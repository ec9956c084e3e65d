"""Scoped reads of capture: the coordinators' sync status."""

import datetime

from django.db.models import Count, Max, Q
from django.utils import timezone

from ayni.accounts.scope import Can, Scope
from ayni.capture.models import Channel, Inbound, OutboundMessage
from ayni.orgs.models import Organisation

TROUBLE = (Inbound.Status.FAILED, Inbound.Status.REJECTED, Inbound.Status.CONFLICT, Inbound.Status.THROTTLED)


def sync_status(scope: Scope, days: int = 30, limit: int = 300) -> list[dict]:
    """Per kitchen in sight: submissions waiting or in trouble in the last `days`, messages that
    could not be sent, and the last contact on each channel. Kitchens in trouble come first,
    then the ones silent the longest. Three grouped queries, whatever the number of kitchens."""
    since = timezone.now() - datetime.timedelta(days=days)
    kitchens = {k.pk: k for k in Organisation.objects.filter(scope.q(Can.VIEW), kind__is_kitchen=True)
                .only("pk", "name", "path").order_by("path")[:limit]}
    rows = {pk: {"kitchen": k, "pending": 0, "trouble": 0, "failed_messages": 0, "last": {}, "last_any": None}
            for pk, k in kitchens.items()}
    counts = (Inbound.objects.filter(kitchen_id__in=kitchens, received_at__gte=since)
              .values("kitchen_id")
              .annotate(pending=Count("id", filter=Q(status=Inbound.Status.RECEIVED)),
                        trouble=Count("id", filter=Q(status__in=TROUBLE))))
    for row in counts:
        rows[row["kitchen_id"]].update(pending=row["pending"], trouble=row["trouble"])
    last = (Inbound.objects.filter(kitchen_id__in=kitchens).values("kitchen_id", "channel")
            .annotate(last=Max("received_at")))
    for row in last:
        entry = rows[row["kitchen_id"]]
        entry["last"][row["channel"]] = row["last"]
        entry["last_any"] = max(filter(None, [entry["last_any"], row["last"]]))
    failed = (OutboundMessage.objects.filter(kitchen_id__in=kitchens, status=OutboundMessage.Status.FAILED,
                                             created_at__gte=since)
              .values("kitchen_id").annotate(n=Count("id")))
    for row in failed:
        rows[row["kitchen_id"]]["failed_messages"] = row["n"]
    for entry in rows.values():
        entry["by_channel"] = [entry["last"].get(code) for code in Channel.values]
    epoch = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    return sorted(rows.values(), key=lambda r: (-(r["trouble"] + r["pending"] + r["failed_messages"]),
                                                r["last_any"] or epoch))


def recent_trouble(scope: Scope, limit: int = 50):
    """The submissions in trouble themselves, newest first, for the coordinator to follow up."""
    return (Inbound.objects.filter(scope.q(Can.VIEW, prefix="kitchen__"), status__in=TROUBLE)
            .select_related("kitchen")[:limit])


CHANNELS = Channel.choices
