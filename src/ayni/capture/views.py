"""Capture pages and endpoints: API keys, the coordinators' sync status, the SMS/WhatsApp
webhooks, and the offline app's service worker and manifest."""

import json
import secrets
from functools import cache
from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from ayni.accounts.scope import Can
from ayni.audit.services import record
from ayni.capture import inbound, selectors
from ayni.capture.gateways import GATEWAYS
from ayni.capture.models import ApiToken, Channel
from ayni.lib.views import form_page
from ayni.orgs.access import requires

STATIC = Path(__file__).parent / "static" / "capture"


class TokenForm(forms.Form):
    name = forms.CharField(label=_lazy("Nombre de la clave"), max_length=60,
                           help_text=_lazy("Para reconocerla: «celular de la cocina», «sistema de la municipalidad»."))


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    """A person's own API keys. The key is shown once; only its hash is kept."""

    def make(data):
        key = secrets.token_urlsafe(32)
        token = ApiToken.objects.create(user=request.user, name=data["name"], prefix=key[:8],
                                        key_hash=ApiToken.hash(key))
        record(scope=request.scope, action="capture.token.create", obj=token, org_path="",
               after={"name": token.name, "prefix": token.prefix})
        return key

    keys = ApiToken.objects.filter(user=request.user)
    return form_page(
        request, TokenForm(request.POST or None), action=make,
        then=lambda key: render(request, "capture/tokens.html", {"form": TokenForm(), "key": key, "keys": keys}),
        template="capture/tokens.html", context={"key": None, "keys": keys})


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)  # only her own keys
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(scope=request.scope, action="capture.token.revoke", obj=token, org_path="",
               after={"name": token.name, "prefix": token.prefix})
        messages.success(request, _("La clave «%(name)s» ya no funciona.") % {"name": token.name})
    return redirect("capture:tokens")


@requires(Can.VALIDATE)
def sync_status(request):
    """For coordinators: which kitchens have submissions waiting or in trouble, and when each
    was last heard from on each channel."""
    scope = request.scope
    return render(request, "capture/sync_status.html", {
        "rows": selectors.sync_status(scope), "trouble": selectors.recent_trouble(scope),
        "channels": Channel.choices,
    })


@csrf_exempt  # signed by the gateway instead (shared secret or Twilio's signature)
@require_POST
def webhook(request, gateway):
    adapter = GATEWAYS.get(gateway)
    if adapter is None:
        raise Http404
    if not adapter.verify(request):
        return HttpResponse(status=403)
    # Every text of the post stored raw at once, then processed as one batch.
    inbound.receive_texts(gateway=adapter.name, texts=[(text.channel, text.sender, text.text, text.external_id)
                                                       for text in adapter.parse(request)])
    return adapter.acknowledge()


@cache
def _service_worker_source() -> str:
    return (STATIC / "sw.js").read_text()


def service_worker(request):
    """Served from the site's root so that it may control every page; never cached by HTTP, so
    a new version reaches the phones on their next visit."""
    source = (_service_worker_source()
              .replace("__ASSETS__", json.dumps([static("ayni/ayni.css"), static("ayni/icon.svg"),
                                                 static("capture/outbox.js")]))
              .replace("__OFFLINE__", json.dumps(_("Sin conexión, y esta página no está guardada en el teléfono. "
                                                   "Vuelva a intentarlo cuando haya señal.")))
              .replace("__LOGOUT__", json.dumps(reverse("accounts:logout"))))
    response = HttpResponse(source, content_type="text/javascript")
    response["Cache-Control"] = "no-cache"
    return response


def manifest(request):
    data = {
        "name": "Ayni", "short_name": "Ayni", "lang": "es-PE", "start_url": "/", "scope": "/",
        "display": "standalone", "background_color": "#fbf8f5", "theme_color": "#9c2d41",
        "description": _("Comedores populares y ollas comunes: partes diarios, almacén y padrón, con o sin señal."),
        "icons": [{"src": static("ayni/icon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
    }
    return JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
