"""SMS and WhatsApp gateways, each an adapter behind one interface: read an inbound webhook,
check it really comes from the gateway, and send a message. Only `send` touches the network,
so tests replace exactly that edge.

- `android`: a generic HTTP webhook, as Android SMS-gateway apps post it (a cheap phone with a
  prepaid chip in the federation's office is the gateway). JSON or form fields; a shared secret.
  The secret proves who posts, not what: the body is not signed, so its message id is whatever
  the poster wrote, and an app that re-sends (or anyone holding the secret) can post the same
  text under a new id, or, reinstalled, a new text under an old id. A text is known by its id and
  its content; repeats are told by sender, text and time (services).
- `twilio`: Twilio's webhook format (SMS and WhatsApp, `From: whatsapp:+51…`), signed with
  `X-Twilio-Signature`; messages go out through Twilio's REST API. The signature covers every
  field, `MessageSid` included, so a new id cannot be made up: the id alone tells a retry.

docs/text-messages.md says how each gateway is set up and signed.
"""

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from ayni.capture.models import SIGNED_ID_GATEWAYS, Channel

TIMEOUT = 15  # seconds; a task retries later rather than holding a worker


class GatewayError(Exception):
    """The message could not be sent now (network, gateway down): the task retries."""


@dataclass(frozen=True)
class IncomingText:
    sender: str
    text: str
    channel: str
    external_id: str = ""


class Gateway:
    name = ""

    @property
    def trusted_ids(self) -> bool:
        """True when the gateway signs the message id with the message, so that the same id is the
        same message and a different id a different one; else a text is known by its id and its
        content, and repeats are told by their content. One list (`SIGNED_ID_GATEWAYS`), which
        the database's keys follow too."""
        return self.name in SIGNED_ID_GATEWAYS

    def verify(self, request: HttpRequest) -> bool:
        raise NotImplementedError

    def parse(self, request: HttpRequest) -> list[IncomingText]:
        raise NotImplementedError

    def acknowledge(self) -> HttpResponse:
        """The webhook's answer. Replies go out separately, through the task queue."""
        return HttpResponse(status=204)

    def send(self, *, to: str, body: str, channel: str) -> None:
        raise NotImplementedError


def _post(url: str, data: bytes, headers: dict) -> None:
    if not url.startswith(("https://", "http://")):  # never file:// or another scheme from a typo
        raise GatewayError(f"not an HTTP URL: {url[:40]}")
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - URL from settings
            if response.status >= 300:
                raise GatewayError(f"HTTP {response.status}")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise GatewayError(str(exc)) from exc


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class AndroidGateway(Gateway):
    """A generic HTTP webhook. Accepts the field names the common Android gateway apps use
    (`from`/`phoneNumber`, `text`/`message`, `id`/`message_id`, nested under `payload` or not)."""

    name = "android"

    def verify(self, request):
        secret = settings.AYNI_SMS_GATEWAY_SECRET
        if not secret:  # not configured: refuse, never accept unsigned texts
            return False
        given = request.headers.get("X-Ayni-Secret") or request.POST.get("secret", "")
        if not given and request.content_type == "application/json":
            try:
                given = str(json.loads(request.body or b"{}").get("secret", ""))
            except (ValueError, AttributeError):
                given = ""
        return hmac.compare_digest(given.encode(), secret.encode())

    def parse(self, request):
        if request.content_type == "application/json":
            try:
                data = json.loads(request.body or b"{}")
            except ValueError:
                return []
        else:
            data = request.POST.dict()
        if not isinstance(data, dict):
            return []
        items = data.get("messages") if isinstance(data.get("messages"), list) else [data.get("payload", data)]
        out = []
        for item in items:
            if not isinstance(item, dict):
                continue
            sender = item.get("from") or item.get("phoneNumber") or item.get("sender") or ""
            text = item.get("text") if "text" in item else item.get("message", "")
            ident = item.get("id") or item.get("message_id") or item.get("messageId") or data.get("id") or ""
            if sender:
                out.append(IncomingText(sender=str(sender)[:32], text=str(text or ""), channel=Channel.SMS,
                                        external_id=str(ident)[:60]))
        return out

    def send(self, *, to, body, channel):
        url = settings.AYNI_SMS_GATEWAY_URL
        if not url:
            raise GatewayError("AYNI_SMS_GATEWAY_URL is not set")
        headers = {"Content-Type": "application/json"}
        if settings.AYNI_SMS_GATEWAY_USER:
            headers["Authorization"] = _basic(settings.AYNI_SMS_GATEWAY_USER, settings.AYNI_SMS_GATEWAY_PASSWORD)
        _post(url, json.dumps({"phoneNumbers": [to], "message": body}).encode(), headers)


def twilio_signature(url: str, params: dict, token: str) -> str:
    """Twilio's scheme: HMAC-SHA1 of the full URL followed by each POST field, sorted by name."""
    payload = url + "".join(f"{k}{params[k]}" for k in sorted(params))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class TwilioGateway(Gateway):
    name = "twilio"  # in SIGNED_ID_GATEWAYS

    def verify(self, request):
        token = settings.AYNI_TWILIO_AUTH_TOKEN
        if not token:
            return False
        expected = twilio_signature(request.build_absolute_uri(), request.POST.dict(), token)
        return hmac.compare_digest(expected, request.headers.get("X-Twilio-Signature", ""))

    def parse(self, request):
        sender = request.POST.get("From", "")
        if not sender:
            return []
        channel = Channel.WHATSAPP if sender.startswith("whatsapp:") else Channel.SMS
        return [IncomingText(sender=sender.removeprefix("whatsapp:")[:32], text=request.POST.get("Body", ""),
                             channel=channel, external_id=request.POST.get("MessageSid", "")[:60])]

    def acknowledge(self):
        # An empty TwiML answer: Twilio sends nothing now; our reply follows through the queue.
        return HttpResponse('<?xml version="1.0" encoding="UTF-8"?><Response></Response>',
                            content_type="text/xml")

    def send(self, *, to, body, channel):
        sid, token = settings.AYNI_TWILIO_ACCOUNT_SID, settings.AYNI_TWILIO_AUTH_TOKEN
        if not sid or not token:
            raise GatewayError("Twilio is not configured")
        sender = settings.AYNI_TWILIO_FROM
        if channel == Channel.WHATSAPP:
            sender, to = f"whatsapp:{settings.AYNI_TWILIO_WHATSAPP_FROM or sender}", f"whatsapp:{to}"
        url = f"https://api.twilio.com/2010-04-01/Accounts/{sid}/Messages.json"
        data = urllib.parse.urlencode({"From": sender, "To": to, "Body": body}).encode()
        _post(url, data, {"Authorization": _basic(sid, token),
                          "Content-Type": "application/x-www-form-urlencoded"})


GATEWAYS: dict[str, Gateway] = {g.name: g for g in (AndroidGateway(), TwilioGateway())}


def get_gateway(name: str) -> Gateway:
    return GATEWAYS.get(name) or GATEWAYS[settings.AYNI_SMS_GATEWAY]
