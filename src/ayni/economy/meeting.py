"""The treasurer's meeting sheet: everything a meeting records, in the order it runs —
attendance, savings, repayments, new loans, fines, the box count — saved in one transaction
through the ledger's own services, from the page or from the phone's offline outbox (capture
stores the sheet raw first, then calls `apply_stored_sheet`, once).

Two phones may send sheets for the same meeting: each sheet adds its own movements (the cycle
row is locked, so each is checked against the books as the other left them), and attendance
only ever adds who was present."""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can, Scope
from ayni.economy import services
from ayni.economy.models import Attendance, Cycle, Entry, GroupMember, SavingsGroup
from ayni.lib.forms import error_messages

# The sheet's fields per member, in the order of the meeting.
MEMBER_FIELDS = ("present", "late", "shares", "social", "repay", "loan", "term", "fine")


def soles_to_cents(raw, field: str) -> int | None:
    """'12.50', '12,50', 'S/ 12' → céntimos; blank → None."""
    text = str(raw or "").strip().replace("S/", "").replace(" ", "").replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError({field: _("«%(v)s» no es un monto en soles (por ejemplo 12.50).") % {"v": raw}}) from None
    if value < 0 or value != value.quantize(Decimal("0.01")):
        raise ValidationError({field: _("«%(v)s»: un monto en soles, positivo, con a lo más dos decimales.")
                               % {"v": raw}})
    return int(value * 100)


def _whole(raw, field: str) -> int | None:
    text = str(raw or "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValidationError({field: _("«%(v)s» no es un número entero.") % {"v": raw}})
    return int(text)


def _on(raw) -> datetime.date:
    try:
        return datetime.date.fromisoformat(str(raw or "").strip())
    except ValueError:
        raise ValidationError({"on": _("Falta la fecha de la reunión o no se entiende (AAAA-MM-DD).")}) from None


def _checked(raw) -> bool:
    return str(raw or "").lower() in ("on", "true", "1", "si", "sí")


@transaction.atomic
def record_sheet(*, scope: Scope, group: SavingsGroup, data: dict, client_id: str = "",
                 channel: str = Entry.Channel.WEB) -> dict:
    """Save a meeting sheet (`data` as the form posts it: `on`, `box`, and per member
    `<field>_<member id>`). All of it or nothing: a refused line names the member and why."""
    scope.require(Can.EDIT, group.organisation)
    cycle = Cycle.objects.filter(group=group, status=Cycle.Status.OPEN).first()
    if cycle is None:
        raise ValidationError(_("El banquito no tiene un ciclo abierto."))
    meeting = services.hold_meeting(scope=scope, cycle=cycle, on=_on(data.get("on")))
    members = list(group.members.filter(left_on__isnull=True).select_related("person").order_by("pk"))
    errors: dict[str, list[str]] = {}
    counts = {"entries": 0}

    def attempt(member: GroupMember, field: str, call) -> None:
        try:
            with transaction.atomic():
                made = call()
            counts["entries"] += len(made) if isinstance(made, list) else 1
        except ValidationError as exc:
            for msgs in error_messages(exc).values():
                errors.setdefault(f"{field}_{member.pk}", []).extend(
                    f"{member.person.full_name}: {m}" for m in msgs)

    def key(member, what):
        return f"{client_id}:{member.pk}:{what}" if client_id else ""

    present = []
    for member in members:
        if _checked(data.get(f"present_{member.pk}")):
            present.append(member)
            Attendance.objects.update_or_create(meeting=meeting, member=member, defaults={
                "present": True, "late": _checked(data.get(f"late_{member.pk}"))})
    values = {}
    for member in members:
        try:
            values[member.pk] = {
                "shares": _whole(data.get(f"shares_{member.pk}"), f"shares_{member.pk}"),
                "repay": soles_to_cents(data.get(f"repay_{member.pk}"), f"repay_{member.pk}"),
                "loan": soles_to_cents(data.get(f"loan_{member.pk}"), f"loan_{member.pk}"),
                "term": _whole(data.get(f"term_{member.pk}"), f"term_{member.pk}"),
                "fine": soles_to_cents(data.get(f"fine_{member.pk}"), f"fine_{member.pk}"),
            }
        except ValidationError as exc:
            for field, msgs in error_messages(exc).items():
                errors.setdefault(field, []).extend(f"{member.person.full_name}: {m}" for m in msgs)
    if errors:
        raise ValidationError(errors)
    common = {"scope": scope, "meeting": meeting, "channel": channel}
    # In the order of the meeting: savings and social fund, repayments, new loans, fines.
    for member in members:
        v = values[member.pk]
        if v["shares"]:
            attempt(member, "shares", lambda m=member, n=v["shares"]: services.buy_shares(
                member=m, shares=n, client_id=key(m, "a"), **common))
        if _checked(data.get(f"social_{member.pk}")):
            attempt(member, "social", lambda m=member: services.pay_social_fund(
                member=m, client_id=key(m, "s"), **common))
    for member in members:
        if values[member.pk]["repay"]:
            attempt(member, "repay", lambda m=member, a=values[member.pk]["repay"]: services.repay(
                member=m, amount=a, client_id=key(m, "p"), **common))
    for member in members:
        v = values[member.pk]
        if v["loan"]:
            attempt(member, "loan", lambda m=member, a=v["loan"], t=v["term"] or 0: services.disburse_loan(
                member=m, principal=a, term_months=t, client_id=key(m, "l"), **common))
    for member in members:
        if values[member.pk]["fine"]:
            attempt(member, "fine", lambda m=member, a=values[member.pk]["fine"]: services.pay_fine(
                member=m, reason=_("Multa de la reunión"), amount=a, client_id=key(m, "f"), **common))
    if errors:
        raise ValidationError(errors)
    box = soles_to_cents(data.get("box"), "box")
    if box is not None:
        meeting = services.count_box(scope=scope, meeting=meeting, counted=box)
    return {"id": meeting.pk, "present": len(present), "entries": counts["entries"],
            "box_difference": meeting.box_difference}


def apply_stored_sheet(inbound, scope: Scope) -> dict:
    """Capture's handler for a sheet kept on the phone (`Inbound.kind == "meeting"`): the
    group is named in the item; the sheet is saved once, keyed on the stored item."""
    try:
        group = SavingsGroup.objects.select_related("organisation").get(
            pk=int(inbound.payload.get("group") or 0), organisation=inbound.kitchen)
    except (SavingsGroup.DoesNotExist, ValueError, TypeError):
        raise ValidationError(_("El banquito de esta hoja no existe en esta organización.")) from None
    return record_sheet(scope=scope, group=group, data=inbound.payload, client_id=f"in{inbound.pk}",
                        channel=Entry.Channel.OUTBOX)
