"""Dues (*cuotas*): what each socia owes, what she paid, and so whether she is in good standing.

The arithmetic, in whole céntimos:
- A rule (`DuesRule`, set from an adopted motion) charges its amount for each period — a month, or
  a year counted from the rule's first month — from its first month until the next rule starts.
- A period is *due* once its first month is over: January's dues are owed from 1 February, a
  year's from the end of its first month. A socia owes the periods that overlap her membership
  (the one she joins in included), except those an exemption voted in assembly covers.
- Her payments that count (recorded by the treasurer, or reported by her and confirmed) pay the
  oldest due periods first; a period not fully paid is a period behind. Paid beyond what is due
  is credit for the periods to come.
- She is in good standing when the statute does not ask for dues to vote (`dues_required`), or
  when she is at most `dues_tolerance` periods behind.

Writes are services (scope first, atomic, audited); every payment that counts moves its
organisation's `DuesMonth` by its amount in the same transaction, so a federation's collection is
one prefix query (`collected_under`), and `dues_violations` recounts it for `ayni check-integrity`.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Min, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can, Scope
from ayni.audit.services import entry, record, record_many, snapshot
from ayni.governance.models import DuesExemption, DuesMonth, DuesPayment, DuesRule, Motion, StatuteRule
from ayni.governance.rules import rule_for
from ayni.kitchens.services import NeedsConfirmation, Unusual
from ayni.lib.identity import parse_identity
from ayni.orgs.models import PATH_STEP, Organisation
from ayni.people.models import Membership, Person, Position

MAX_PAYMENT = Decimal("5000")  # soles: more is a typo, not dues
UNUSUAL_PERIODS = 12  # a payment of more than a year's dues at once is asked again
UNUSUAL_WITHOUT_RULE = 100  # soles, when no dues are set yet


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    n = day.year * 12 + day.month - 1 + months
    return datetime.date(n // 12, n % 12 + 1, 1)


def cents(amount: Decimal) -> int:
    return int((Decimal(amount) * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def soles(amount_cents: int) -> Decimal:
    return (Decimal(amount_cents) / 100).quantize(Decimal("0.01"))


def soles_text(amount_cents: int) -> str:
    """'S/ 1,250.50' as Peru writes it."""
    value = soles(amount_cents)
    return f"S/ {value:,.2f}"


# --- The arithmetic --------------------------------------------------------------------------------

@dataclass
class Standing:
    """One socia's dues on a day."""

    owed_cents: int = 0  # for the periods due
    paid_cents: int = 0  # payments that count
    behind: list[datetime.date] = field(default_factory=list)  # first days of the periods not fully paid
    exempt: bool = False  # an exemption covers the current month

    @property
    def arrears_cents(self) -> int:
        return max(0, self.owed_cents - self.paid_cents)

    @property
    def arrears(self) -> Decimal:
        return soles(self.arrears_cents)

    @property
    def credit_cents(self) -> int:
        return max(0, self.paid_cents - self.owed_cents)

    def in_good_standing(self, rule: StatuteRule) -> bool:
        return not rule.dues_required or len(self.behind) <= rule.dues_tolerance


def due_periods(rules: list[DuesRule], spans: list[tuple[datetime.date, datetime.date | None]],
                exemptions: list[tuple[datetime.date, datetime.date | None]], on: datetime.date
                ) -> list[tuple[datetime.date, int]]:
    """(first day, amount) of every period due on `on` for a socia whose memberships cover `spans`
    (since, until), oldest first, without the exempted ones."""
    rules = sorted(rules, key=lambda r: r.starts_on)
    out = []
    for i, rule in enumerate(rules):
        end = rules[i + 1].starts_on if i + 1 < len(rules) else None
        step = 12 if rule.period == DuesRule.Period.YEARLY else 1
        start = month_start(rule.starts_on)
        while (end is None or start < end) and add_months(start, 1) <= on:
            after = add_months(start, step)
            member = any(since < after and (until is None or start <= until) for since, until in spans)
            excused = any(frm <= start and (until is None or start <= until) for frm, until in exemptions)
            if member and not excused and rule.amount_cents:
                out.append((start, rule.amount_cents))
            start = after
    return out


