"""The field forms by text message, in the forms' own terms: the ODK XForms compact record
representation for SMS (https://getodk.github.io/xforms-spec/#compact-record-representation-(for-sms)).
A form whose XLSForm has a `prefix` (settings) and `compact_tag`s (survey) can be sent as one text:
the prefix, then each tagged question's tag and value, separated by the form's delimiter (a space
unless the form says otherwise); a delimiter inside a value is written with a backslash before it.

    PD f 2026-11-28 rp 120 pa 80 su 30 gr 10 me Arroz\\ con\\ pollo

Such a text arrives like every other: stored raw by capture, then handed here through capture's
text-command registry (`capture.commands`, the prefix as its keyword). The record becomes the
instance it stands for, stored as a capture item of the form's kind (client id from the text) and
processed by capture with reach's reader and the domain's own service — the same path as the form
sent from ODK Collect. Two rules make it a text rather than a form:
- the kitchen is the sender's (`capture.messages.identify`); a record that names another is refused;
- a daily report states the day as it is now, as the `R` text does: questions the record leaves
  out keep what the day already had, and it corrects the day rather than conflicting with it.
The same text processed again (a replay) finds its item and its first result; the same words from
the same phone within AYNI_SMS_REPEAT_WINDOW_MINUTES are a phone sending again, recorded once."""

import datetime
import re
import uuid
from dataclasses import dataclass
from functools import cache
from xml.etree import ElementTree

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from ayni.capture import commands, sms
from ayni.capture import inbound as capture
from ayni.capture.messages import identify
from ayni.capture.models import Channel, Inbound, content_hash
from ayni.kitchens import services as kitchens
from ayni.kitchens.models import FoodItem
from ayni.lib.text import fold, strip_controls
from ayni.reach import xforms

ODK = "{http://www.opendatakit.org/xforms}"
XFORMS = "{http://www.w3.org/2002/xforms}"
TEXT_FIELDS = {"closed_reason", "menu", "cooks", "notes", "note", "party"}  # free text: may hold the delimiter


@dataclass(frozen=True)
class Compact:
    built: xforms.Built
    prefix: str
    delimiter: str
    tags: dict[str, str]  # tag → field name


@cache
def compact_forms() -> dict[str, Compact]:
    """The forms that have a compact representation, by folded prefix."""
    out = {}
    for built in xforms.all_forms():
        root = ElementTree.fromstring(built.xml)  # noqa: S314 - pyxform's output from our own sources
        data = root.find(f".//{XFORMS}model/{XFORMS}instance/{XFORMS}{built.form.source}")
        prefix = data.get(f"{ODK}prefix") or data.get("prefix")
        if not prefix:
            continue
        tags = {child.get(f"{ODK}tag"): child.tag.split("}")[1] for child in data.iter() if child.get(f"{ODK}tag")}
        out[fold(prefix)] = Compact(built, prefix, data.get(f"{ODK}delimiter") or " ", tags)
    return out


def split(text: str, delimiter: str) -> list[str]:
    """The record's components, a delimiter after a backslash kept as part of the value."""
    parts, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == delimiter or (delimiter == " " and char.isspace()):
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    # A space delimiter typed twice is one: only a delimiter that is not a space keeps empty values.
    return [p for p in parts if p] if delimiter == " " else parts


