"""State changes of the economy domain. Each is one transaction, checks the caller's scope and
writes its audit entry. Every movement of a savings group goes through `_post`, after the cycle
row is locked, so that two phones entering the same meeting at once are served one after the
other against the same books; a resend with the same client id returns the entry already
written, never a second one."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can, Scope
from ayni.audit.services import entry as audit_entry
from ayni.audit.services import record, record_many, snapshot
from ayni.economy import ledger, shareout
from ayni.economy.models import (
    Attendance,
    Cycle,
    Entry,
    EntryKind,
    GroupMember,
    Loan,
    Meeting,
    SavingsGroup,
    ShareOut,
    ShareOutLine,
)
from ayni.orgs.models import Organisation
from ayni.people.models import Person


def soles(cents: int) -> str:
    """S/ 1,234.50 — Peruvian style, for messages (templates use the `soles` filter)."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    return f"{sign}S/ {whole:,}.{part:02d}"


# --- Groups, members, cycles, meetings -----------------------------------------------------

@transaction.atomic
def create_group(*, scope: Scope, organisation: Organisation, name: str, starts_on: datetime.date,
                 ends_on: datetime.date, **rules) -> SavingsGroup:
    """A new savings group of an organisation, with its first cycle and that cycle's rules."""
    scope.require(Can.EDIT, organisation)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Escriba el nombre del banquito.")})
    group = SavingsGroup.objects.create(organisation=organisation, name=name)
    _new_cycle(group, 1, starts_on, ends_on, rules)
    record(scope=scope, action="savings.group", obj=group, org_path=organisation.path, after=snapshot(group))
    return group


def _new_cycle(group, number, starts_on, ends_on, rules) -> Cycle:
    unknown = set(rules) - set(Cycle.RULE_FIELDS)
    if unknown:
        raise ValueError(f"not rules of a cycle: {unknown}")
    cycle = Cycle(group=group, number=number, starts_on=starts_on, ends_on=ends_on, **rules)
    cycle.full_clean(exclude=["group"], validate_constraints=False)
    cycle.save()
    return cycle


@transaction.atomic
def open_cycle(*, scope: Scope, group: SavingsGroup, starts_on: datetime.date, ends_on: datetime.date,
               **rules) -> Cycle:
    """The next cycle, with the last cycle's rules unless others are given."""
    scope.require(Can.EDIT, group.organisation)
    SavingsGroup.objects.select_for_update().get(pk=group.pk)
    last = group.cycles.order_by("-number").first()
    if last is not None and last.status == Cycle.Status.OPEN:
        raise ValidationError(_("El ciclo %(n)s sigue abierto: haga el reparto antes de abrir otro.")
                              % {"n": last.number})
    base = {f: getattr(last, f) for f in Cycle.RULE_FIELDS} if last else {}
    cycle = _new_cycle(group, (last.number + 1) if last else 1, starts_on, ends_on, base | rules)
    record(scope=scope, action="savings.cycle", obj=cycle, org_path=group.organisation.path, after=snapshot(cycle))
    return cycle


@transaction.atomic
def add_member(*, scope: Scope, group: SavingsGroup, person: Person, joined_on: datetime.date) -> GroupMember:
    scope.require(Can.EDIT, group.organisation)
    member, created = GroupMember.objects.get_or_create(group=group, person=person,
                                                        defaults={"joined_on": joined_on})
    if not created:
        raise ValidationError(_("%(name)s ya es socia de este banquito.") % {"name": person.full_name})
    record(scope=scope, action="savings.member", obj=member, org_path=group.organisation.path,
           after=snapshot(member))
    return member


def _lock_open(cycle: Cycle) -> Cycle:
    """The cycle, locked for this transaction; refused when closed."""
    cycle = Cycle.objects.select_for_update().select_related("group__organisation").get(pk=cycle.pk)
    if cycle.status != Cycle.Status.OPEN:
        raise ValidationError(_("El ciclo %(n)s ya se cerró con el reparto: no admite más movimientos.")
                              % {"n": cycle.number})
    return cycle