def standing(periods: list[tuple[datetime.date, int]], paid_cents: int) -> Standing:
    """Payments pay the oldest periods first."""
    result = Standing(owed_cents=sum(a for _p, a in periods), paid_cents=paid_cents)
    left = paid_cents
    for start, amount in periods:
        if left >= amount:
            left -= amount
        else:
            left = 0
            result.behind.append(start)
    return result


def standings(organisation: Organisation, on: datetime.date, person_ids=None) -> dict[int, Standing]:
    """Every socia's dues in the organisation on `on` (or those of `person_ids`): four queries,
    whatever the number of socias."""
    found = standings_in({organisation.pk: person_ids}, on)
    return {person_id: s for (_org, person_id), s in found.items()}


def standings_in(wanted: dict[int, object], on: datetime.date) -> dict[tuple[int, int], Standing]:
    """`standings` of several organisations at once (by id: the person ids wanted there, or None
    for every socia), by (organisation id, person id): still four queries (a batch of payment
    texts answers each socia with what she owes now)."""
    orgs = set(wanted)
    if not orgs:
        return {}
    asked = {org: (set(ids) if ids is not None else None) for org, ids in wanted.items()}
    memberships = Membership.objects.filter(organisation_id__in=orgs, since__lte=on)
    if all(ids is not None for ids in asked.values()) and len(everyone := set().union(*asked.values())) <= 2000:
        # A few: asked for by id. Many (a large organisation's roll): all read, kept in Python,
        # rather than a list of ids longer than a database accepts in one statement.
        memberships = memberships.filter(person_id__in=everyone)
    spans: dict[tuple[int, int], list] = defaultdict(list)
    for org, person_id, since, until in memberships.values_list("organisation_id", "person_id", "since", "until"):
        if asked[org] is None or person_id in asked[org]:
            spans[(org, person_id)].append((since, until))
    rules: dict[int, list] = defaultdict(list)
    for rule in DuesRule.objects.filter(organisation_id__in=orgs, starts_on__lte=on):
        rules[rule.organisation_id].append(rule)
    excused: dict[tuple[int, int], list] = defaultdict(list)
    for org, person_id, frm, until in DuesExemption.objects.filter(organisation_id__in=orgs).values_list(
            "organisation_id", "person_id", "from_month", "until_month"):
        excused[(org, person_id)].append((frm, until))
    paid = {(org, person_id): c for org, person_id, c in
            _counting(DuesPayment.objects.filter(organisation_id__in=orgs, paid_on__lte=on))
            .values("organisation_id", "person_id").annotate(c=Sum("amount_cents"))
            .values_list("organisation_id", "person_id", "c")}
    this_month = month_start(on)
    out = {}
    for key, person_spans in spans.items():
        result = standing(due_periods(rules[key[0]], person_spans, excused[key], on), paid.get(key, 0))
        result.exempt = any(frm <= this_month and (until is None or this_month <= until) for frm, until in excused[key])
        out[key] = result
    return out


def behind_in_dues(organisation: Organisation, on: datetime.date, rule: StatuteRule, person_ids) -> set[int]:
    """Of `person_ids`, those not in good standing for their dues on `on` (`_good_standing`)."""
    if not rule.dues_required or not DuesRule.objects.filter(organisation=organisation, starts_on__lte=on).exists():
        return set()
    return {pk for pk, s in standings(organisation, on, person_ids).items() if not s.in_good_standing(rule)}


def rule_in_force(organisation: Organisation, on: datetime.date) -> DuesRule | None:
    return DuesRule.objects.filter(organisation=organisation, starts_on__lte=on).order_by("-starts_on").first()


def _counting(payments: QuerySet[DuesPayment]) -> QuerySet[DuesPayment]:
    return payments.filter(confirmed_at__isnull=False, annulled_at__isnull=True)


