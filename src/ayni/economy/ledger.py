"""The books of a savings group, derived from its entries: pure functions on plain rows, used by
the services (to check a movement before writing it), by the pages, by the share-out, by
`ayni check-integrity` and by the property tests — one arithmetic everywhere.

All money is integer céntimos. Interest is computed exactly in `Decimal` and rounded once, half
up, to the céntimo: a month is 30 days."""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from ayni.economy.models import CASH_IN, CASH_OUT, EntryKind, InterestMethod

MONTH_DAYS = 30


@dataclass(frozen=True)
class Row:
    """What the books need of an entry."""

    kind: str
    amount: int
    shares: int = 0
    member: int | None = None
    loan: int | None = None
    on: datetime.date | None = None
    pk: int | None = None
    reverses: int | None = None


@dataclass(frozen=True)
class LoanTerms:
    pk: int
    member: int
    disbursed_on: datetime.date
    principal: int
    term_months: int
    interest_rate: Decimal  # % per month
    interest_method: str


@dataclass
class MemberBook:
    shares: int = 0
    savings: int = 0  # céntimos paid for shares, less withdrawals
    social: int = 0
    fines: int = 0
    interest_paid: int = 0
    borrowed: int = 0
    repaid: int = 0
    received: int = 0  # share-out and social-fund payouts

    @property
    def loan_outstanding(self) -> int:
        return self.borrowed - self.repaid


@dataclass
class Books:
    """A cycle's figures, all derived from its entries."""

    members: dict[int, MemberBook] = field(default_factory=lambda: defaultdict(MemberBook))
    totals: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def box(self) -> int:
        """Cash that should be in the box."""
        return (sum(self.totals[k] for k in CASH_IN) - sum(self.totals[k] for k in CASH_OUT))

    @property
    def loans_outstanding(self) -> int:
        return self.totals[EntryKind.LOAN] - self.totals[EntryKind.REPAYMENT]

    @property
    def social_fund(self) -> int:
        return self.totals[EntryKind.SOCIAL] - self.totals[EntryKind.SOCIAL_PAYOUT]

    @property
    def came_in(self) -> int:
        """Money members put in for good: savings, social fund, fines, interest."""
        return sum(self.totals[k] for k in (EntryKind.SHARES, EntryKind.SOCIAL, EntryKind.FINE, EntryKind.INTEREST))

    @property
    def paid_out(self) -> int:
        return sum(self.totals[k] for k in (EntryKind.WITHDRAWAL, EntryKind.SOCIAL_PAYOUT, EntryKind.SHARE_OUT))

    @property
    def shares(self) -> int:
        return self.totals["shares_count"]


def books(rows: Iterable[Row]) -> Books:
    """Add the entries up: per member and for the group."""
    b = Books()
    for r in rows:
        b.totals[r.kind] += r.amount
        m = b.members[r.member] if r.member is not None else None
        if r.kind == EntryKind.SHARES:
            b.totals["shares_count"] += r.shares
            if m is not None:
                m.shares += r.shares
                m.savings += r.amount
        elif r.kind == EntryKind.WITHDRAWAL:
            b.totals["shares_count"] -= r.shares
            if m is not None:
                m.shares -= r.shares
                m.savings -= r.amount
        elif m is None:
            continue
        elif r.kind == EntryKind.SOCIAL:
            m.social += r.amount
        elif r.kind == EntryKind.FINE:
            m.fines += r.amount
        elif r.kind == EntryKind.INTEREST:
            m.interest_paid += r.amount
        elif r.kind == EntryKind.LOAN:
            m.borrowed += r.amount
        elif r.kind == EntryKind.REPAYMENT:
            m.repaid += r.amount
        elif r.kind in (EntryKind.SHARE_OUT, EntryKind.SOCIAL_PAYOUT):
            m.received += r.amount
    return b


