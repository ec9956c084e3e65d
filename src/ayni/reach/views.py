"""ODK Collect's side of Ayni, the OpenRosa endpoints (see `openrosa.py` for the specifications).

Collect is pointed at `https://<install>/odk/` with her username and password, which it sends as
HTTP Basic over HTTPS (as ODK Central accepts a web user's; Collect sends Basic only over HTTPS
and Central has no Digest), checked and throttled as the login page does. Or at
`https://<install>/odk/key/<key>/` with a personal key made at *Claves de la API*, one per phone,
revocable (as Central's app users put their token in the URL): no password on the phone, and
no password hash computed for every form sent. Either way every request acts with her scope:
her forms, her kitchens, her deliveries."""

import base64
import binascii
from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from ayni.accounts.scope import Can
from ayni.capture.models import Inbound
from ayni.kitchens.selectors import visible_kitchens
from ayni.reach import auth, lists, openrosa, services, xforms


def _xml(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body.encode(), status=status, content_type=openrosa.CONTENT_TYPE)


def _basic(request):
    """The account of a Basic Authorization header (None if absent or wrong); raises
    ValidationError when the attempt may not even be checked (too many failures)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        username, _sep, password = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return auth.by_password(request, username, password)


def _refused(message: str, status: int = 401) -> HttpResponse:
    response = _xml(openrosa.response(message), status)
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="Ayni", charset="UTF-8"'
    return response


def openrosa_view(view):
    """Authenticate an OpenRosa request (a key in the URL, or Basic), act as her, and mark the
    answer with the OpenRosa version header. Collect posts without a CSRF token: it holds no
    cookie, and its credentials travel with every request."""

    @csrf_exempt
    @wraps(view)
    def wrapped(request, *args, key: str = "", **kwargs):
        if key:
            user = auth.by_key(key)
            if user is None:
                raise Http404  # a key that does not work names no install's forms
        else:
            if settings.SECURE and not request.is_secure():
                response = _refused(_("Ayni recibe la contraseña solo por HTTPS: use la dirección https://."), 403)
                response[openrosa.VERSION_HEADER] = openrosa.VERSION
                return response
            try:
                user = _basic(request)
            except ValidationError as exc:
                return _refused(" ".join(exc.messages), 429)
            if user is None:
                response = _refused(_("Escriba su usuario y contraseña de Ayni en la configuración del servidor."))
                response[openrosa.VERSION_HEADER] = openrosa.VERSION
                return response
        request.user = user
        # Her scope came with her account's query (auth.py); the scope middleware's lazy one, which
        # would ask for her grants again, is replaced.
        request.scope = user._reach_scope
        request.odk_key = key
        with translation.override(services.language_of(request.user)):
            response = view(request, *args, **kwargs)
        response[openrosa.VERSION_HEADER] = openrosa.VERSION
        return response

    return wrapped


def _url(request, route: str, **kwargs) -> str:
    if request.odk_key:
        return request.build_absolute_uri(reverse(f"reach:key_{route}", kwargs={"key": request.odk_key, **kwargs}))
    return request.build_absolute_uri(reverse(f"reach:{route}", kwargs=kwargs))


def _her_forms(request) -> list[xforms.Built]:
    """The kitchen's forms are for those who record for a kitchen, the attendance form for those
    who take attendance at a training session; anyone else is shown none."""
    kitchens = visible_kitchens(request.scope, Can.EDIT).exists()
    sessions = lists.her_sessions(request.scope).exists()
    return [f for f in xforms.all_forms()
            if (sessions if f.form.kind == Inbound.Kind.ATTENDANCE else kitchens)]


def _form(request, form_id: str) -> xforms.Built:
    built = next((f for f in _her_forms(request) if f.form.form_id == form_id), None)
    if built is None:
        raise Http404
    return built


@openrosa_view
@require_GET
def form_list(request):
    wanted = request.GET.get("formID")
    forms = [{"formID": f.form.form_id, "name": f.title, "version": f.version, "hash": f.hash,
              "downloadUrl": _url(request, "form", form_id=f.form.form_id),
              "manifestUrl": _url(request, "manifest", form_id=f.form.form_id) if f.media else ""}
             for f in _her_forms(request) if not wanted or f.form.form_id == wanted]
    return _xml(openrosa.form_list(forms))


@openrosa_view
@require_GET
def form(request, form_id):
    return HttpResponse(_form(request, form_id).xml, content_type=openrosa.CONTENT_TYPE)


@openrosa_view
@require_GET
def manifest(request, form_id):
    built = _form(request, form_id)
    media = [{"filename": name, "hash": lists.md5(lists.LISTS[name](request.scope)),
              "downloadUrl": _url(request, "media", form_id=form_id, name=name)} for name in built.media]
    return _xml(openrosa.manifest(media))


@openrosa_view
@require_GET
def media(request, form_id, name):
    if name not in _form(request, form_id).media:
        raise Http404
    return HttpResponse(lists.LISTS[name](request.scope), content_type="text/csv; charset=utf-8")


def _lone_instance(request) -> bytes | None:
    """A small post's instance read straight from its body when it is the only part
    (`openrosa.lone_instance`): Django's multipart parser — a streaming parser for uploads of any
    size, a tenth of the request's CPU — is left for posts with files."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if not 0 < length <= openrosa.LEAN_BODY:
        return None
    return openrosa.lone_instance(request.META.get("CONTENT_TYPE", ""), request.body)


@openrosa_view
@require_http_methods(["HEAD", "GET", "POST"])
def submission(request):
    if request.method != "POST":
        # Collect asks first (HEAD) how much one post may carry, and authenticates on the way.
        response = HttpResponse(status=204)
        response[openrosa.ACCEPT_LENGTH_HEADER] = str(services.ACCEPT_CONTENT_LENGTH)
        return response
    content = _lone_instance(request)
    if content is not None:  # the instance alone, as Collect sends a form without files
        answer = services.receive(scope=request.scope, xml=content, files=[])
        return _xml(openrosa.response(answer.message, "submit_success" if answer.status < 300 else ""), answer.status)
    xml = request.FILES.get(openrosa.XML_PART)
    if xml is None:
        return _xml(openrosa.response(_("Falta el formulario (parte «xml_submission_file» del envío).")), 400)
    if xml.size > services.ACCEPT_CONTENT_LENGTH:
        return _xml(openrosa.response(_("El formulario es demasiado grande.")), 413)
    files = [f for name, items in request.FILES.lists() if name != openrosa.XML_PART for f in items]
    answer = services.receive(scope=request.scope, xml=xml.read(), files=files)
    return _xml(openrosa.response(answer.message, "submit_success" if answer.status < 300 else ""), answer.status)