# --- Services ------------------------------------------------------------------------------------

def _adopted_motion(motion: Motion, organisation: Organisation) -> Motion:
    motion = Motion.objects.select_related("item__assembly").get(pk=motion.pk)
    if motion.outcome != Motion.Outcome.ADOPTED or motion.item.assembly.organisation_id != organisation.pk:
        raise ValidationError({"motion": _("Elija una moción aprobada en una asamblea de %(org)s.")
                               % {"org": organisation.name}})
    return motion


def _current_member(person: Person, organisation: Organisation, on: datetime.date) -> bool:
    return Membership.objects.filter(person=person, organisation=organisation, since__lte=on).filter(
        Q(until__isnull=True) | Q(until__gte=on)).exists()


@transaction.atomic
def set_dues(*, scope: Scope, organisation: Organisation, motion: Motion, amount: Decimal, period: str,
             starts_on: datetime.date) -> DuesRule:
    """The dues an assembly agreed, from the first day of `starts_on`'s month."""
    scope.require(Can.EDIT, organisation)
    motion = _adopted_motion(motion, organisation)
    errors = {}
    if period not in DuesRule.Period.values:
        errors["period"] = _("Elija si la cuota es mensual o anual.")
    if amount is None or amount < 0 or amount > MAX_PAYMENT:
        errors["amount"] = _("La cuota va de S/ 0 a S/ %(max)s.") % {"max": MAX_PAYMENT}
    starts_on = month_start(starts_on)
    if DuesRule.objects.filter(organisation=organisation, starts_on=starts_on).exists():
        errors["starts_on"] = _("Ya hay una cuota acordada desde ese mes; la nueva empieza en otro mes.")
    if errors:
        raise ValidationError(errors)
    dues = DuesRule.objects.create(organisation=organisation, amount_cents=cents(amount), period=period,
                                   starts_on=starts_on, motion=motion, created_by=scope.actor)
    record(scope=scope, action="gov.dues.rule", obj=dues, org_path=organisation.path, after=snapshot(dues))
    return dues


@transaction.atomic
def exempt(*, scope: Scope, organisation: Organisation, person: Person, motion: Motion,
           from_month: datetime.date, until_month: datetime.date | None, reason: str) -> DuesExemption:
    """An exemption voted in assembly."""
    scope.require(Can.EDIT, organisation)
    motion = _adopted_motion(motion, organisation)
    errors = {}
    from_month = month_start(from_month)
    until_month = month_start(until_month) if until_month else None
    if until_month and until_month < from_month:
        errors["until_month"] = _("El último mes exonerado va después del primero.")
    if not reason.strip():
        errors["reason"] = _("Escriba el motivo que aprobó la asamblea.")
    if not Membership.objects.filter(person=person, organisation=organisation).exists():
        errors["person"] = _("%(name)s no es socia de %(org)s.") % {"name": person.full_name, "org": organisation.name}
    if errors:
        raise ValidationError(errors)
    exemption = DuesExemption.objects.create(organisation=organisation, person=person, from_month=from_month,
                                             until_month=until_month, reason=reason.strip()[:160], motion=motion,
                                             created_by=scope.actor)
    record(scope=scope, action="gov.dues.exempt", obj=exemption, org_path=organisation.path,
           after=snapshot(exemption))
    return exemption


def _bump(payment: DuesPayment, sign: int) -> None:
    """Move the organisation's month by the payment."""
    _move_month(payment.organisation_id, month_start(payment.paid_on), sign * payment.amount_cents, sign)


def _move_month(organisation_id: int, month: datetime.date, amount_cents: int, payments: int) -> None:
    """Move an organisation's month by an amount and a number of payments, with F() arithmetic
    (never read and written back), creating the row the first time."""
    key = {"organisation_id": organisation_id, "month": month}
    change = {"collected_cents": F("collected_cents") + amount_cents, "payments": F("payments") + payments}
    if DuesMonth.objects.filter(**key).update(**change):
        return
    try:
        with transaction.atomic():
            DuesMonth.objects.create(**key, collected_cents=amount_cents, payments=payments)
    except IntegrityError:  # created by another payment meanwhile
        DuesMonth.objects.filter(**key).update(**change)