@transaction.atomic
def hold_meeting(*, scope: Scope, cycle: Cycle, on: datetime.date) -> Meeting:
    """The meeting of the day (the same one if it was already opened: a second phone)."""
    scope.require(Can.EDIT, cycle.group.organisation)
    cycle = _lock_open(cycle)
    if on < cycle.starts_on:
        raise ValidationError({"on": _("La reunión es antes del inicio del ciclo (%(d)s).")
                               % {"d": cycle.starts_on.strftime("%d/%m/%Y")}})
    if on > timezone.localdate():
        raise ValidationError({"on": _("La reunión no puede ser en una fecha futura.")})
    meeting, created = Meeting.objects.get_or_create(cycle=cycle, on=on)
    if created:
        record(scope=scope, action="savings.meeting", obj=meeting, org_path=cycle.group.organisation.path,
               after=snapshot(meeting))
    return meeting


@transaction.atomic
def record_attendance(*, scope: Scope, meeting: Meeting, present: list[int], late: list[int] = ()) -> int:
    """Who came (member ids): the rest of the group's members are marked absent."""
    cycle = _lock_open(meeting.cycle)
    scope.require(Can.EDIT, cycle.group.organisation)
    members = list(cycle.group.members.filter(left_on__isnull=True).values_list("pk", flat=True))
    unknown = set(present) - set(members)
    if unknown:
        raise ValidationError(_("Hay personas marcadas que no son socias de este banquito."))
    for pk in members:
        Attendance.objects.update_or_create(meeting=meeting, member_id=pk,
                                            defaults={"present": pk in present, "late": pk in late})
    record(scope=scope, action="savings.attendance", obj=meeting, org_path=cycle.group.organisation.path,
           after={"present": len(present), "absent": len(members) - len(present)})
    return len(present)


# --- The ledger -----------------------------------------------------------------------------

def rows_of(cycle: Cycle, *, member: GroupMember | None = None, loan: Loan | None = None) -> list[ledger.Row]:
    qs = Entry.objects.filter(cycle=cycle)
    if member is not None:
        qs = qs.filter(member=member)
    if loan is not None:
        qs = qs.filter(loan=loan)
    return [ledger.Row(kind=k, amount=a, shares=s, member=m, loan=lo, on=d, pk=pk, reverses=r)
            for k, a, s, m, lo, d, pk, r in qs.order_by("on", "pk").values_list(
                "kind", "amount", "shares", "member_id", "loan_id", "on", "pk", "reverses_id")]


def loan_terms(loan: Loan) -> ledger.LoanTerms:
    return ledger.LoanTerms(pk=loan.pk, member=loan.member_id, disbursed_on=loan.disbursed_on,
                            principal=loan.principal, term_months=loan.term_months,
                            interest_rate=loan.interest_rate, interest_method=loan.interest_method)


def loan_states(cycle: Cycle, on: datetime.date, *, member: GroupMember | None = None,
                rows: list[ledger.Row] | None = None) -> list[ledger.LoanState]:
    loans = cycle.loans.all() if member is None else cycle.loans.filter(member=member)
    rows = rows if rows is not None else rows_of(cycle, member=member)
    by_loan: dict[int, list[ledger.Row]] = {}
    for r in rows:
        if r.loan is not None:
            by_loan.setdefault(r.loan, []).append(r)
    return [ledger.loan_state(loan_terms(loan), by_loan.get(loan.pk, []), on) for loan in loans.order_by("pk")]


def _member_of(cycle: Cycle, member: GroupMember) -> GroupMember:
    if member.group_id != cycle.group_id:
        raise ValidationError(_("Esa persona no es socia de este banquito."))
    return member


def _existing(cycle: Cycle, client_id: str) -> Entry | None:
    return Entry.objects.filter(group_id=cycle.group_id, client_id=client_id).first() if client_id else None


def _post(*, scope: Scope, cycle: Cycle, meeting: Meeting | None, member: GroupMember | None, kind: str,
          amount: int, shares: int = 0, loan: Loan | None = None, on: datetime.date | None = None,
          client_id: str = "", channel: str = Entry.Channel.WEB, note: str = "", share_out=None,
          reverses: Entry | None = None) -> Entry:
    entry = Entry(group_id=cycle.group_id, cycle=cycle, meeting=meeting, member=member, kind=kind, amount=amount,
                  shares=shares, loan=loan, on=on or (meeting.on if meeting else timezone.localdate()),
                  client_id=client_id[:64], channel=channel, note=note[:200], share_out=share_out, reverses=reverses,
                  created_by=scope.actor)
    entry.save()
    record(scope=scope, action="savings.entry", obj=entry, org_path=cycle.group.organisation.path,
           after=snapshot(entry))
    return entry


