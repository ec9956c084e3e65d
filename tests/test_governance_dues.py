"""Dues: set by an assembly agreement, paid (treasurer on the web or by text, a socia reporting
her own), owed period by period, exemptions voted in assembly, good standing on the roll and in
the vote, collections rolled up the tree and recounted by check-integrity."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from ayni.capture.inbound import receive_text, replay
from ayni.capture.models import Channel, Inbound
from ayni.governance import dues, services
from ayni.governance.integrity import dues_violations
from ayni.governance.models import DuesMonth, DuesPayment, DuesRule, Motion
from ayni.kitchens.services import NeedsConfirmation
from ayni.people.models import PositionKind
from ayni.people.services import assign_position, register_person
from tests.conftest import build_world
from tests.governance_helpers import SYSTEM, Clock, convene, in_session, socias
from tests.test_kitchens_concurrency import run_at_once

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def adopted(org, clock, text="Cuota mensual de S/ 5"):
    """A motion adopted by a show of hands in an assembly of `org` (its socias all present)."""
    if not org.memberships.exists():
        socias(org, 3)
    assembly = in_session(convene(org), clock)
    motion = services.add_motion(scope=SYSTEM, item=assembly.agenda.first(), text=text, ballot="hands")
    services.open_motion(scope=SYSTEM, motion=motion)
    present = services.quorum_state(assembly).present
    services.record_hand_count(scope=SYSTEM, motion=motion, yes=present, no=0)
    return services.close_motion(scope=SYSTEM, motion=motion)


def rule(amount, start, period=DuesRule.Period.MONTHLY):
    return DuesRule(amount_cents=amount, starts_on=start, period=period)


# --- The arithmetic ----------------------------------------------------------------------------------

def test_a_month_is_owed_once_it_is_over_and_payments_pay_the_oldest_first():
    rules = [rule(500, D(2026, 1, 1))]
    periods = dues.due_periods(rules, [(D(2025, 6, 1), None)], [], D(2026, 4, 15))
    assert periods == [(D(2026, 1, 1), 500), (D(2026, 2, 1), 500), (D(2026, 3, 1), 500)]  # April not yet
    s = dues.standing(periods, 700)
    assert (s.owed_cents, s.arrears_cents, s.behind) == (1500, 800, [D(2026, 2, 1), D(2026, 3, 1)])
    ahead = dues.standing(periods, 2000)
    assert ahead.behind == [] and ahead.credit_cents == 500 and ahead.arrears_cents == 0


def test_joining_leaving_a_new_amount_a_yearly_rule_and_an_exemption():
    rules = [rule(500, D(2026, 1, 1)), rule(800, D(2026, 4, 1))]
    # Joined in February (that month owed), left at the end of May.
    periods = dues.due_periods(rules, [(D(2026, 2, 20), D(2026, 5, 31))], [], D(2026, 9, 1))
    assert periods == [(D(2026, 2, 1), 500), (D(2026, 3, 1), 500), (D(2026, 4, 1), 800), (D(2026, 5, 1), 800)]
    excused = dues.due_periods(rules, [(D(2026, 2, 20), None)], [(D(2026, 3, 1), D(2026, 4, 1))], D(2026, 6, 1))
    assert [p for p, _a in excused] == [D(2026, 2, 1), D(2026, 5, 1)]
    yearly = dues.due_periods([rule(3000, D(2025, 3, 1), DuesRule.Period.YEARLY)], [(D(2020, 1, 1), None)], [],
                              D(2026, 3, 15))
    assert yearly == [(D(2025, 3, 1), 3000)]  # the year from 03/2026 is owed from April
    assert dues.due_periods(rules, [(D(2026, 1, 1), None)], [], D(2026, 1, 31)) == []


# --- Setting dues and exemptions ----------------------------------------------------------------------

def test_dues_are_set_only_from_a_motion_adopted_by_the_organisation(world, clock):
    motion = adopted(world.kitchen, clock)
    dues_rule = dues.set_dues(scope=SYSTEM, organisation=world.kitchen, motion=motion, amount=Decimal("5.50"),
                              period="monthly", starts_on=D(2026, 3, 17))
    assert (dues_rule.amount_cents, dues_rule.starts_on) == (550, D(2026, 3, 1))
    other = adopted(world.olla, clock)
    with pytest.raises(ValidationError, match="moción aprobada en una asamblea de Comedor Popular Santa Rosa"):
        dues.set_dues(scope=SYSTEM, organisation=world.kitchen, motion=other, amount=Decimal("5"), period="monthly",
                      starts_on=D(2026, 5, 1))
    rejected = Motion.objects.filter(pk=motion.pk)
    rejected.update(outcome=Motion.Outcome.REJECTED)
    with pytest.raises(ValidationError, match="moción aprobada"):
        dues.set_dues(scope=SYSTEM, organisation=world.kitchen, motion=motion, amount=Decimal("5"), period="monthly",
                      starts_on=D(2026, 5, 1))
    assert DuesRule.objects.count() == 1


# --- Payments -----------------------------------------------------------------------------------------

@pytest.fixture
def with_dues(world, clock):
    """The kitchen's dues: S/ 5 a month since a year ago; the clock back at today."""
    motion = adopted(world.kitchen, clock)
    clock.at(datetime.datetime.now(datetime.UTC))  # back from the assembly's day
    today = timezone.localdate()
    start = dues.add_months(dues.month_start(today), -12)
    dues.set_dues(scope=SYSTEM, organisation=world.kitchen, motion=motion, amount=Decimal("5"), period="monthly",
                  starts_on=start)
    return motion, today