def check_amount(organisation: Organisation, amount: Decimal, on: datetime.date, confirm: bool) -> None:
    """Refuse an impossible amount; ask again about an unusual one (`NeedsConfirmation`)."""
    _check_amount(organisation, amount, confirm, rule_in_force(organisation, on))


def _check_amount(organisation: Organisation, amount: Decimal, confirm: bool, rule: DuesRule | None) -> None:
    """`check_amount` against the dues rule in force on the day paid (None: no dues set yet)."""
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("El monto pagado es mayor que cero.")})
    if amount > MAX_PAYMENT:
        raise ValidationError({"amount": _("S/ %(amount)s no parece una cuota: revise el monto.") % {"amount": amount}})
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({"amount": _("Escriba el monto con dos decimales a lo más (céntimos).")})
    if confirm:
        return
    if rule is None:
        if amount > UNUSUAL_WITHOUT_RULE:
            raise NeedsConfirmation([Unusual(
                _("%(org)s aún no tiene cuota acordada y el pago es de S/ %(amount)s.")
                % {"org": organisation.name, "amount": amount}, _("S/ %(amount)s de cuotas") % {"amount": amount})])
        return
    year = rule.amount_cents * (1 if rule.period == DuesRule.Period.YEARLY else UNUSUAL_PERIODS)
    if cents(amount) > year:
        raise NeedsConfirmation([Unusual(
            _("S/ %(amount)s es más que un año de cuotas (%(year)s).") % {"amount": amount, "year": soles_text(year)},
            _("S/ %(amount)s de cuotas") % {"amount": amount})])
    if rule.amount_cents and cents(amount) % rule.amount_cents:
        raise NeedsConfirmation([Unusual(
            _("S/ %(amount)s no es un número entero de cuotas de %(dues)s.") % {
                "amount": amount, "dues": soles_text(rule.amount_cents)},
            _("un pago de S/ %(amount)s") % {"amount": amount})])


@dataclass(frozen=True)
class Payment:
    """A payment to record (`record_payments`)."""

    organisation: Organisation
    person: Person
    amount: Decimal
    paid_on: datetime.date
    confirm: bool = False
    channel: str = "web"
    inbound: object = None  # the text it came by
    reported: bool = False


def record_payment(*, scope: Scope, organisation: Organisation, person: Person, amount: Decimal,
                   paid_on: datetime.date, confirm: bool = False, channel: str = "web", inbound=None,
                   reported: bool = False) -> DuesPayment:
    """A socia's payment. Recorded by the treasurer (or anyone who edits the organisation) it
    counts at once; `reported` by the socia herself (a text from her phone, under the system's
    scope) it waits for the treasurer's confirmation. `record_payments` with one payment."""
    result = record_payments(scope=scope, payments=[Payment(
        organisation=organisation, person=person, amount=amount, paid_on=paid_on, confirm=confirm, channel=channel,
        inbound=inbound, reported=reported)])[0]
    if isinstance(result, Exception):
        raise result
    return result