def _prepare(scope: Scope, meeting: Meeting, member: GroupMember, client_id: str):
    """Scope, lock, the same resend: (cycle, entry already written or None)."""
    scope.require(Can.EDIT, meeting.cycle.group.organisation)
    cycle = _lock_open(meeting.cycle)
    _member_of(cycle, member)
    return cycle, _existing(cycle, client_id)


@transaction.atomic
def buy_shares(*, scope: Scope, meeting: Meeting, member: GroupMember, shares: int, client_id: str = "",
               channel: str = Entry.Channel.WEB) -> Entry:
    """Shares bought at a meeting, within the cycle's minimum and maximum per meeting."""
    cycle, done = _prepare(scope, meeting, member, client_id)
    if done:
        return done
    bought = sum(r.shares for r in rows_of(cycle, member=member)
                 if r.kind == EntryKind.SHARES and r.on == meeting.on)
    if shares is None or shares < 1:
        raise ValidationError({"shares": _("Indique cuántas acciones compra (al menos una).")})
    total = bought + shares
    if total < cycle.shares_min or total > cycle.shares_max:
        raise ValidationError({"shares": _(
            "En cada reunión se compran de %(min)s a %(max)s acciones; con estas serían %(total)s.")
            % {"min": cycle.shares_min, "max": cycle.shares_max, "total": total}})
    return _post(scope=scope, cycle=cycle, meeting=meeting, member=member, kind=EntryKind.SHARES,
                 amount=shares * cycle.share_value, shares=shares, client_id=client_id, channel=channel)


@transaction.atomic
def pay_social_fund(*, scope: Scope, meeting: Meeting, member: GroupMember, client_id: str = "",
                    channel: str = Entry.Channel.WEB) -> Entry:
    cycle, done = _prepare(scope, meeting, member, client_id)
    if done:
        return done
    if cycle.social_fund <= 0:
        raise ValidationError(_("Este ciclo no tiene aporte al fondo social."))
    return _post(scope=scope, cycle=cycle, meeting=meeting, member=member, kind=EntryKind.SOCIAL,
                 amount=cycle.social_fund, client_id=client_id, channel=channel)


FINE_REASONS = {"late": "late_fine", "absence": "absence_fine"}


@transaction.atomic
def pay_fine(*, scope: Scope, meeting: Meeting, member: GroupMember, reason: str, amount: int | None = None,
             client_id: str = "", channel: str = Entry.Channel.WEB) -> Entry:
    """A fine paid: for lateness or absence at the rule's amount, or another with its amount."""
    cycle, done = _prepare(scope, meeting, member, client_id)
    if done:
        return done
    if reason in FINE_REASONS:
        amount = getattr(cycle, FINE_REASONS[reason])
        note = {"late": _("Tardanza"), "absence": _("Inasistencia")}[reason]
    else:
        note = reason.strip() or _("Otra multa")
    if not amount or amount <= 0:
        raise ValidationError({"amount": _("Indique el monto de la multa.")})
    return _post(scope=scope, cycle=cycle, meeting=meeting, member=member, kind=EntryKind.FINE, amount=amount,
                 client_id=client_id, channel=channel, note=note)