def read(text: str) -> tuple[Compact, dict[str, str]]:
    """The form and its values by field name; `commands.Refused` naming what is wrong."""
    text = strip_controls(text or "").strip()
    compact = compact_forms().get(fold(re.split(r"\s", text, maxsplit=1)[0]) if text else "")
    if compact is None:
        raise commands.Refused(_("No reconozco el formulario de este mensaje."))
    parts = split(text, compact.delimiter)[1:]
    values: dict[str, str] = {}
    field, n = None, 0
    while n < len(parts):
        tag = fold(parts[n])
        if tag in compact.tags:
            field = compact.tags[tag]
            if field in values:
                raise commands.Refused(
                    _("La etiqueta «%(tag)s» está dos veces: envíe cada dato una sola vez. %(ex)s")
                    % {"tag": parts[n], "ex": example(compact)}
                )
            if n + 1 >= len(parts):
                raise commands.Refused(
                    _("El mensaje llegó cortado: falta el dato de «%(tag)s». %(ex)s")
                    % {"tag": parts[n], "ex": example(compact)}
                )
            values[field] = parts[n + 1].strip()
            n += 2
        elif field in TEXT_FIELDS and compact.delimiter == " ":
            values[field] += " " + parts[n]  # typed by hand, a space inside a text needs no backslash
            n += 1
        else:
            raise commands.Refused(
                _(
                    "No entiendo «%(word)s»: después de %(prefix)s van pares de etiqueta y dato. "
                    "Etiquetas: %(tags)s. %(ex)s"
                )
                % {
                    "word": parts[n][:20],
                    "prefix": compact.prefix,
                    "tags": " ".join(sorted(compact.tags)),
                    "ex": example(compact),
                }
            )
    if not values:
        raise commands.Refused(_("El mensaje no trae datos. %(ex)s") % {"ex": example(compact)})
    return compact, values


EXAMPLES = {Inbound.Kind.REPORT: "PD rp 120 pa 80 su 30 gr 10", Inbound.Kind.MOVEMENT: "MV t used a arroz c 5"}


def example(compact: Compact) -> str:
    if compact.built.form.kind == Inbound.Kind.REPORT:
        return _("Ejemplo: PD rp 120 pa 80 su 30 gr 10")
    return _("Ejemplo: MV t used a arroz c 5")


def _instance_xml(compact: Compact, values: dict[str, str], instance_id: str) -> str:
    form = compact.built.form
    root = ElementTree.Element(form.source, {"id": form.form_id, "version": compact.built.version})
    for name in compact.built.fields:
        ElementTree.SubElement(root, name).text = values.get(name, "")
    ElementTree.SubElement(ElementTree.SubElement(root, "meta"), "instanceID").text = instance_id
    return ElementTree.tostring(root, encoding="unicode")


def _report_values(kitchen, values: dict[str, str]) -> tuple[dict[str, str], int]:
    """The day as it will be: what the record says over what the day had (read under the day's lock,
    as the `R` text does), and the version it corrects."""
    try:
        day = datetime.date.fromisoformat(values.get("date") or timezone.localdate().isoformat())
    except ValueError:
        raise commands.Refused(
            _("La fecha «%(d)s» no se entiende; escríbala como AAAA-MM-DD.") % {"d": values.get("date", "")[:20]}
        ) from None
    existing = kitchens.lock_daily_report(kitchen=kitchen, date=day)
    merged = {"date": day.isoformat(), "is_closed": "no", "confirm": "no"}
    if existing is not None:
        for name in kitchens.REPORT_FIELDS:
            value = getattr(existing, name)
            if isinstance(value, bool):
                value = "yes" if value else "no"
            merged[name] = "" if value is None else str(value)
    merged.update(values)
    return merged, existing.version if existing else 0


