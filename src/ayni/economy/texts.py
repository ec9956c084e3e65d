"""Savings-group transactions by text message, from the member's own phone, for today's
meeting of her group's open cycle:

    A 3      three shares bought          (A, ACCIONES, AHORRO; Quechua WAQAYCHAY)
    P 50     a loan payment of S/ 50      (P, PAGO, PAGAR; Quechua KUTICHIY); P 12.50 with céntimos

The sender is the member whose registered phone it is (`people.Person.phone`), in one group
only; any other phone is refused. The entry is keyed on the stored text (`sms:<inbound id>`), so
a replay never counts it twice. The words do not clash with the kitchen's R, S, U, C and ?."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from ayni.accounts.scope import Scope
from ayni.capture.commands import Refused, TextCommand, register
from ayni.economy import ledger, services
from ayni.economy.models import Cycle, Entry, GroupMember
from ayni.lib.forms import error_messages

SHARES_WORDS = frozenset({"a", "acciones", "accion", "ahorro", "waqaychay"})
PAYMENT_WORDS = frozenset({"p", "pago", "pagar", "pague", "kutichiy"})


def member_by_phone(phone: str) -> GroupMember:
    """Her membership of a group with an open cycle, by the phone she texts from."""
    if not phone:
        raise Refused(_("Este celular no está registrado en ningún banquito."))
    members = list(GroupMember.objects.filter(person__phone=phone, left_on__isnull=True,
                                              group__cycles__status=Cycle.Status.OPEN)
                   .select_related("group__organisation", "person").distinct()[:2])
    if not members:
        raise Refused(_("Este celular no es de una socia de un banquito con ciclo abierto. Pida a la tesorera "
                        "que anote su celular."))
    if len(members) > 1:
        raise Refused(_("Su celular está en más de un banquito; anote el movimiento con la tesorera."))
    return members[0]


def _today(member: GroupMember, scope: Scope):
    cycle = member.group.cycles.get(status=Cycle.Status.OPEN)
    return services.hold_meeting(scope=scope, cycle=cycle, on=timezone.localdate())


def _scope(inbound, member) -> Scope:
    return Scope.system(f"mensaje de texto del {inbound.phone or inbound.sender}, celular de la socia "
                        f"{member.person.full_name} del banquito {member.group.name}")


def _refusal(exc: ValidationError) -> Refused:
    return Refused(" ".join(m for msgs in error_messages(exc).values() for m in msgs))


def shares_by_text(inbound, args: list[str]) -> str:
    member = member_by_phone(inbound.phone)
    if len(args) != 1 or not args[0].isdigit():
        raise Refused(_("Escriba A y el número de acciones, por ejemplo: A 3"))
    scope = _scope(inbound, member)
    try:
        meeting = _today(member, scope)
        entry = services.buy_shares(scope=scope, meeting=meeting, member=member, shares=int(args[0]),
                                    client_id=f"sms:{inbound.pk}", channel=Entry.Channel.SMS)
    except ValidationError as exc:
        raise _refusal(exc) from None
    mine = ledger.books(services.rows_of(meeting.cycle, member=member)).members[member.pk]
    return _("%(group)s: %(n)s acciones (%(amount)s) anotadas. En el ciclo tiene %(total)s acciones.") % {
        "group": member.group.name, "n": entry.shares, "amount": services.soles(entry.amount), "total": mine.shares}


def _cents(words: list[str]) -> int:
    if len(words) != 1:
        raise Refused(_("Escriba P y el monto en soles, por ejemplo: P 50 o P 12.50"))
    try:
        amount = Decimal(words[0])
    except InvalidOperation:
        raise Refused(_("Escriba P y el monto en soles, por ejemplo: P 50 o P 12.50")) from None
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise Refused(_("El monto va en soles con a lo más dos decimales, por ejemplo: P 12.50"))
    return int(amount * 100)


def payment_by_text(inbound, args: list[str]) -> str:
    member = member_by_phone(inbound.phone)
    amount = _cents(args)
    scope = _scope(inbound, member)
    try:
        meeting = _today(member, scope)
        entries = services.repay(scope=scope, meeting=meeting, member=member, amount=amount,
                                 client_id=f"sms:{inbound.pk}", channel=Entry.Channel.SMS)
    except ValidationError as exc:
        raise _refusal(exc) from None
    interest = sum(e.amount for e in entries if e.kind == "interest")
    owed = sum(s.owed for s in services.loan_states(meeting.cycle, meeting.on, member=member))
    return _("%(group)s: pago de %(amount)s anotado (interés %(interest)s, capital %(principal)s). Aún debe "
             "%(owed)s.") % {"group": member.group.name, "amount": services.soles(amount),
                             "interest": services.soles(interest), "principal": services.soles(amount - interest),
                             "owed": services.soles(owed)}


def register_all() -> None:
    register(TextCommand(name="savings_shares", words=SHARES_WORDS, handle=shares_by_text, example="A 3"))
    register(TextCommand(name="savings_payment", words=PAYMENT_WORDS, handle=payment_by_text, example="P 50"))
