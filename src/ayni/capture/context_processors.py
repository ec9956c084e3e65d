"""Which pages get the offline outbox script: only the three forms a leader fills on the go.
Every other page stays script-free (and lighter)."""

import json

from django.urls import reverse
from django.utils.translation import gettext as _

OUTBOX_VIEWS = {"kitchens:report": "report", "kitchens:movement": "movement", "rolls:add": "roll_entry",
                "leadership:attendance": "attendance"}
# A domain above capture posts to its own batch address, named here by string (never imported):
# kind -> (the page's key argument, the batch view, its key argument).
OUTBOX_APIS = {"attendance": ("session", "leadership:batch", "session")}


def outbox(request):
    match = getattr(request, "resolver_match", None)
    if match is None or match.view_name not in OUTBOX_VIEWS or not request.user.is_authenticated:
        return {}
    kind = OUTBOX_VIEWS[match.view_name]
    if kind in OUTBOX_APIS:
        key, view, argument = OUTBOX_APIS[kind]
        target, api = match.kwargs.get(key), reverse(view, kwargs={argument: match.kwargs.get(key)})
    else:
        target, api = match.kwargs.get("pk"), reverse("api-v1:batch", kwargs={"kitchen_id": match.kwargs.get("pk")})
    return {"outbox": {
        "kind": kind, "kitchen": target, "date": match.kwargs.get("day", ""), "api": api,
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