@transaction.atomic
def record_payments(*, scope: Scope, payments: list[Payment]) -> list[DuesPayment | ValidationError | PermissionDenied]:
    """Many payments at once (a batch of payment texts), in order: per payment the row recorded, or
    the error refusing it (`ValidationError`, `NeedsConfirmation` for an unusual amount; nothing of
    it written). The memberships and the dues rules are read in one query each for the batch, the
    payments and their audit entries written in one statement each, and each organisation's month
    moved once by what its payments add up to."""
    today, now = timezone.localdate(), timezone.now()
    orgs = {p.organisation.pk for p in payments}
    spans: dict[tuple[int, int], list] = defaultdict(list)
    for person_id, org, since, until in Membership.objects.filter(
            person_id__in={p.person.pk for p in payments}, organisation_id__in=orgs).values_list(
            "person_id", "organisation_id", "since", "until"):
        spans[(person_id, org)].append((since, until))
    rules: dict[int, list[DuesRule]] = defaultdict(list)
    for rule in DuesRule.objects.filter(organisation_id__in=orgs, starts_on__lte=today).order_by("starts_on"):
        rules[rule.organisation_id].append(rule)

    def member(payment: Payment, on: datetime.date) -> bool:
        return any(since <= on and (until is None or until >= on)
                   for since, until in spans[(payment.person.pk, payment.organisation.pk)])

    results: list = [None] * len(payments)
    rows: list[DuesPayment] = []
    for n, payment in enumerate(payments):
        organisation = payment.organisation
        try:
            if not (payment.reported and scope.is_system):
                scope.require(Can.EDIT, organisation)
            errors = {}
            if payment.paid_on > today:
                errors["paid_on"] = _("La fecha de pago no puede ser futura.")
            elif payment.paid_on < today - datetime.timedelta(days=5 * 366):
                errors["paid_on"] = _("La fecha de pago es de hace más de cinco años: revísela.")
            if not member(payment, min(payment.paid_on, today)) and not member(payment, today):
                errors["person"] = _("%(name)s no es socia de %(org)s.") % {"name": payment.person.full_name,
                                                                            "org": organisation.name}
            if errors:
                raise ValidationError(errors)
            in_force = [r for r in rules[organisation.pk] if r.starts_on <= payment.paid_on]
            _check_amount(organisation, payment.amount, payment.confirm, in_force[-1] if in_force else None)
        except (ValidationError, PermissionDenied) as exc:
            results[n] = exc
            continue
        row = DuesPayment(
            organisation=organisation, person=payment.person, amount_cents=cents(payment.amount),
            paid_on=payment.paid_on, channel=payment.channel, inbound=payment.inbound, recorded_by=scope.actor,
            confirmed_at=None if payment.reported else now, confirmed_by=None if payment.reported else scope.actor)
        rows.append(row)
        results[n] = row
    if rows:
        DuesPayment.objects.bulk_create(rows)
        moves: dict[tuple[int, datetime.date], list[int]] = defaultdict(lambda: [0, 0])
        for row in rows:
            if row.counts:
                move = moves[(row.organisation_id, month_start(row.paid_on))]
                move[0] += row.amount_cents
                move[1] += 1
        for (org, month), (amount, count) in moves.items():
            _move_month(org, month, amount, count)
        record_many([entry(scope=scope, action="gov.dues.payment", obj=row, org_path=row.organisation.path,
                           after=snapshot(row)) for row in rows])
    return results


def _locked_payment(payment: DuesPayment) -> DuesPayment:
    return DuesPayment.objects.select_for_update().select_related("organisation", "person").get(pk=payment.pk)


@transaction.atomic
def confirm_payment(*, scope: Scope, payment: DuesPayment) -> DuesPayment:
    """The treasurer confirms a payment the socia reported: from now it counts."""
    payment = _locked_payment(payment)
    scope.require(Can.EDIT, payment.organisation)
    if payment.annulled_at is not None:
        raise ValidationError(_("Este pago fue anulado."))
    if payment.confirmed_at is not None:
        raise ValidationError(_("Este pago ya estaba confirmado."))
    payment.confirmed_at, payment.confirmed_by = timezone.now(), scope.actor
    payment.save(update_fields=["confirmed_at", "confirmed_by"])
    _bump(payment, +1)
    record(scope=scope, action="gov.dues.confirm", obj=payment, org_path=payment.organisation.path,
           after={"amount_cents": payment.amount_cents, "person": payment.person_id})
    return payment


