"""Which pages get the offline outbox script: only the three forms a leader fills on the go, and
the forms of other domains registered with `register_form` (a facilitator's attendance list, a
treasurer's meeting sheet). Every other page stays script-free (and lighter)."""

import json

from django.urls import reverse
from django.utils.translation import gettext as _

OUTBOX_VIEWS = {"kitchens:report": "report", "kitchens:movement": "movement", "rolls:add": "roll_entry"}
# Forms of domains above capture, added from their AppConfig.ready() with `register_form`: view
# name → (the kind of item, the URL name of the batch endpoint taking the view's arguments, and
# the argument that names what the items belong to).
OTHER_FORMS: dict[str, tuple[str, str, str]] = {}


def register_form(view_name: str, *, kind: str, api: str, target: str) -> None:
    OTHER_FORMS[view_name] = (kind, api, target)


def outbox(request):
    match = getattr(request, "resolver_match", None)
    if match is None or not request.user.is_authenticated:
        return {}
    if match.view_name in OTHER_FORMS:
        kind, api, target = OTHER_FORMS[match.view_name]
        return {"outbox": {"kind": kind, "kitchen": match.kwargs.get(target), "date": "",
                           "api": reverse(api, kwargs=match.kwargs), "worker": reverse("capture:service_worker"),
                           "user": request.user.pk, "i18n": json.dumps(_strings(), ensure_ascii=False)}}
    if match.view_name not in OUTBOX_VIEWS:
        return {}
    kind, target = OUTBOX_VIEWS[match.view_name], match.kwargs.get("pk")
    return {"outbox": {
        "kind": kind, "kitchen": target, "date": match.kwargs.get("day", ""),
        "api": reverse("api-v1:batch", kwargs={"kitchen_id": target}),
        "worker": reverse("capture:service_worker"), "user": request.user.pk,
        "i18n": json.dumps(_strings(), ensure_ascii=False),
    }}


def _strings() -> dict:
    """The outbox script's words, translated here so the script carries none of its own."""
    return {
        "saved": _("Sin señal: guardado en el teléfono, se enviará cuando vuelva la conexión."),
        "keeping": _("Guardando en el teléfono…"),
        "saving": _("Guardando…"),
        "delivered": _("Ya se envió al servidor."),
        "waiting": _("Esperando para enviar: %(n)s"),
        "sending": _("Enviando lo guardado…"),
        "sent": _("Se envió lo guardado en el teléfono: %(n)s"),
        "conflict": _("No se envió: otra persona guardó este día mientras usted estaba sin señal."),
        "invalid": _("No se guardó, revise los datos:"),
        "mine": _("Guardar el mío de todos modos"),
        "discard": _("Descartar el mío"),
        "server": _("En el servidor"),
        "yours": _("El suyo"),
        "offline": _("Sin conexión. Lo que guarde se enviará cuando vuelva la señal."),
    }