def handle(inbound: Inbound, args: list[str]) -> str:
    """A compact record from a phone: the form's item, stored and processed by capture."""
    text = str(inbound.payload.get("text", ""))
    compact, values = read(text)
    actor, kitchen, error = identify(inbound.sender)
    if error:
        raise commands.Refused(error)
    named = values.pop("kitchen", "")
    if named and named != str(kitchen.pk):
        raise commands.Refused(
            _(
                "El mensaje es para la cocina N° %(n)s y su número es de %(org)s: envíelo desde el "
                "celular de esa cocina."
            )
            % {"n": named[:12], "org": kitchen.name}
        )
    inbound.user, inbound.kitchen = actor, kitchen
    values["kitchen"] = str(kitchen.pk)
    values.setdefault("date", timezone.localdate().isoformat())  # a text without a date is about today
    form = compact.built.form
    if "item" in values:  # the words a leader uses for a food, as in her `S ARROZ 50` texts
        values["item"] = sms.ITEM_WORDS.get(fold(values["item"]), fold(values["item"]))
        if not FoodItem.objects.filter(code=values["item"]).exists():
            raise commands.Refused(
                _(
                    "No conozco el alimento «%(w)s». Use: arroz, azúcar, menestras, conserva, "
                    "aceite, avena, fideos, papa, pollo, huevos, verduras, gas."
                )
                % {"w": values["item"][:20].upper()}
            )
    extra = {}
    if form.kind == Inbound.Kind.REPORT:
        values, extra["day_version"] = _report_values(kitchen, values)
        values["kitchen"] = str(kitchen.pk)
    else:
        repeated = _repeat_of(inbound, form.kind, values)
        if repeated is not None:
            return _(
                "Este mensaje ya estaba anotado (llegó a las %(time)s); no se registró dos veces. Si de verdad "
                "es otro igual, envíelo de nuevo con ok si al final."
            ) % {"time": timezone.localtime(repeated.received_at).strftime("%H:%M")}
    instance_id = f"uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'ayni:sms:{inbound.pk}')}"
    payload = {
        "format": "openrosa",
        "form": form.form_id,
        "version": compact.built.version,
        "xml": _instance_xml(compact, values, instance_id),
        "via": "sms",
        "message": inbound.pk,
        "record": {k: v for k, v in values.items() if k != "kitchen"},
        **extra,
    }
    stored, _created = capture.store(
        channel=Channel.SMS,
        kind=form.kind,
        payload=payload,
        user=actor,
        kitchen=kitchen,
        sender=inbound.sender,
        client_id=f"sms/{inbound.pk}",
    )
    stored = capture.process(stored, inbound.acting_scope())
    result = stored.result or {}
    if stored.status == Inbound.Status.FAILED:  # an outage: the text fails too, and `replay-inbound` retries it
        raise RuntimeError(f"compact record of message {inbound.pk} failed")
    if stored.status != Inbound.Status.ACCEPTED:
        details = [m for ms in (result.get("errors") or {}).values() for m in ms] + result.get("warnings", [])
        why = " ".join(details) or result.get("message", "")
        if result.get("status") == capture.Outcome.NEEDS_CONFIRMATION:
            why += " " + _("Si está bien, envíe el mismo mensaje con «ok si» al final.")
        raise commands.Refused(why.strip() or _("No se guardó."))
    return _confirmation(form.kind, kitchen, values)


def _repeat_of(inbound: Inbound, kind: str, values: dict) -> Inbound | None:
    """An item added by the same words from the same phone moments ago (a phone sending again)."""
    window = datetime.timedelta(minutes=settings.AYNI_SMS_REPEAT_WINDOW_MINUTES)
    same = {k: v for k, v in values.items() if k != "kitchen"}
    candidates = (
        Inbound.objects.filter(
            channel=Channel.SMS,
            kind=kind,
            phone=inbound.phone,
            status=Inbound.Status.ACCEPTED,
            received_at__gte=inbound.received_at - window,
        )
        .exclude(client_id=f"sms/{inbound.pk}")
        .only("received_at", "payload")
    )
    return next((c for c in candidates if content_hash(c.payload.get("record")) == content_hash(same)), None)


def _confirmation(kind: str, kitchen, values: dict) -> str:
    if kind == Inbound.Kind.REPORT:
        if values.get("is_closed") == "yes":
            return _("%(org)s, %(day)s: anotado que no se cocinó (%(reason)s).") % {
                "org": kitchen.name,
                "day": values["date"],
                "reason": values.get("closed_reason", ""),
            }
        served = sum(int(values.get(f) or 0) for f in ("served_paying", "served_subsidised", "served_free"))
        return _("%(org)s, %(day)s: parte guardado, %(total)s raciones servidas. Gracias.") % {
            "org": kitchen.name,
            "day": values["date"],
            "total": served,
        }
    item = FoodItem.objects.filter(code=values.get("item")).first()
    return _("%(org)s: movimiento guardado, %(q)s %(unit)s de %(item)s. Gracias.") % {
        "org": kitchen.name,
        "q": values.get("quantity", ""),
        "unit": item.unit if item else "",
        "item": item.name.lower() if item else values.get("item", ""),
    }


def register() -> None:
    """Each compact form's prefix as a text keyword (from `ReachConfig.ready`)."""
    for word, compact in compact_forms().items():
        commands.register(
            commands.TextCommand(
                name=f"odk.{compact.built.form.form_id}",
                words=frozenset({word}),
                handle=handle,
                example=EXAMPLES[compact.built.form.kind],
            )
        )