@transaction.atomic
def disburse_loan(*, scope: Scope, meeting: Meeting, member: GroupMember, principal: int, term_months: int,
                  client_id: str = "", channel: str = Entry.Channel.WEB) -> Entry:
    """A loan from the fund: at most the rule's multiple of her savings (less what she owes), no
    longer than the rule's term, not to a member in arrears unless the rule allows it, and no more
    than the cash in the box."""
    cycle, done = _prepare(scope, meeting, member, client_id)
    if done:
        return done
    errors = {}
    if principal is None or principal <= 0:
        errors["principal"] = _("El monto del préstamo debe ser mayor que cero.")
    if not term_months or term_months < 1 or term_months > cycle.max_term_months:
        errors["term_months"] = _("El plazo es de 1 a %(n)s meses según las reglas del banquito.") % {
            "n": cycle.max_term_months}
    if errors:
        raise ValidationError(errors)
    rows = rows_of(cycle)
    books = ledger.books(rows)
    mine = books.members[member.pk]
    states = [s for s in loan_states(cycle, meeting.on, rows=rows) if s.terms.member == member.pk]
    late = [s for s in states if s.arrears > 0]
    if late and not cycle.lend_in_arrears:
        raise ValidationError({"principal": _(
            "La socia tiene cuotas atrasadas (%(amount)s, %(days)s días): las reglas no permiten prestarle hasta "
            "que se ponga al día.") % {"amount": soles(sum(s.arrears for s in late)),
                                      "days": max(s.days_late for s in late)}})
    owed = sum(s.outstanding for s in states)
    limit = ledger.cents(Decimal(mine.savings) * cycle.loan_multiple) - owed
    if principal > limit:
        raise ValidationError({"principal": _(
            "Puede prestarse hasta %(limit)s: %(multiple)s veces lo que ahorró (%(savings)s) menos lo que aún debe "
            "(%(owed)s).") % {"limit": soles(max(0, limit)), "multiple": cycle.loan_multiple,
                              "savings": soles(mine.savings), "owed": soles(owed)}})
    available = books.box - books.social_fund
    if principal > available:
        raise ValidationError({"principal": _("En la caja hay %(cash)s para préstamos (sin contar el fondo social); "
                                              "no alcanza para %(amount)s.")
                               % {"cash": soles(max(0, available)), "amount": soles(principal)}})
    loan = Loan.objects.create(cycle=cycle, member=member, disbursed_on=meeting.on, principal=principal,
                               term_months=term_months, interest_rate=cycle.interest_rate,
                               interest_method=cycle.interest_method)
    return _post(scope=scope, cycle=cycle, meeting=meeting, member=member, kind=EntryKind.LOAN, amount=principal,
                 loan=loan, client_id=client_id, channel=channel)


@transaction.atomic
def repay(*, scope: Scope, meeting: Meeting, member: GroupMember, amount: int, client_id: str = "",
          channel: str = Entry.Channel.WEB) -> list[Entry]:
    """A payment towards her loans, oldest first: each loan's interest due first, then its
    principal. More than she owes in all is refused."""
    cycle, done = _prepare(scope, meeting, member, client_id)
    if done:
        ids = [client_id, *(f"{client_id[:56]}:{n}" for n in range(1, 20))]
        return list(Entry.objects.filter(group_id=cycle.group_id, client_id__in=ids).order_by("pk"))
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("El pago debe ser mayor que cero.")})
    states = [s for s in loan_states(cycle, meeting.on, member=member) if s.owed > 0]
    owed = sum(s.owed for s in states)
    if amount > owed:
        raise ValidationError({"amount": _("Paga %(amount)s pero debe %(owed)s en total (capital e interés a la "
                                           "fecha): el pago no puede ser mayor que la deuda.")
                               % {"amount": soles(amount), "owed": soles(owed)}})
    return _apply_payment(scope, cycle, meeting, member, states, amount, client_id, channel)


def _apply_payment(scope, cycle, meeting, member, states, amount, client_id, channel, share_out=None,
                   on=None) -> list[Entry]:
    entries, left, n = [], amount, 0
    loans = {loan.pk: loan for loan in cycle.loans.filter(pk__in=[s.terms.pk for s in states])}
    for state in states:
        if left <= 0:
            break
        interest, principal = ledger.split_repayment(state, min(left, state.owed))
        for kind, part in ((EntryKind.INTEREST, interest), (EntryKind.REPAYMENT, principal)):
            if part > 0:
                cid = f"{client_id[:56]}:{n}" if client_id and n else client_id
                entries.append(_post(scope=scope, cycle=cycle, meeting=meeting, member=member, kind=kind,
                                     amount=part, loan=loans[state.terms.pk], client_id=cid, channel=channel,
                                     share_out=share_out, on=on))
                n += 1
        left -= interest + principal
    return entries


