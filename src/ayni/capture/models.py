"""Capture: everything that arrives from outside a web form — the JSON API, the phone's offline
outbox, text messages — is first stored raw here (`Inbound`), then processed by the same
service functions the pages call. Processing is idempotent and can be replayed, so nothing
typed is ever lost: a crash, a bug or a closed month leaves the raw row to retry or correct.
"""

import hashlib
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ayni.accounts.scope import Scope
from ayni.lib.phone import normalize_phone
from ayni.orgs.models import Organisation


def content_hash(payload) -> str:
    """The same content gives the same hash whatever the key order the phone used."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def sender_phone(sender: str) -> str:
    """The phone a text came from, however the gateway wrote it ('+51 912 345 678', '912345678',
    '51912345678' are one phone), by lib.phone's one normaliser; a sender that is not a Peruvian
    number stays as it came. The key of the flood limit and of repeats (`Inbound.phone`)."""
    try:
        return normalize_phone(sender)
    except ValidationError:
        return sender


# Gateways that sign a text's id together with the text (Twilio: `X-Twilio-Signature` covers
# `MessageSid`), so that the id alone names one text. Through any other gateway (Android) the id is
# whatever the poster wrote, and an app reinstalled starts its ids again: there a text is known by
# its id and its content (`payload_hash`). The database's keys follow this list
# (`Inbound.Meta.constraints`): changing it needs a migration.
SIGNED_ID_GATEWAYS = ("twilio",)


class Channel(models.TextChoices):
    API = "api", _("API")
    OUTBOX = "outbox", _("Celular sin conexión")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    ODK = "odk", _("ODK Collect")


class Inbound(models.Model):
    """One submission exactly as it arrived: an API item, an offline form, a text message."""

    class Kind(models.TextChoices):
        REPORT = "report", _("Parte diario")
        MOVEMENT = "movement", _("Movimiento de almacén")
        ROLL_ENTRY = "roll_entry", _("Ingreso al padrón")
        RECEIPT = "receipt", _("Recepción de entrega")
        SAVINGS_MEETING = "meeting", _("Reunión del banquito")
        MESSAGE = "message", _("Mensaje de texto")
        ATTENDANCE = "attendance", _("Asistencia a una sesión de formación")
        FOLLOW_UP = "follow_up", _("Seguimiento de un compromiso")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Recibido, por procesar")
        ACCEPTED = "accepted", _("Aceptado")
        REJECTED = "rejected", _("Rechazado con error")
        CONFLICT = "conflict", _("Conflicto")
        FAILED = "failed", _("Falló, se reintentará")
        THROTTLED = "throttled", _("Demasiados mensajes")
        DUPLICATE = "duplicate", _("Repetido")

    # Final states are never processed again; RECEIVED, FAILED and THROTTLED are replayable.
    PENDING = (Status.RECEIVED, Status.FAILED, Status.THROTTLED)

    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("tipo"), max_length=12, choices=Kind.choices)
    gateway = models.CharField(_("pasarela"), max_length=20, blank=True)
    client_id = models.CharField(_("identificador del cliente"), max_length=64, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    kitchen = models.ForeignKey(Organisation, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="inbound", verbose_name=_("cocina"))
    sender = models.CharField(_("remitente"), max_length=32, blank=True)
    # The sender's phone, normalised when stored (`sender_phone`): one phone, however written.
    phone = models.CharField(_("celular"), max_length=32, blank=True)
    payload = models.JSONField(default=dict)
    payload_hash = models.CharField(max_length=64)
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices, default=Status.RECEIVED)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("envío recibido")
        verbose_name_plural = _("envíos recibidos")
        constraints = [
            # A resend of the same item (same user, same client id) finds the first one instead of
            # creating a second record; the database is the referee when two resends race.
            models.UniqueConstraint(fields=["user", "client_id"],
                                    condition=~models.Q(client_id="") & ~models.Q(kind="message"),
                                    name="one_inbound_per_client_id"),
            # A gateway that retries its webhook sends the same message id again. A signed id is
            # one text whatever it says (it cannot be made up)...
            models.UniqueConstraint(fields=["gateway", "client_id"],
                                    condition=~models.Q(client_id="") & models.Q(kind="message")
                                    & models.Q(gateway__in=SIGNED_ID_GATEWAYS),
                                    name="one_inbound_per_signed_message"),
            # ...an unsigned one is the same text only with the same content: an id used again for
            # another text (an app reinstalled) is another text, stored and processed.
            models.UniqueConstraint(fields=["gateway", "client_id", "payload_hash"],
                                    condition=~models.Q(client_id="") & models.Q(kind="message")
                                    & ~models.Q(gateway__in=SIGNED_ID_GATEWAYS),
                                    name="one_inbound_per_unsigned_message"),
        ]
        indexes = [
            models.Index(fields=["kitchen", "channel", "received_at"], name="inbound_kitchen_channel"),
            models.Index(fields=["status", "received_at"], name="inbound_status"),
            models.Index(fields=["phone", "received_at"], name="inbound_phone"),
            # A gateway's post is matched to the texts it posted before by their ids
            # (`inbound.receive_texts`). The unique indexes on them are partial, and SQLite cannot
            # prove a lookup by ids falls inside their conditions (PostgreSQL can), so without this
            # one every post read the whole table there: a national consultation slowed from 570
            # to 180 votes/s as its texts piled up.
            models.Index(fields=["gateway", "client_id"], name="inbound_gateway_client_id"),
        ]

    def acting_scope(self) -> Scope:
        """Whom a stored submission acts for when no request brings her scope (a replay, a text
        message): the account that sent it; a text from the registered phone of a board member
        without an account is authorised by that phone, and the system applies it, saying so in
        the audit trail. Anything else without an account may do nothing."""
        by_phone = self.kind == self.Kind.MESSAGE and self.user_id is None and self.kitchen is not None
        return Scope.acting_for(self.user, otherwise=(
            f"mensaje de texto ({self.get_channel_display()}) del {self.sender}, celular de la directiva de "
            f"{self.kitchen.name}") if by_phone else None)

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.get_kind_display()} #{self.pk}"


class OutboundMessage(models.Model):
    """A text message to send (a reply or a reminder), sent by a task that retries."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("En cola")
        SENT = "sent", _("Enviado")
        FAILED = "failed", _("No se pudo enviar")

    class Purpose(models.TextChoices):
        REPLY = "reply", _("Respuesta")
        REMINDER = "reminder", _("Recordatorio")
        THROTTLE = "throttle", _("Aviso de demasiados mensajes")

    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    gateway = models.CharField(_("pasarela"), max_length=20, blank=True)
    to = models.CharField(_("destinatario"), max_length=32)
    body = models.TextField(_("texto"))
    purpose = models.CharField(_("motivo"), max_length=10, choices=Purpose.choices, default=Purpose.REPLY)
    kitchen = models.ForeignKey(Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    inbound = models.ForeignKey(Inbound, on_delete=models.SET_NULL, null=True, blank=True, related_name="replies")
    status = models.CharField(_("estado"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["kitchen", "purpose", "created_at"], name="outbound_kitchen_purpose"),
            # "A burst gets one answer" asks, for every batch of texts, what was just sent to its
            # senders (`capture.messages.process_messages`): without it, a scan of every reply ever
            # queued (one per vote in a national consultation).
            models.Index(fields=["to", "created_at"], name="outbound_to_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} → {self.to}"


class ApiToken(models.Model):
    """A personal key for the JSON API. Only its SHA-256 is stored: the key is shown once, when it
    is made; a stolen database does not give working keys. It acts with its owner's scope."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("nombre"), max_length=60)
    prefix = models.CharField(max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("clave de la API")
        verbose_name_plural = _("claves de la API")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()