def pay(org, person, amount, **kw):
    return dues.record_payment(scope=SYSTEM, organisation=org, person=person, amount=Decimal(amount),
                               paid_on=kw.pop("paid_on", timezone.localdate()), **kw)


def test_a_payment_counts_rolls_up_and_is_recounted(world, with_dues):
    _m, today = with_dues
    payment = pay(world.kitchen, world.member, "30")
    assert payment.counts and payment.amount == Decimal("30")
    month = DuesMonth.objects.get(organisation=world.kitchen)
    assert (month.collected_cents, month.payments) == (3000, 1)
    total, rows = dues.collected_under(SYSTEM, world.lima, today.replace(month=1, day=1), today)
    assert total == 3000 and rows[0]["name"] == world.ves.name
    assert dues_violations() == []
    dues.annul_payment(scope=SYSTEM, payment=payment, reason="Se anotó dos veces")
    assert DuesMonth.objects.get(organisation=world.kitchen).collected_cents == 0
    assert dues_violations() == []
    DuesMonth.objects.update(collected_cents=99)
    assert "recuento 0" in dues_violations()[0]


def test_bad_payments_are_refused_and_unusual_ones_asked_again(world, with_dues):
    socia = socias(world.olla, 1)[0]
    with pytest.raises(ValidationError, match="no es socia de Comedor"):
        pay(world.kitchen, socia, "5")
    with pytest.raises(ValidationError, match="mayor que cero"):
        pay(world.kitchen, world.member, "0")
    with pytest.raises(ValidationError, match="no parece una cuota"):
        pay(world.kitchen, world.member, "9000")
    with pytest.raises(ValidationError, match="no puede ser futura"):
        pay(world.kitchen, world.member, "5", paid_on=timezone.localdate() + datetime.timedelta(days=1))
    with pytest.raises(NeedsConfirmation, match="más que un año de cuotas"):
        pay(world.kitchen, world.member, "65")
    with pytest.raises(NeedsConfirmation, match="no es un número entero de cuotas"):
        pay(world.kitchen, world.member, "7")
    assert not DuesPayment.objects.exists() and not DuesMonth.objects.exists()
    assert pay(world.kitchen, world.member, "65", confirm=True).amount_cents == 6500


def test_arrears_decide_who_is_on_the_roll(world, with_dues, clock):
    motion, today = with_dues
    socias(world.kitchen, 4)
    people = list(world.kitchen.memberships.values_list("person", flat=True))
    up_to_date, one_behind, far_behind, excused = (p for p in world.kitchen.memberships.order_by("person_id")
                                                    .select_related("person")[:4])
    owed = len(dues.due_periods(list(DuesRule.objects.all()), [(D(2000, 1, 1), None)], [], today))
    pay(world.kitchen, up_to_date.person, str(5 * owed), confirm=True)
    pay(world.kitchen, one_behind.person, str(5 * (owed - 1)), confirm=True)
    dues.exempt(scope=SYSTEM, organisation=world.kitchen, person=excused.person, motion=motion,
                from_month=dues.add_months(today, -24), until_month=None, reason="Enfermedad")
    assembly = convene(world.kitchen)
    on_roll = set(assembly.electors.values_list("person_id", flat=True))
    assert on_roll == {up_to_date.person_id, excused.person_id}
    assert far_behind.person_id not in on_roll and len(people) > 4
    services.set_statute_rule(scope=SYSTEM, organisation=world.kitchen, dues_tolerance=1)
    assert one_behind.person_id in set(convene(world.kitchen).electors.values_list("person_id", flat=True))
    services.set_statute_rule(scope=SYSTEM, organisation=world.kitchen, dues_required=False)
    assert convene(world.kitchen).electors.count() == len(set(people))


