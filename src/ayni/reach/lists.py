"""The choice lists a field form reads from a CSV file, made for the person who asks: her
kitchens (those she may record for), their promised deliveries still open, and the food
catalogue. The same list for the same person gives the same bytes, so its hash in the manifest
changes only when the list does and ODK Collect downloads it again only then."""

import csv
import datetime
import hashlib
import io
from collections.abc import Callable
from decimal import Decimal

from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from ayni.accounts.scope import Can, Scope
from ayni.kitchens.forms import schedule_label
from ayni.kitchens.models import DeliverySchedule, FoodItem
from ayni.kitchens.selectors import visible_kitchens
from ayni.leadership.models import Enrolment, Session

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


# A training session takes attendance on its day or after (never before: leadership refuses it);
# a phone's list goes back this far.
SESSION_DAYS = 90
MAX_SESSIONS = 300


def her_sessions(scope: Scope) -> QuerySet[Session]:
    """The sessions she may take attendance at (`leadership.services.may_take_attendance`: the
    programme's organisers, and the session's facilitators), from SESSION_DAYS ago to today."""
    if scope.actor is None:
        return Session.objects.none()
    mine = scope.q(Can.EDIT, prefix="programme__organisation__")
    if mine.children:  # an empty Q is "everything" (the platform): OR would narrow it
        mine |= Q(facilitators=scope.actor)
    today = timezone.localdate()
    since = timezone.make_aware(datetime.datetime.combine(today - datetime.timedelta(days=SESSION_DAYS),
                                                          datetime.time.min))
    until = timezone.make_aware(datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time.min))
    return Session.objects.filter(mine, starts_at__gte=since, starts_at__lt=until).distinct()


def sessions(scope: Scope) -> bytes:
    rows = (her_sessions(scope).select_related("programme", "module").order_by("-starts_at", "pk")[:MAX_SESSIONS])
    return _csv(["name", "label"], ((s.pk, f"{s.programme.name} · {s.module.title} · "
                                           f"{timezone.localtime(s.starts_at):%d/%m/%Y %H:%M}") for s in rows))


def people(scope: Scope) -> bytes:
    """The enrolled women of each of her sessions, by card number (her person number). Named for
    the session's facilitator and for whoever sees names in the programme's organisation; for
    anyone else only the number shows."""
    chosen = list(her_sessions(scope).select_related("programme__organisation").order_by("-starts_at", "pk")
                  .prefetch_related("facilitators")[:MAX_SESSIONS])
    by_programme: dict[int, list] = {}
    for enrolment in (Enrolment.objects.filter(programme_id__in={s.programme_id for s in chosen},
                                               status=Enrolment.Status.ENROLLED)
                      .select_related("person").order_by("person__paternal_surname", "person__given_names", "pk")):
        by_programme.setdefault(enrolment.programme_id, []).append(enrolment.person)
    rows = []
    for session in chosen:
        named = (scope.actor in session.facilitators.all()
                 or scope.holds(Can.VIEW_PERSONAL, session.programme.organisation))
        rows += [(p.pk, f"{p.pk} · {p}" if named else f"N° {p.pk}", session.pk)
                 for p in by_programme.get(session.programme_id, [])]
    return _csv(["name", "label", "session"], rows)


LISTS: dict[str, Callable[[Scope], bytes]] = {
    "kitchens.csv": kitchens,
    "items.csv": items,
    "schedules.csv": schedules,
    "sessions.csv": sessions,
    "people.csv": people,
}


def md5(content: bytes) -> str:
    return "md5:" + hashlib.md5(content).hexdigest()  # noqa: S324 - OpenRosa's manifest hash is MD5