@transaction.atomic
def annul_payment(*, scope: Scope, payment: DuesPayment, reason: str) -> DuesPayment:
    """A payment recorded by mistake no longer counts; its row stays, with why."""
    payment = _locked_payment(payment)
    scope.require(Can.EDIT, payment.organisation)
    if payment.annulled_at is not None:
        raise ValidationError(_("Este pago ya estaba anulado."))
    if not reason.strip():
        raise ValidationError(_("Escriba por qué se anula el pago."))
    was_counting = payment.counts
    before = snapshot(payment)
    payment.annulled_at, payment.annulled_reason = timezone.now(), reason.strip()[:160]
    payment.save(update_fields=["annulled_at", "annulled_reason"])
    if was_counting:
        _bump(payment, -1)
    record(scope=scope, action="gov.dues.annul", obj=payment, org_path=payment.organisation.path, before=before,
           after=snapshot(payment))
    return payment


# --- Scoped reads ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class MemberDues:
    person: Person
    standing: Standing
    good: bool


def member_dues(scope: Scope, organisation: Organisation, on: datetime.date | None = None) -> list[MemberDues]:
    """Each current socia with her dues (names: the caller checked VIEW_PERSONAL), those behind first."""
    scope.require(Can.VIEW_PERSONAL, organisation)
    on = on or timezone.localdate()
    rule = rule_for(organisation)
    current = (Membership.objects.filter(organisation=organisation, since__lte=on)
               .filter(Q(until__isnull=True) | Q(until__gte=on)).values_list("person_id", flat=True))
    people = Person.objects.in_bulk(set(current))
    found = standings(organisation, on, list(people))
    rows = [MemberDues(people[pk], found.get(pk, Standing()), found.get(pk, Standing()).in_good_standing(rule))
            for pk in people]
    return sorted(rows, key=lambda r: (r.good, -len(r.standing.behind), r.person.paternal_surname,
                                       r.person.given_names, r.person.pk))


def payments_of(scope: Scope, organisation: Organisation) -> QuerySet[DuesPayment]:
    scope.require(Can.VIEW_PERSONAL, organisation)
    return DuesPayment.objects.filter(organisation=organisation).select_related("person")


