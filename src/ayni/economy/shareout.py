"""The share-out (*reparto*) at the end of a cycle, computed from the ledger alone, so that the
sheet read at the meeting and a recomputation months later give the same céntimos.

The rule, as printed on the sheet:
- The fund to share is the cash in the box, less the social fund (it stays for the next cycle),
  plus what members still owe that is taken from their own savings.
- A member who owes (loan outstanding and interest due) has it taken from her payout, up to her
  payout: she receives the rest. What she owes beyond her payout stays owed.
- Each member gets her shares' part of the fund, rounded down to the céntimo; the céntimos left
  over by the rounding (fewer than the number of members) stay in the box with the social fund.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Line:
    member: int
    shares: int
    gross: int  # her shares' part of the fund
    owed: int  # loan outstanding and interest due on the day
    netted: int  # taken from her payout for what she owes
    paid: int  # cash handed to her


@dataclass(frozen=True)
class Plan:
    box: int
    social_fund: int
    recovered: int
    distributable: int
    total_shares: int
    remainder: int
    lines: tuple[Line, ...]

    @property
    def cash_out(self) -> int:
        return sum(line.paid for line in self.lines)


def plan(*, box: int, social_fund: int, shares: dict[int, int], savings: dict[int, int],
         owed: dict[int, int]) -> Plan:
    """The share-out of a fund. `shares`, `savings` (céntimos paid for shares) and `owed` per member."""
    members = sorted(set(shares) | set(owed))
    total = sum(max(0, shares.get(m, 0)) for m in members)
    if total <= 0:
        raise ValidationError(_("No hay acciones que repartir en este ciclo."))
    # What is taken from a payout is at most what she owes and at most her own savings; when the
    # fund has lost value and her part is smaller than that, at most her part: lowered until it holds.
    cap = {m: max(0, min(owed.get(m, 0), savings.get(m, 0))) for m in members}
    while True:
        recovered = sum(cap.values())
        distributable = box - social_fund + recovered
        if distributable < 0:
            raise ValidationError(_("La caja (%(box)s céntimos) no alcanza ni para el fondo social (%(social)s "
                                    "céntimos): revise los movimientos antes del reparto.")
                                  % {"box": box, "social": social_fund})
        gross = {m: distributable * max(0, shares.get(m, 0)) // total for m in members}
        lowered = {m: min(cap[m], gross[m]) for m in members}
        if lowered == cap:
            break
        cap = lowered
    lines = tuple(Line(member=m, shares=max(0, shares.get(m, 0)), gross=gross[m], owed=owed.get(m, 0),
                       netted=cap[m], paid=gross[m] - cap[m]) for m in members)
    remainder = distributable - sum(line.gross for line in lines)
    return Plan(box=box, social_fund=social_fund, recovered=recovered, distributable=distributable,
                total_shares=total, remainder=remainder, lines=lines)