@transaction.atomic
def withdraw(*, scope: Scope, meeting: Meeting, member: GroupMember, shares: int, client_id: str = "") -> Entry:
    """Shares given back before the share-out (a member who leaves), at their paid value."""
    cycle, done = _prepare(scope, meeting, member, client_id)
    if done:
        return done
    rows = rows_of(cycle)
    books = ledger.books(rows)
    mine = books.members[member.pk]
    if shares is None or shares < 1 or shares > mine.shares:
        raise ValidationError({"shares": _("Tiene %(n)s acciones: puede retirar de 1 a %(n)s.") % {"n": mine.shares}})
    owed = sum(s.owed for s in loan_states(cycle, meeting.on, rows=rows) if s.terms.member == member.pk)
    if owed:
        raise ValidationError({"shares": _("Debe %(owed)s: pague el préstamo antes de retirar ahorros.")
                               % {"owed": soles(owed)}})
    amount = mine.savings * shares // mine.shares
    if amount > books.box - books.social_fund:
        raise ValidationError({"shares": _("No hay en caja %(amount)s para el retiro.") % {"amount": soles(amount)}})
    return _post(scope=scope, cycle=cycle, meeting=meeting, member=member, kind=EntryKind.WITHDRAWAL,
                 amount=amount, shares=shares, client_id=client_id)


@transaction.atomic
def reverse(*, scope: Scope, entry: Entry, reason: str, client_id: str = "") -> Entry:
    """Correct a mistaken entry with its opposite, never by changing it. The books must still
    hold afterwards (no negative savings, loan or box)."""
    scope.require(Can.EDIT, entry.group.organisation)
    cycle = _lock_open(entry.cycle)
    done = _existing(cycle, client_id)
    if done:
        return done
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Escriba por qué se anula el movimiento.")})
    if entry.reverses_id is not None:
        raise ValidationError(_("Este movimiento ya es una anulación; registre el movimiento correcto de nuevo."))
    if Entry.objects.filter(reverses=entry).exists():
        raise ValidationError(_("Este movimiento ya fue anulado."))
    if entry.share_out_id is not None:
        raise ValidationError(_("Los movimientos del reparto no se anulan uno por uno."))
    if entry.kind == EntryKind.LOAN and Entry.objects.filter(loan=entry.loan_id, reverses__isnull=True).exclude(
            pk=entry.pk).exclude(reversed_by__isnull=False).exists():
        raise ValidationError(_("El préstamo ya tiene pagos: anule primero los pagos."))
    rows = rows_of(cycle)
    after = ledger.books([*rows, ledger.Row(kind=entry.kind, amount=-entry.amount, shares=-entry.shares,
                                            member=entry.member_id, loan=entry.loan_id)])
    mine = after.members[entry.member_id] if entry.member_id else None
    if after.box < 0:
        raise ValidationError(_("Anularlo dejaría la caja en negativo."))
    if mine is not None and (mine.shares < 0 or mine.loan_outstanding < 0):
        raise ValidationError(_("Anularlo dejaría a la socia con saldo negativo."))
    return _post(scope=scope, cycle=cycle, meeting=entry.meeting, member=entry.member, kind=entry.kind,
                 amount=-entry.amount, shares=-entry.shares, loan=entry.loan, on=timezone.localdate(),
                 client_id=client_id, note=_("Anula: %(why)s") % {"why": reason}, reverses=entry)


@transaction.atomic
def count_box(*, scope: Scope, meeting: Meeting, counted: int) -> Meeting:
    """The cash counted at the end of the meeting, recorded beside what the books say; a
    difference is kept as it is, never adjusted away."""
    cycle = _lock_open(meeting.cycle)
    scope.require(Can.EDIT, cycle.group.organisation)
    if counted is None or counted < 0:
        raise ValidationError({"counted": _("Escriba cuánto dinero hay en la caja.")})
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    before = snapshot(meeting)
    meeting.box_expected = ledger.books(r for r in rows_of(cycle) if r.on <= meeting.on).box
    meeting.box_counted = counted
    meeting.counted_at = timezone.now()
    meeting.save(update_fields=["box_expected", "box_counted", "counted_at"])
    record(scope=scope, action="savings.box", obj=meeting, org_path=cycle.group.organisation.path, before=before,
           after=snapshot(meeting))
    return meeting