def test_a_socia_behind_in_dues_who_votes_by_text_is_told_what_she_owes(world, with_dues, clock):
    _m, _today = with_dues
    behind = register_person(scope=SYSTEM, organisation=world.kitchen, given_names="Atrasada", paternal_surname="Pérez",
                             since=timezone.localdate() - datetime.timedelta(days=800), phone="977111222")
    assembly = convene(world.kitchen, mode="async")
    motion = services.add_motion(scope=SYSTEM, item=assembly.agenda.first(), text="Pintar el local")
    clock.at(assembly.starts_at + datetime.timedelta(hours=1))
    inbound = receive_text(gateway="android", channel=Channel.SMS, sender="977111222", text=f"V {motion.pk} SI",
                           external_id="x1")
    assert inbound.status == Inbound.Status.REJECTED
    assert "al convocarla debía 12 cuota(s) atrasada(s), S/ 60.00" in inbound.error
    assert not assembly.electors.filter(person=behind).exists()


# --- Payments by text -----------------------------------------------------------------------------------

@pytest.fixture
def treasurer(world, with_dues):
    """The kitchen's treasurer, with her phone; a socia with a DNI."""
    today = timezone.localdate()
    person = register_person(scope=SYSTEM, organisation=world.kitchen, given_names="Tesorera", paternal_surname="Ríos",
                             phone="955444333", since=today - datetime.timedelta(days=900))
    assign_position(scope=SYSTEM, person=person, organisation=world.kitchen,
                    kind=PositionKind.objects.get(code="tesorera"), starts_on=today - datetime.timedelta(days=30),
                    ends_on=today + datetime.timedelta(days=300))
    return person


class Texts:
    def __init__(self, clock, phone):
        self.clock, self.phone, self.n = clock, phone, 0

    def send(self, body, ident=None):
        self.clock.at(timezone.now() + datetime.timedelta(minutes=1))
        self.n += 1
        return receive_text(gateway="android", channel=Channel.SMS, sender=self.phone, text=body,
                            external_id=ident or f"{self.phone}-{self.n}")


def test_the_treasurer_records_a_payment_by_text_with_the_dni_or_its_last_digits(world, treasurer, clock):
    texts = Texts(clock, "+51955444333")
    inbound = texts.send("Q 8912 10")  # María Elena's DNI is 45678912
    assert inbound.status == Inbound.Status.ACCEPTED
    payment = DuesPayment.objects.get()
    assert (payment.person, payment.amount_cents, payment.channel, payment.counts) == (world.member, 1000, "sms", True)
    assert payment.inbound == inbound
    assert "Pago anotado: S/ 10.00 de María Elena Quispe Mamani" in inbound.result["reply"]
    # The same text again within minutes: a repeat, not a second payment; with OK it is one.
    again = texts.send("q 8912 10")
    assert again.status == Inbound.Status.REJECTED and "ya estaba anotado" in again.error
    assert texts.send("Q 45678912 10 OK").status == Inbound.Status.ACCEPTED
    assert texts.send("CUOTA 45678912 S/5,50 OK").status == Inbound.Status.ACCEPTED
    assert sorted(DuesPayment.objects.values_list("amount_cents", flat=True)) == [550, 1000, 1000]
    assert DuesMonth.objects.get(organisation=world.kitchen).collected_cents == 2550
    assert dues_violations() == []


def test_payment_texts_that_cannot_be_recorded_say_why(world, treasurer, clock):
    texts = Texts(clock, "955444333")
    assert "No entendí el monto «DIEZ»" in texts.send("Q 8912 DIEZ").error
    assert "No entendí el documento «89X2»" in texts.send("Q 89X2 5").error
    assert "No hay socia de Comedor Popular Santa Rosa con DNI 1111" in texts.send("Q 1111 5").error
    unusual = texts.send("Q 8912 7")
    assert "no es un número entero de cuotas" in unusual.error and "OK al final" in unusual.error
    stranger = Texts(clock, "944000111").send("Q 8912 5")
    assert "Su celular no figura" not in stranger.error and "Solo la tesorera" in stranger.error
    assert not DuesPayment.objects.exists()


def test_a_socia_reports_her_payment_and_it_counts_once_confirmed(world, treasurer, clock):
    inbound = Texts(clock, "987654321").send("Q 5")  # María Elena's own phone
    assert inbound.status == Inbound.Status.ACCEPTED and "cuenta cuando la tesorera lo confirme" in \
        inbound.result["reply"]
    payment = DuesPayment.objects.get()
    assert payment.person == world.member and not payment.counts
    assert not DuesMonth.objects.exists()
    replay(ids=[inbound.pk])  # a final text is not processed again
    assert DuesPayment.objects.count() == 1
    dues.confirm_payment(scope=SYSTEM, payment=payment)
    assert DuesMonth.objects.get().collected_cents == 500
    with pytest.raises(ValidationError, match="ya estaba confirmado"):
        dues.confirm_payment(scope=SYSTEM, payment=payment)
    assert dues_violations() == []