def get_payment(scope: Scope, organisation: Organisation, pk) -> DuesPayment:
    """One payment of the organisation, found only in the caller's sight (404 otherwise)."""
    if not scope.holds(Can.VIEW_PERSONAL, organisation):
        raise Http404
    try:
        return DuesPayment.objects.select_related("organisation", "person").get(organisation=organisation, pk=pk)
    except (DuesPayment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def collected_under(scope: Scope, organisation: Organisation, first: datetime.date, last: datetime.date
                    ) -> tuple[int, list[dict]]:
    """Dues collected from `first`'s month to `last`'s in the organisation's subtree, in sight of
    the caller: the total, and per organisation one level below (and the organisation itself)."""
    depth = len(organisation.path) + PATH_STEP
    rows = (DuesMonth.objects.filter(organisation__path__startswith=organisation.path,
                                     month__gte=month_start(first), month__lte=month_start(last))
            .filter(scope.q(Can.VIEW, prefix="organisation__"))
            .annotate(branch=Substr("organisation__path", 1, depth)).values("branch")
            .annotate(collected=Sum("collected_cents"), payments=Sum("payments"), organisations=Count(
                "organisation", distinct=True)).order_by("branch"))
    rows = list(rows)
    names = dict(Organisation.objects.filter(path__in=[r["branch"] for r in rows]).values_list("path", "name"))
    for row in rows:
        row["name"] = names.get(row["branch"], organisation.name)
    return sum(r["collected"] for r in rows), rows


def describe_behind(s: Standing) -> str:
    """'3 cuotas (S/ 15.00), desde 01/2026' for a reply or a page."""
    if not s.behind:
        return _("al día")
    return _("%(n)s cuota(s) atrasada(s), %(amount)s, desde %(since)s") % {
        "n": len(s.behind), "amount": soles_text(s.arrears_cents), "since": date_format(s.behind[0], "m/Y")}


# --- Who a text about dues is from ------------------------------------------------------------------

TREASURER = "tesorera"


def treasuries_of_phone(phone: str, on: datetime.date | None = None) -> list[Organisation]:
    """The organisations whose current treasurer holds this (normalised) phone."""
    forms = [phone, f"+51{phone}", f"51{phone}"] if phone else []
    return list(Organisation.objects.filter(pk__in=Position.objects.current(on).filter(
        kind_id=TREASURER, person__phone__in=forms).values("organisation")).order_by("pk"))


def socias_matching(organisation: Organisation, digits: str, on: datetime.date) -> list[Person]:
    """Current socias of the organisation whose DNI is `digits`, or ends with them (4 to 7). In
    another country the number is read with its rules (a Bolivian CI of 7 digits is whole, stored
    `BO-…`), and its last digits match too."""
    current = Membership.objects.filter(organisation=organisation, since__lte=on).filter(
        Q(until__isnull=True) | Q(until__gte=on)).values("person")
    people = Person.objects.filter(pk__in=current)
    if organisation.country != "PE":
        try:
            whole = Q(dni=parse_identity(digits, organisation.country).number)
        except ValidationError:
            whole = Q(pk__in=[])
        return list(people.filter(whole | Q(dni__endswith=f"{digits}")).order_by("pk")[:5])
    people = people.filter(dni=digits) if len(digits) == 8 else people.filter(dni__endswith=digits)
    return list(people.order_by("pk")[:5])


def paying_memberships(people, on: datetime.date) -> list[Membership]:
    """The current memberships of these people in organisations with dues set."""
    return list(Membership.objects.filter(person__in=people, since__lte=on).filter(
        Q(until__isnull=True) | Q(until__gte=on)).filter(organisation__dues_rules__starts_on__lte=on)
        .select_related("organisation", "person").distinct().order_by("organisation_id"))


def repeated_text_payment(phone: str, organisation: Organisation, person: Person, amount_cents: int,
                          since: datetime.datetime) -> DuesPayment | None:
    """The same payment already recorded by a text from the same phone since `since`: a phone or
    a gateway sending again, not a second payment."""
    return (DuesPayment.objects.filter(organisation=organisation, person=person, amount_cents=amount_cents,
                                       channel="sms", inbound__phone=phone, created_at__gte=since,
                                       annulled_at__isnull=True).order_by("-created_at").first())


def _current_on(since: datetime.date, until: datetime.date | None, on: datetime.date) -> bool:
    return since <= on and (until is None or until >= on)


def _phone_forms(phones) -> dict[str, str]:
    return {form: phone for phone in set(phones) if phone for form in (phone, f"+51{phone}", f"51{phone}")}


def treasuries_of_phones(asks) -> dict[tuple[str, datetime.date], list[Organisation]]:
    """`treasuries_of_phone` for many (phone, day) at once, in one query."""
    asks = set(asks)
    forms = _phone_forms(phone for phone, _day in asks)
    found: dict[tuple[str, datetime.date], list[Organisation]] = {ask: [] for ask in asks}
    if not forms:
        return found
    days = [day for _phone, day in asks]
    positions = (Position.objects.filter(kind_id=TREASURER, person__phone__in=forms, starts_on__lte=max(days),
                                         ends_on__gte=min(days))
                 .select_related("organisation", "person").order_by("organisation_id"))
    for position in positions:
        phone = forms[position.person.phone]
        for ask_phone, day in asks:
            orgs = found[(ask_phone, day)]
            if (ask_phone == phone and position.starts_on <= day <= position.ends_on
                    and position.organisation not in orgs):
                orgs.append(position.organisation)
    return found


def socias_matching_many(asks, organisations: dict[int, Organisation]) -> dict[tuple[int, str, datetime.date],
                                                                             list[Person]]:
    """`socias_matching` for many (organisation id, digits, day) at once: one query for Peru's
    organisations; another country's number is read with its own rules, one ask at a time (a few
    federations abroad, not the national batch)."""
    asks = set(asks)
    found: dict[tuple[int, str, datetime.date], list[Person]] = {ask: [] for ask in asks}
    abroad = {ask for ask in asks if organisations[ask[0]].country != "PE"}
    for org, digits, day in abroad:
        found[(org, digits, day)] = socias_matching(organisations[org], digits, day)
    asks -= abroad
    if not asks:
        return found
    days = [day for _org, _digits, day in asks]
    dni = Q()
    for digits in {digits for _org, digits, _day in asks}:
        dni |= Q(person__dni=digits) if len(digits) == 8 else Q(person__dni__endswith=digits)
    memberships = (Membership.objects.filter(organisation_id__in={org for org, _d, _day in asks},
                                             since__lte=max(days))
                   .filter(Q(until__isnull=True) | Q(until__gte=min(days))).filter(dni)
                   .select_related("person").order_by("person_id"))
    for membership in memberships:
        person = membership.person
        for org, digits, day in asks:
            people = found[(org, digits, day)]
            if (membership.organisation_id == org and _current_on(membership.since, membership.until, day)
                    and (person.dni == digits if len(digits) == 8 else person.dni.endswith(digits))
                    and person not in people and len(people) < 5):
                people.append(person)
    return found


def paying_memberships_many(asks) -> dict[tuple[int, datetime.date], list[Membership]]:
    """`paying_memberships` for many (person id, day) at once, in one query: by person and day."""
    asks = set(asks)
    found: dict[tuple[int, datetime.date], list[Membership]] = {ask: [] for ask in asks}
    if not asks:
        return found
    days = [day for _person, day in asks]
    memberships = (Membership.objects.filter(person_id__in={person for person, _day in asks}, since__lte=max(days))
                   .filter(Q(until__isnull=True) | Q(until__gte=min(days)))
                   .annotate(dues_from=Min("organisation__dues_rules__starts_on")).filter(dues_from__lte=max(days))
                   .select_related("organisation", "person").order_by("organisation_id", "pk"))
    for membership in memberships:
        for person, day in asks:
            if (membership.person_id == person and _current_on(membership.since, membership.until, day)
                    and membership.dues_from <= day):
                found[(person, day)].append(membership)
    return found


def text_payments_since(phones, since: datetime.datetime) -> list[DuesPayment]:
    """Payments recorded by texts from these phones since `since`, not annulled, newest first, in
    one query: a batch tells a text sent again (`repeated_text_payment`) from a new payment."""
    phones = set(phones)
    if not phones:
        return []
    return list(DuesPayment.objects.filter(channel="sms", inbound__phone__in=phones, created_at__gte=since,
                                           annulled_at__isnull=True)
                .annotate(phone=F("inbound__phone")).order_by("-created_at", "-pk"))


def current_socias(scope: Scope, organisation: Organisation) -> QuerySet[Person]:
    """The organisation's current socias, for a form's list (names: VIEW_PERSONAL)."""
    scope.require(Can.VIEW_PERSONAL, organisation)
    today = timezone.localdate()
    current = Membership.objects.filter(organisation=organisation, since__lte=today).filter(
        Q(until__isnull=True) | Q(until__gte=today)).values("person")
    return Person.objects.filter(pk__in=current).order_by("paternal_surname", "maternal_surname", "given_names", "pk")


def adopted_motions(scope: Scope, organisation: Organisation) -> QuerySet[Motion]:
    """Motions adopted by the organisation's assemblies, newest first: what dues and exemptions
    are set from."""
    scope.require(Can.VIEW, organisation)
    return (Motion.objects.filter(item__assembly__organisation=organisation, outcome=Motion.Outcome.ADOPTED)
            .select_related("item__assembly").order_by("-item__assembly__starts_at", "-pk"))


def exemptions_of(scope: Scope, organisation: Organisation) -> QuerySet[DuesExemption]:
    scope.require(Can.VIEW_PERSONAL, organisation)
    return DuesExemption.objects.filter(organisation=organisation).select_related("person").order_by("-from_month")