# --- Share-out ------------------------------------------------------------------------------

def _states_of(loans, rows: list[ledger.Row], on: datetime.date) -> list[ledger.LoanState]:
    """The loans' states on a day from rows already read (loans in pk order)."""
    by_loan: dict[int, list[ledger.Row]] = {}
    for r in rows:
        if r.loan is not None:
            by_loan.setdefault(r.loan, []).append(r)
    return [ledger.loan_state(loan_terms(loan), by_loan.get(loan.pk, []), on)
            for loan in sorted(loans, key=lambda x: x.pk)]


def _plan_from(rows: list[ledger.Row], states: list[ledger.LoanState]) -> shareout.Plan:
    books = ledger.books(rows)
    owed: dict[int, int] = {}
    for state in states:
        if state.owed:
            owed[state.terms.member] = owed.get(state.terms.member, 0) + state.owed
    shares = {m: b.shares for m, b in books.members.items() if b.shares}
    savings = {m: b.savings for m, b in books.members.items()}
    return shareout.plan(box=books.box, social_fund=books.social_fund, shares=shares, savings=savings, owed=owed)


def plan_share_out(cycle: Cycle, on: datetime.date, rows: list[ledger.Row] | None = None) -> shareout.Plan:
    """The share-out computed from the ledger without the share-out's own entries: what the sheet
    shows before it is done, and its recomputation after."""
    if rows is None:
        rows = [r for r in rows_of(cycle)]
        excluded = set(Entry.objects.filter(cycle=cycle, share_out__isnull=False).values_list("pk", flat=True))
        rows = [r for r in rows if r.pk not in excluded]
    return _plan_from(rows, _states_of(list(cycle.loans.all()), rows, on))


def ledgers_of(cycle_ids, *, with_share_out: bool = False) -> dict[int, list[ledger.Row]]:
    """What the books of many cycles need, per cycle, in two queries: the movements that name no
    loan summed per member and kind by the database (the books only add them up), and the loans'
    movements one by one, with their days (interest and arrears follow the calendar). The share-out's
    own entries are left out unless asked for. `ledger.books` gives the same figures as from the
    rows one by one."""
    ids = list(cycle_ids)
    out: dict[int, list[ledger.Row]] = {c: [] for c in ids}
    qs = Entry.objects.filter(cycle_id__in=ids)
    if not with_share_out:
        qs = qs.filter(share_out__isnull=True)
    for c, member, kind, amount, shares in (qs.filter(loan__isnull=True).values("cycle_id", "member_id", "kind")
                                            .annotate(a=Sum("amount"), s=Sum("shares")).order_by()
                                            .values_list("cycle_id", "member_id", "kind", "a", "s")):
        out[c].append(ledger.Row(kind=kind, amount=amount or 0, shares=shares or 0, member=member))
    for c, k, a, s, m, lo, d, pk, r in qs.filter(loan__isnull=False).order_by("cycle_id", "on", "pk").values_list(
            "cycle_id", "kind", "amount", "shares", "member_id", "loan_id", "on", "pk", "reverses_id"):
        out[c].append(ledger.Row(kind=k, amount=a, shares=s, member=m, loan=lo, on=d, pk=pk, reverses=r))
    return out


def loans_of(cycle_ids) -> dict[int, list[Loan]]:
    out: dict[int, list[Loan]] = {c: [] for c in cycle_ids}
    for loan in Loan.objects.filter(cycle_id__in=list(cycle_ids)).order_by("pk"):
        out[loan.cycle_id].append(loan)
    return out


@transaction.atomic
def share_out(*, scope: Scope, cycle: Cycle, on: datetime.date) -> ShareOut:
    """Do the share-out and close the cycle: what each member owes is taken from her payout as
    repayments, her payout is paid, and the rounding remainder stays in the box."""
    return share_out_many(scope=scope, cycles=[cycle], on=on)[0]