# --- Pages ----------------------------------------------------------------------------------------------

def test_the_dues_page_names_who_is_behind_only_to_those_who_see_names(world, with_dues, login, client):
    socias(world.kitchen, 2)
    pay(world.kitchen, world.member, "5")
    page = login(world.leader).get(reverse("governance:dues", args=[world.kitchen.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "María Elena Quispe Mamani" in body and "cuotas atrasadas" in body
    assert "Recaudado en" in body
    client.logout()
    viewer = login(world.viewer).get(reverse("governance:dues", args=[world.kitchen.pk]))
    assert viewer.status_code == 200 and "María Elena" not in viewer.content.decode()


def test_the_payment_form_asks_again_about_an_unusual_amount_on_the_same_page(world, with_dues, login):
    client = login(world.leader)
    url = reverse("governance:dues_payment", args=[world.kitchen.pk])
    data = {"person": world.member.pk, "amount": "70", "paid_on": timezone.localdate().isoformat()}
    asked = client.post(url, data)
    assert asked.status_code == 200 and "más que un año de cuotas" in asked.content.decode()
    assert not DuesPayment.objects.exists()
    saved = client.post(url, {**data, "confirm": "on"})
    assert saved.status_code == 302 and DuesPayment.objects.get().amount_cents == 7000


def test_a_reported_payment_is_confirmed_or_annulled_from_the_page(world, treasurer, clock, login):
    Texts(clock, "987654321").send("Q 5")
    payment = DuesPayment.objects.get()
    client = login(world.leader)
    page = client.get(reverse("governance:dues", args=[world.kitchen.pk]))
    assert "Pagos por confirmar" in page.content.decode()
    client.post(reverse("governance:dues_confirm", args=[world.kitchen.pk, payment.pk]))
    payment.refresh_from_db()
    assert payment.counts
    client.post(reverse("governance:dues_annul", args=[world.kitchen.pk, payment.pk]), {"reason": "Error"})
    payment.refresh_from_db()
    assert not payment.counts and payment.annulled_reason == "Error"
    assert DuesMonth.objects.get().collected_cents == 0


# --- Any sequence ---------------------------------------------------------------------------------------

# (socia 0-2, amount in soles 1-30, days ago 0-200, then: 0 keep, 1 annul, 2 reported then confirmed, 3 reported)
PAYMENT = st.tuples(st.integers(0, 2), st.integers(1, 30), st.integers(0, 200), st.integers(0, 3))


def test_any_sequence_of_payments_rolls_up_as_a_recount_and_owes_the_plain_sum(world, with_dues):
    people = [world.member, *socias(world.kitchen, 2)]
    today = timezone.localdate()

    @settings(max_examples=40, deadline=None)
    @given(st.lists(PAYMENT, max_size=12))
    def run(steps):
        DuesMonth.objects.all().delete()
        DuesPayment.objects.all().delete()
        paid = [0, 0, 0]
        for who, amount, ago, then in steps:
            payment = dues.record_payment(scope=SYSTEM, organisation=world.kitchen, person=people[who],
                                          amount=Decimal(amount), paid_on=today - datetime.timedelta(days=ago),
                                          confirm=True, reported=then >= 2)
            if then == 1:
                dues.annul_payment(scope=SYSTEM, payment=payment, reason="Error")
            elif then == 2:
                dues.confirm_payment(scope=SYSTEM, payment=payment)
            if then in (0, 2):
                paid[who] += amount * 100
        assert dues_violations() == []
        found = dues.standings(world.kitchen, today)
        for who, person in enumerate(people):
            owed = sum(a for _p, a in dues.due_periods(list(DuesRule.objects.all()), list(
                person.memberships.values_list("since", "until")), [], today))
            assert found[person.pk].paid_cents == paid[who]
            assert found[person.pk].arrears_cents == max(0, owed - paid[who])
            assert len(found[person.pk].behind) == sum(
                1 for i in range(1, owed // 500 + 1) if paid[who] < 500 * i)

    run()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers are tested on PostgreSQL")
def test_payments_at_once_roll_up_once_each():
    world = build_world()
    people = [world.member, *socias(world.kitchen, 5)]
    today = timezone.localdate()
    results = run_at_once(*[
        (lambda p=p: dues.record_payment(scope=SYSTEM, organisation=world.kitchen, person=p, amount=Decimal("5"),
                                         paid_on=today)) for p in people])
    assert all(kind == "ok" for kind, _v in results), results
    month = DuesMonth.objects.get(organisation=world.kitchen)
    assert (month.collected_cents, month.payments) == (3000, 6)
    assert dues_violations() == []
