"""The outbox's batch for one record of a domain's page (a session's attendance, a commitment's
follow-ups): the body read, each item checked for its client id and data, then stored raw and
processed once by `inbound.submit_batch` — the same client id sent again gives its first result.
One place for what the pages of leadership and advocacy did each in their own view."""

import json
from collections.abc import Callable

from django.http import JsonResponse
from django.utils.translation import gettext as _

from ayni.accounts.scope import Scope
from ayni.capture import inbound
from ayni.capture.models import Channel
from ayni.orgs.models import Organisation


def batch_response(body: bytes, *, scope: Scope, kitchen: Organisation, kind: str, record_id: int,
                   keep: Callable[[str, object], bool], extra: dict) -> JsonResponse:
    """`keep(field, value)` says which of an item's fields are kept; `extra` names the record."""
    try:
        items = json.loads(body or b"{}")["items"]
        if not isinstance(items, list) or len(items) > inbound.MAX_BATCH:
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"detail": _("El envío no tiene la forma esperada.")}, status=400)
    invalid, valid = {}, []
    for n, item in enumerate(items):
        data = item.get("data") if isinstance(item, dict) else None
        client_id = str(item.get("client_id", ""))[:64] if isinstance(item, dict) else ""
        if not isinstance(data, dict) or not client_id:
            invalid[n] = {"client_id": client_id, "status": "invalid", "code": 422,
                          "message": _("Falta el identificador o los datos.")}
        else:
            valid.append((kind, client_id, {k: v for k, v in data.items() if keep(k, v)} | extra))
    done = iter(inbound.submit_batch(channel=Channel.OUTBOX, scope=scope, kitchen=kitchen, items=valid)
                if valid else [])
    return JsonResponse({"kitchen": record_id,
                         "results": [invalid[n] if n in invalid else next(done) for n in range(len(items))]})