@transaction.atomic
def share_out_many(*, scope: Scope, cycles, on: datetime.date) -> list[ShareOut]:
    """The share-out of many cycles at once (the end of a season for a whole federation), as
    `share_out` does one: the ledgers read in one query, each plan computed from them, the
    netting repayments, the payouts, the sheets and the audit entries written in bulk. All or
    nothing: one cycle that cannot be shared out refuses the batch, naming it."""
    ids = sorted({c.pk for c in cycles})
    locked = list(Cycle.objects.select_for_update().select_related("group__organisation").filter(pk__in=ids)
                  .order_by("pk"))
    for cycle in locked:
        scope.require(Can.EDIT, cycle.group.organisation)
        if cycle.status != Cycle.Status.OPEN:
            raise ValidationError(_("El ciclo %(n)s ya se cerró con el reparto: no admite más movimientos.")
                                  % {"n": cycle.number})
        if on < cycle.starts_on:
            raise ValidationError({"on": _("El reparto es después del inicio del ciclo.")})
    rows_by, loans_by = ledgers_of(ids), loans_of(ids)
    plans, nettings = {}, {}
    for cycle in locked:
        states = _states_of(loans_by[cycle.pk], rows_by[cycle.pk], on)
        try:
            plans[cycle.pk] = plan = _plan_from(rows_by[cycle.pk], states)
        except ValidationError as exc:
            if len(locked) == 1:
                raise
            raise ValidationError(_("%(group)s: %(why)s") % {"group": cycle.group.name,
                                                               "why": " ".join(exc.messages)}) from None
        # What each member owes is paid from her payout: oldest loan first, interest then capital.
        owing: dict[int, list[ledger.LoanState]] = {}
        for state in states:
            if state.owed > 0:
                owing.setdefault(state.terms.member, []).append(state)
        parts = []
        for line in plan.lines:
            left = line.netted
            for state in owing.get(line.member, []):
                if left <= 0:
                    break
                interest, principal = ledger.split_repayment(state, min(left, state.owed))
                parts += [(line.member, state.terms.pk, kind, part) for kind, part in
                          ((EntryKind.INTEREST, interest), (EntryKind.REPAYMENT, principal)) if part > 0]
                left -= interest + principal
        nettings[cycle.pk] = parts
    done = ShareOut.objects.bulk_create([
        ShareOut(cycle=cycle, on=on, box=plans[cycle.pk].box, social_fund=plans[cycle.pk].social_fund,
                 recovered=plans[cycle.pk].recovered, distributable=plans[cycle.pk].distributable,
                 total_shares=plans[cycle.pk].total_shares, remainder=plans[cycle.pk].remainder,
                 created_by=scope.actor) for cycle in locked])
    lines, entries, audits = [], [], []
    for cycle, sheet in zip(locked, done, strict=True):
        plan = plans[cycle.pk]
        common = {"group_id": cycle.group_id, "cycle": cycle, "on": on, "channel": Entry.Channel.SYSTEM,
                  "share_out": sheet, "created_by": scope.actor}
        lines += [ShareOutLine(share_out=sheet, member_id=x.member, shares=x.shares, gross=x.gross, owed=x.owed,
                               netted=x.netted, paid=x.paid) for x in plan.lines]
        entries += [Entry(member_id=m, loan_id=loan, kind=kind, amount=part, **common)
                    for m, loan, kind, part in nettings[cycle.pk]]
        # She is paid her whole part; what she owed comes back as the repayments above.
        entries += [Entry(member_id=x.member, kind=EntryKind.SHARE_OUT, amount=x.gross, **common)
                    for x in plan.lines if x.gross]
        # One audit entry per share-out names its sheet (the lines): the payouts and the netting
        # repayments are read on it, as at the meeting.
        audits.append(audit_entry(scope=scope, action="savings.share_out", obj=sheet,
                                  org_path=cycle.group.organisation.path,
                                  after={**snapshot(sheet), "payouts": sum(1 for x in plan.lines if x.gross),
                                         "netting_entries": len(nettings[cycle.pk])}))
    ShareOutLine.objects.bulk_create(lines, batch_size=5000)
    Entry.objects.bulk_create(entries, batch_size=5000)
    closed_at = timezone.now()
    Cycle.objects.filter(pk__in=ids).update(status=Cycle.Status.CLOSED, closed_at=closed_at)
    for cycle in locked:
        cycle.status, cycle.closed_at = Cycle.Status.CLOSED, closed_at
    record_many(audits)
    return done
