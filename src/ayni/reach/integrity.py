"""The invariants of ODK submissions (`ayni check-integrity`): an instance is applied at most once
per sender — however many times Collect sent it, and whatever was corrected on the phone before
one attempt was accepted — and every attempt's client id is its XML's own instanceID."""

from collections import Counter

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
