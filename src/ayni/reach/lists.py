"""The choice lists a field form reads from a CSV file, made for the person who asks: her
kitchens (those she may record for), their promised deliveries still open, and the food
catalogue. The same list for the same person gives the same bytes, so its hash in the manifest
changes only when the list does and ODK Collect downloads it again only then."""

import csv
import hashlib
import io
from collections.abc import Callable
from decimal import Decimal

from django.db.models import F, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from ayni.accounts.scope import Can, Scope
from ayni.kitchens.forms import schedule_label
from ayni.kitchens.models import DeliverySchedule, FoodItem
from ayni.kitchens.selectors import visible_kitchens

# A coordinator of a whole department records for hundreds of kitchens; a phone's list past this
# many is no use and only costs her data.
MAX_KITCHENS = 2000


def _csv(header: list[str], rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def kitchens(scope: Scope) -> bytes:
    rows = visible_kitchens(scope, Can.EDIT).order_by("name", "pk").values_list("pk", "name")[:MAX_KITCHENS]
    return _csv(["name", "label"], rows)


def items(scope: Scope) -> bytes:
    catalogue = FoodItem.objects.order_by("order", "name")
    return _csv(["name", "label"], ((i.code, f"{i.name} ({i.unit})") for i in catalogue))


def schedules(scope: Scope) -> bytes:
    """Her kitchens' promised deliveries not yet fully received (what `kitchens.selectors.
    open_schedules` gives one kitchen, here for all of hers in one query), filtered in the form by
    the kitchen chosen."""
    today = timezone.localdate()
    kitchen_ids = visible_kitchens(scope, Can.EDIT).values("pk")[:MAX_KITCHENS]
    open_ones = (DeliverySchedule.objects.filter(kitchen__in=kitchen_ids).select_related("item")
                 .annotate(got=Coalesce(Sum("receipts__quantity"), Decimal(0))).filter(got__lt=F("quantity"))
                 .order_by("kitchen_id", "due_on", "pk"))
    return _csv(["name", "label", "kitchen"], ((s.pk, schedule_label(s, today), s.kitchen_id) for s in open_ones))


LISTS: dict[str, Callable[[Scope], bytes]] = {
    "kitchens.csv": kitchens,
    "items.csv": items,
    "schedules.csv": schedules,
}


def md5(content: bytes) -> str:
    return "md5:" + hashlib.md5(content).hexdigest()  # noqa: S324 - OpenRosa's manifest hash is MD5
