"""The invariants of ODK submissions (`ayni check-integrity`): an instance is applied at most once
per sender — however many times Collect sent it, and whatever was corrected on the phone before
one attempt was accepted — and every attempt's client id is its XML's own instanceID."""

import datetime
from collections import Counter

from django.utils import timezone
from django.utils.translation import gettext as _

from ayni.capture.models import Channel, Inbound
from ayni.reach import openrosa


def submission_violations() -> list[str]:
    out = []
    accepted = Counter()
    rows = (Inbound.objects.filter(channel=Channel.ODK).values_list("pk", "user_id", "client_id", "status", "payload")
            .iterator(chunk_size=2000))
    for pk, user_id, client_id, status, payload in rows:
        instance_id, _sep, _hash = client_id.rpartition("/")
        if status == Inbound.Status.ACCEPTED:
            accepted[(user_id, instance_id)] += 1
        try:
            parsed = openrosa.parse(payload.get("xml", ""))
        except openrosa.Malformed:
            continue  # kept as it came; its client id is the content's hash
        if parsed.instance_id and parsed.instance_id[:50] != instance_id:
            out.append(_("envío ODK %(pk)s: su identificador %(id)s no es el instanceID de su XML")
                       % {"pk": pk, "id": client_id})
    out += [_("instancia ODK %(id)s aplicada %(n)s veces") % {"id": key[1], "n": n}
            for key, n in accepted.items() if n > 1]
    return out


# A new daily report is answered 201 once stored and saved by the task worker within seconds
# (`reach.services.save_pending`); one still waiting after this long means the worker is not running.
WAIT_LIMIT = datetime.timedelta(hours=1)


def waiting_violations() -> list[str]:
    old = Inbound.objects.filter(channel=Channel.ODK, kind=Inbound.Kind.REPORT, status=Inbound.Status.RECEIVED,
                                 received_at__lt=timezone.now() - WAIT_LIMIT)
    count = old.count()
    if not count:
        return []
    return [_("%(n)s partes de ODK Collect recibidos hace más de una hora siguen sin guardarse (el primero: envío "
              "%(pk)s); revise que `ayni db_worker` esté corriendo, o ejecute `ayni replay-inbound`.")
            % {"n": count, "pk": old.order_by("pk").values_list("pk", flat=True).first()}]
