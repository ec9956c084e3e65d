"""The versioned JSON API (`/api/v1/`), for the phone's offline outbox and for integrations.

Authentication is a personal key (`Authorization: Bearer …`, made on the *Claves de la API*
page) or, for the outbox in the browser, the session with its CSRF token. Either way the
request acts with the user's own `Scope`: a key can never do more than its owner.
Its OpenAPI schema is served at /api/v1/openapi.json and committed as docs/openapi.json.
"""

from typing import Any, Literal

from django.core.exceptions import RequestDataTooBig
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, django_auth
from pydantic import field_validator

from ayni.accounts.scope import Can
from ayni.capture import inbound
from ayni.capture.models import ApiToken, Channel, Inbound
from ayni.kitchens.selectors import visible_kitchens
from ayni.orgs.models import Organisation

# A key's last use is written at most this often, so that a busy integration does not turn
# every request into a write on the same row.
TOUCH_SECONDS = 300


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        key = (ApiToken.objects.select_related("user")
               .filter(key_hash=ApiToken.hash(token), revoked_at__isnull=True, user__is_active=True).first())
        if key is None:
            return None
        now = timezone.now()
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > TOUCH_SECONDS:
            ApiToken.objects.filter(pk=key.pk).update(last_used_at=now)
        # The request now acts as the key's owner: `request.scope`, which the scope middleware
        # builds from `request.user` the first time it is read, is hers and nobody else's.
        request.user = key.user
        request.capture_channel = Channel.API
        return key.user


api = NinjaAPI(
    # No docs page: ninja's Swagger UI would load from a CDN, which Ayni never does; the schema is
    # served as JSON and committed in docs/openapi.json.
    title="Ayni API", version="1", urls_namespace="api-v1", auth=[TokenAuth(), django_auth], docs_url=None,
    description="Envío por lotes de partes diarios, movimientos de almacén e ingresos al padrón, "
                "idempotente por identificador del cliente.",
)


# --- Errors, in Spanish and always JSON --------------------------------------------------------

@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    message = str(exc)
    if isinstance(exc, AuthenticationError):
        message = _("Falta la clave de la API o no es válida (cabecera Authorization: Bearer …).")
    elif exc.status_code == 400 and message.startswith("Cannot parse"):
        message = _("El cuerpo del envío no es JSON válido.")
    return api.create_response(request, {"detail": message}, status=exc.status_code)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    return api.create_response(request, {"detail": _("El envío no tiene la forma esperada; vea «errors»."),
                                         "errors": exc.errors}, status=422)


@api.exception_handler(RequestDataTooBig)
def too_big(request, exc):
    return api.create_response(request, {"detail": _("El envío es demasiado grande; divídalo en lotes de %(n)s.")
                                         % {"n": inbound.MAX_BATCH}}, status=413)


# --- Schemas ---------------------------------------------------------------------------------

class KitchenOut(Schema):
    id: int
    name: str
    path: str


class MeOut(Schema):
    username: str
    name: str
    kitchens: list[KitchenOut] = Field(description="Cocinas donde puede registrar.")


class ItemIn(Schema):
    type: Literal["report", "movement", "roll_entry"]
    client_id: str = Field(min_length=1, max_length=64, description="Generado por el cliente (p. ej. un UUID). "
                           "Reenviar el mismo id con el mismo contenido devuelve el resultado original.")
    data: dict[str, Any] = Field(description=(
        "report: date (AAAA-MM-DD), version (0 para un día nuevo), is_closed, closed_reason, rations_prepared, "
        "served_paying, served_subsidised, served_free, price_per_ration, cash_received, menu, cooks, cooks_count, "
        "notes, confirm. movement: date, item (código: arroz, aceite…), kind (state, purchase, donation, used…), "
        "quantity, unit_price, party, note, confirm. roll_entry: dni, given_names, paternal_surname, maternal_surname, "
        "birth_date, sex (F/M), category (código), ration (paying, subsidised, free), social_case_reason, since, "
        "consent_method (signed, verbal), consent_witness, consent_on, notes."))

    @field_validator("client_id", "data")
    @classmethod
    def storable(cls, value):
        return _storable(value)


def _storable(value):
    """Refuse (422) text no database can keep, before anything is stored: PostgreSQL's JSON has
    no NUL character, and a lone surrogate (valid in JSON's \\u escapes) is not UTF-8."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(_("El texto tiene un carácter nulo (\\u0000)."))
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(_("El texto tiene caracteres que no son UTF-8 válido.")) from None
    elif isinstance(value, dict):
        for key, inner in value.items():
            _storable(key)
            _storable(inner)
    elif isinstance(value, list):
        for inner in value:
            _storable(inner)
    return value


class BatchIn(Schema):
    items: list[ItemIn]


class ItemResult(Schema):
    client_id: str
    status: Literal["accepted", "invalid", "needs_confirmation", "conflict", "id_reused", "forbidden", "failed"]
    code: int = Field(description="Como un código HTTP: 201, 409, 422, 403, 500.")
    id: int | None = None
    version: int | None = None
    message: str | None = None
    errors: dict[str, list[str]] | None = None
    warnings: list[str] | None = None
    current: dict[str, Any] | None = Field(None, description="El parte que hay en el servidor, en un conflicto.")


class BatchOut(Schema):
    kitchen: int
    results: list[ItemResult]


class Error(Schema):
    detail: str


class InvalidOut(Schema):
    detail: str
    errors: list[dict[str, Any]] = Field(description="Qué parte del envío no tiene la forma esperada.")


# What any call may answer besides its own responses: a body that is not JSON (400), a missing or
# wrong key (401), a body of the wrong shape (422). Declared so that the schema lists every answer.
ERRORS = {400: Error, 401: Error, 422: InvalidOut}


KINDS = {"report": Inbound.Kind.REPORT, "movement": Inbound.Kind.MOVEMENT, "roll_entry": Inbound.Kind.ROLL_ENTRY}


# --- Endpoints -------------------------------------------------------------------------------

@api.get("/me", response={200: MeOut, 401: Error}, url_name="me", summary="La cuenta de la clave y sus cocinas")
def me(request):
    kitchens = visible_kitchens(request.scope, Can.EDIT).order_by("path")[:200]
    return {"username": request.user.username, "name": request.user.get_full_name(),
            "kitchens": list(kitchens.values("id", "name", "path"))}


@api.post("/kitchens/{kitchen_id}/batch", response={200: BatchOut, 403: Error, 413: Error, **ERRORS}, url_name="batch",
          summary="Enviar un lote de partes, movimientos e ingresos al padrón")
def batch(request, kitchen_id: int, payload: BatchIn):
    """Each item is stored as it arrived, then processed; the answer has one result per item,
    in order. At most 500 items per request."""
    kitchen = Organisation.objects.filter(Q(pk=kitchen_id), kind__is_kitchen=True).select_related("kind").first()
    if kitchen is None or not request.scope.holds(Can.EDIT, kitchen):
        return 403, {"detail": _("No tiene permiso para registrar en esta cocina.")}
    if len(payload.items) > inbound.MAX_BATCH:
        return 413, {"detail": _("El lote tiene %(n)s ítems y el máximo es %(max)s: envíelo en partes.")
                     % {"n": len(payload.items), "max": inbound.MAX_BATCH}}
    channel = getattr(request, "capture_channel", Channel.OUTBOX)
    results = inbound.submit_batch(channel=channel, scope=request.scope, kitchen=kitchen,
                                    items=[(KINDS[item.type], item.client_id, item.data) for item in payload.items])
    return 200, {"kitchen": kitchen.pk, "results": results}