def cents(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- Loans -----------------------------------------------------------------------------------

@dataclass
class LoanState:
    terms: LoanTerms
    disbursed: int
    repaid: int
    interest_accrued: int
    interest_paid: int
    arrears: int
    days_late: int

    @property
    def outstanding(self) -> int:
        return self.disbursed - self.repaid

    @property
    def interest_due(self) -> int:
        return max(0, self.interest_accrued - self.interest_paid)

    @property
    def owed(self) -> int:
        return self.outstanding + self.interest_due


def _principal_events(rows: list[Row]) -> list[tuple[datetime.date, int]]:
    events = [(r.on, r.amount if r.kind == EntryKind.LOAN else -r.amount)
              for r in rows if r.kind in (EntryKind.LOAN, EntryKind.REPAYMENT)]
    return sorted(events, key=lambda e: e[0])


def interest_accrued(terms: LoanTerms, rows: list[Row], on: datetime.date) -> int:
    """Interest earned by the group on the loan up to `on`.

    Flat: the rate on the amount lent, for every month begun (at least one) until it is paid off.
    Declining balance: the rate on what is still owed, day by day (a month is 30 days)."""
    rate = Decimal(terms.interest_rate) / 100
    events = [e for e in _principal_events(rows) if e[0] <= on]
    if terms.interest_method == InterestMethod.FLAT:
        disbursed = sum(r.amount for r in rows if r.kind == EntryKind.LOAN)
        if disbursed <= 0:
            return 0
        balance, end = 0, on
        for day, amount in events:
            balance += amount
            if balance <= 0 and day >= terms.disbursed_on:
                end = day
                break
        days = max(0, (end - terms.disbursed_on).days)
        months = max(1, -(-days // MONTH_DAYS))
        return cents(disbursed * rate * months)
    accrued, balance, last = Decimal(0), 0, terms.disbursed_on
    for day, amount in events:
        accrued += balance * rate * (day - last).days / MONTH_DAYS
        balance, last = balance + amount, max(last, day)
    accrued += balance * rate * max(0, (on - last).days) / MONTH_DAYS
    return cents(accrued)


def scheduled_principal(terms: LoanTerms, k: int) -> int:
    """Principal due by the k-th monthly instalment (equal instalments; the last takes the rest)."""
    if k >= terms.term_months:
        return terms.principal
    return terms.principal * k // terms.term_months


def loan_state(terms: LoanTerms, rows: list[Row], on: datetime.date) -> LoanState:
    disbursed = sum(r.amount for r in rows if r.kind == EntryKind.LOAN)
    repaid = sum(r.amount for r in rows if r.kind == EntryKind.REPAYMENT and (r.on is None or r.on <= on))
    paid_interest = sum(r.amount for r in rows if r.kind == EntryKind.INTEREST)
    elapsed = max(0, (on - terms.disbursed_on).days) // MONTH_DAYS
    arrears = days_late = 0
    if disbursed > 0 and repaid < disbursed:
        arrears = max(0, scheduled_principal(terms, elapsed) - repaid)
        if arrears:
            first = next(k for k in range(1, terms.term_months + 1) if scheduled_principal(terms, k) > repaid)
            days_late = (on - (terms.disbursed_on + datetime.timedelta(days=MONTH_DAYS * first))).days
    return LoanState(terms=terms, disbursed=disbursed, repaid=repaid,
                     interest_accrued=interest_accrued(terms, rows, on) if disbursed > 0 else 0,
                     interest_paid=paid_interest, arrears=arrears, days_late=max(0, days_late))


def split_repayment(state: LoanState, amount: int) -> tuple[int, int]:
    """(interest, principal) of a payment: interest due first, the rest to the principal."""
    interest = min(amount, state.interest_due)
    return interest, amount - interest


def portfolio_at_risk(states: Iterable[LoanState]) -> tuple[int, int]:
    """(outstanding of loans with any instalment late, all outstanding)."""
    at_risk = total = 0
    for s in states:
        total += s.outstanding
        if s.arrears > 0:
            at_risk += s.outstanding
    return at_risk, total
