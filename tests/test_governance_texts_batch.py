"""Vote texts in batches, as a gateway posts what its phone received: every text stored raw first
in one statement, then the batch processed in one transaction with the same few statements
whatever its size; each text still gets its own reply, a bad one its refusal in Spanish without
taking the batch down, and a text processed twice counts once."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ayni.audit.models import AuditEntry
from ayni.capture import commands
from ayni.capture.inbound import receive_texts, replay
from ayni.capture.models import Channel, Inbound, OutboundMessage
from ayni.governance import services, texts
from ayni.governance.integrity import governance_violations
from ayni.governance.models import Assembly, Attendance, Motion, Participation, Vote
from tests.governance_helpers import SYSTEM, Clock, convene, in_session, socias

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def consultation(world, clock):
    people = socias(world.kitchen, 40)
    assembly = convene(world.kitchen, mode=Assembly.Mode.ASYNC, window_days=3)
    item = assembly.agenda.first()
    motion = services.add_motion(scope=SYSTEM, item=item, text="Aprobar el informe de la presidenta")
    secret = services.add_motion(scope=SYSTEM, item=item, text="Confianza en la tesorera", ballot="secret")
    clock.at(assembly.starts_at + datetime.timedelta(hours=1))
    return assembly, motion, secret, people


def post(items):
    return receive_texts(
        gateway="android", texts=[(Channel.SMS, f"+51{phone}", body, ident) for phone, body, ident in items]
    )


def tally(motion):
    motion.refresh_from_db()
    return motion.yes, motion.no, motion.abstain, motion.voters


def votes(people, motion, secret, start=0):
    out = []
    for n, person in enumerate(people, start):
        out.append((person.phone, f"V {motion.pk} SI", f"a-{n}"))
        out.append((person.phone, f"V {secret.pk} NO", f"b-{n}"))
    return out


def queries_for(items):
    with CaptureQueriesContext(connection) as ctx:
        post(items)
    return len(ctx.captured_queries)


def test_a_batch_of_vote_texts_costs_the_same_statements_whatever_its_size(consultation, monkeypatch):
    _a, motion, secret, people = consultation
    handed = []  # the hand-off to the task queue: one task per batch (the tests' queue runs it at once)
    monkeypatch.setattr("ayni.capture.messages.send_queued", lambda messages: handed.append(len(messages)))
    few = queries_for(votes(people[:2], motion, secret))  # 4 texts
    many = queries_for(votes(people[2:32], motion, secret, start=2))  # 60 texts
    # Savepoints of the test's own transaction included; one of them reads the accounts' people
    # before the senders' languages (`capture.messages.spoken_by`).
    assert many <= few <= 30, (few, many)
    assert tally(motion) == (32, 0, 0, 32) and tally(secret) == (0, 32, 0, 32)
    assert Inbound.objects.filter(status=Inbound.Status.ACCEPTED).count() == 64
    # A burst from one phone gets one answer; the replies go to the task queue once per batch.
    assert OutboundMessage.objects.filter(inbound__isnull=False).count() == 32 and handed == [2, 30]
    assert AuditEntry.objects.filter(action="gov.vote").count() == 64
    assert Attendance.objects.filter(how=Attendance.How.VOTE).count() == 32
    assert governance_violations() == []


def locked_statements(captured):
    """The statements of a batch's write transaction (in a test, the outermost savepoint after the
    texts were stored), savepoints left out, and how many ran before it."""
    sql = [q["sql"] for q in captured]
    start = next(n for n, s in enumerate(sql) if s.startswith("SAVEPOINT"))
    end = max(n for n, s in enumerate(sql) if s.startswith("RELEASE SAVEPOINT"))
    return [s for s in sql[start:end] if "SAVEPOINT" not in s], sql[:start]


def test_the_write_transaction_of_a_batch_of_votes_only_re_checks_and_writes(consultation, monkeypatch):
    """On SQLite the write transaction locks the database from its BEGIN: what only reads (the
    senders' languages, what each text says, their places on the rolls) runs before it."""
    _a, motion, secret, people = consultation
    monkeypatch.setattr("ayni.capture.messages.send_queued", lambda messages: None)
    from ayni.capture.messages import process_messages

    counts = []
    for batch in (votes(people[:2], motion, secret), votes(people[2:27], motion, secret, start=2)):
        inbounds = stored_texts(batch)
        with CaptureQueriesContext(connection) as ctx:
            process_messages(inbounds, replay=True)
        locked, before = locked_statements(ctx.captured_queries)
        # Read before: the languages, and the senders' places on the rolls, found by their phones.
        places = [s for s in before if s.startswith('SELECT "governance_elector"') and '"phone" IN' in s]
        assert len(places) == 1 and not any(s.startswith('SELECT "governance_elector"') and '"phone" IN' in s
                                            for s in locked)
        counts.append(len(locked))
    # Texts' states, later votes, motions, attendance, participations, current
    # ballots; ballots, participations, attendance, tallies, audit; texts' states, replies.
    assert counts[1] <= counts[0] <= 13, counts
    assert tally(motion) == (27, 0, 0, 27) and tally(secret) == (0, 27, 0, 27)


def test_with_the_task_queue_in_the_database_the_replies_task_is_written_with_them(consultation, settings):
    """Production's queue (django_tasks_db) takes the replies' task in the batch's own transaction:
    one commit for the texts, the ballots, the replies and their task."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    _a, motion, secret, people = consultation
    with CaptureQueriesContext(connection) as ctx:
        post(votes(people[:5], motion, secret))
    sql = [q["sql"] for q in ctx.captured_queries]
    enqueued = next(n for n, s in enumerate(sql) if s.startswith(f'INSERT INTO "{DBTaskResult._meta.db_table}"'))
    assert enqueued < max(n for n, s in enumerate(sql) if s.startswith("RELEASE SAVEPOINT"))  # before the commit
    task = DBTaskResult.objects.get()
    replies = sorted(OutboundMessage.objects.filter(inbound__isnull=False).values_list("pk", flat=True))
    assert sorted(task.args_kwargs["args"][0]) == replies and len(replies) == 5


def test_a_bad_text_in_a_batch_gets_its_refusal_and_the_others_count(consultation, world):
    _a, motion, secret, people = consultation
    done = post(
        [
            (people[0].phone, f"V {motion.pk} SI", "1"),
            (people[1].phone, f"V {motion.pk} QUIZAS", "2"),
            ("999888777", f"V {motion.pk} SI", "3"),  # not on any roll
            (people[2].phone, "V 99999 SI", "4"),  # no such motion
            (people[3].phone, f"V {motion.pk} NO", "5"),
            (people[3].phone, f"V {motion.pk} SI", "6"),  # changes her vote within the batch
            (people[4].phone, f"V {secret.pk} ABS", "7"),
            (people[4].phone, f"V {secret.pk} ABS", "8"),  # the same vote again
        ]
    )
    status = [i.status for i in done]
    assert status == ["accepted", "rejected", "rejected", "rejected", "accepted", "accepted", "accepted", "rejected"]
    assert "No entendí su voto «QUIZAS»" in done[1].error
    assert "no figura en ningún padrón" in done[2].error
    assert "No existe la moción 99999" in done[3].error
    assert "Ya votó" in done[7].error
    assert "Cambió su voto" in done[5].result["reply"]
    assert tally(motion) == (2, 0, 0, 2) and tally(secret) == (0, 0, 1, 1)
    assert Vote.objects.filter(motion=motion).count() == 3  # the changed vote stays in the history
    assert governance_violations() == []


def test_a_batch_posted_again_and_replayed_counts_once(consultation):
    _a, motion, secret, people = consultation
    batch = votes(people[:10], motion, secret)
    post(batch)
    again = post(batch)  # the gateway did not get its answer and posts the same ids again
    assert {i.status for i in again} == {Inbound.Status.ACCEPTED}
    Inbound.objects.update(status=Inbound.Status.FAILED)  # as if it had to be done again
    replay()
    assert Inbound.objects.count() == 20
    assert tally(motion) == (10, 0, 0, 10) and tally(secret) == (0, 10, 0, 10)
    assert Participation.objects.count() == 20 and Vote.objects.count() == 20
    assert governance_violations() == []


def test_stored_but_not_processed_texts_are_finished_by_a_replay_in_batches(consultation, monkeypatch):
    _a, motion, secret, people = consultation
    monkeypatch.setattr("ayni.capture.messages.send_queued", lambda messages: None)
    Inbound.objects.bulk_create(
        [
            Inbound(
                channel=Channel.SMS,
                kind=Inbound.Kind.MESSAGE,
                gateway="android",
                sender=f"+51{p}",
                phone=p,
                client_id=i,
                payload={"text": b, "id": i},
                payload_hash=i,
            )
            for p, b, i in votes(people[:25], motion, secret)
        ]
    )
    with CaptureQueriesContext(connection) as ctx:
        assert replay() == {Inbound.Status.ACCEPTED: 50}
    assert len(ctx.captured_queries) <= 25
    assert tally(motion) == (25, 0, 0, 25)


def test_when_the_batch_breaks_each_text_is_applied_on_its_own(consultation, monkeypatch):
    _a, motion, secret, people = consultation
    command = next(c for c in commands.registered() if c.name == "vote")

    def broken(items):
        raise RuntimeError("a bug in the batch")

    monkeypatch.setitem(
        commands._REGISTRY,
        "v",
        commands.TextCommand(name="vote", words=command.words, handle=texts.vote_by_text, handle_many=broken),
    )
    done = post(
        [
            (people[0].phone, f"V {motion.pk} SI", "1"),
            (people[1].phone, f"V {motion.pk} MAL", "2"),
            (people[2].phone, f"V {secret.pk} NO", "3"),
        ]
    )
    assert [i.status for i in done] == ["accepted", "rejected", "accepted"]
    assert tally(motion) == (1, 0, 0, 1) and tally(secret) == (0, 1, 0, 1)


def test_a_text_settled_by_another_worker_while_its_batch_was_read_counts_once(consultation, monkeypatch):
    """The batch is read and planned before its write transaction; a resend of one of its texts
    processed by another worker in between keeps that worker's result, and the rest still count."""
    _a, motion, secret, people = consultation
    command = next(c for c in commands.registered() if c.name == "vote")
    batch = votes(people[:3], motion, secret)
    stored = Inbound.objects.bulk_create([
        Inbound(channel=Channel.SMS, kind=Inbound.Kind.MESSAGE, gateway="android", sender=f"+51{p}", phone=p,
                client_id=i, payload={"text": b, "id": i}, payload_hash=i) for p, b, i in batch])
    first = Inbound.objects.get(client_id=batch[0][2])

    def prepared_then_raced(items):
        count = texts.prepare_votes(items)
        # Meanwhile the other worker counts the first text and settles it.
        from ayni.capture.messages import process_messages

        monkeypatch.setitem(commands._REGISTRY, "v", command)
        process_messages([Inbound.objects.get(pk=first.pk)], replay=True)
        return count

    monkeypatch.setitem(commands._REGISTRY, "v", commands.TextCommand(
        name="vote", words=command.words, handle=texts.vote_by_text, handle_many=texts.votes_by_text,
        prepare_many=prepared_then_raced))
    from ayni.capture.messages import process_messages

    done = process_messages(list(Inbound.objects.filter(pk__in=[i.pk for i in stored]).order_by("pk")), replay=True)
    assert [i.status for i in done] == [Inbound.Status.ACCEPTED] * 6
    assert "Voto anotado" in done[0].result["reply"] and done[0].attempts == 1
    assert tally(motion) == (3, 0, 0, 3) and tally(secret) == (0, 3, 0, 3)
    assert Vote.objects.count() == 6 and Participation.objects.count() == 6
    assert governance_violations() == []


def test_the_gateway_posts_many_texts_at_once(consultation, client, settings):
    _a, motion, _secret, people = consultation
    settings.AYNI_SMS_GATEWAY_SECRET = "s3creto"
    body = {
        "messages": [
            {"from": f"+51{p.phone}", "text": f"V {motion.pk} NO", "id": f"m{n}"} for n, p in enumerate(people[:5])
        ]
    }
    response = client.post(
        "/mensajes/android/", data=json.dumps(body), content_type="application/json", HTTP_X_AYNI_SECRET="s3creto"
    )
    assert response.status_code in (200, 204)
    assert tally(motion) == (0, 5, 0, 5)
    assert Inbound.objects.filter(received_at__lte=timezone.now()).count() == 5
    assert Motion.objects.get(pk=motion.pk).no == 5


# --- PRESENTE and Q in batches ------------------------------------------------------------------------


def stored_texts(items):
    """Texts stored raw as the gateway's post stores them, not yet processed."""
    Inbound.objects.bulk_create(
        [
            Inbound(channel=Channel.SMS, kind=Inbound.Kind.MESSAGE, gateway="android", sender=f"+51{p}", phone=p,
                    client_id=i, payload={"text": b, "id": i}, payload_hash=i)
            for p, b, i in items
        ]
    )
    return list(Inbound.objects.filter(client_id__in=[i for _p, _b, i in items]).order_by("pk"))


def processed_queries(inbounds):
    """Queries to process stored texts as one batch (as a replay does: no flood limit, which a
    treasurer texting 60 payments within a minute would otherwise meet)."""
    from ayni.capture.messages import process_messages

    with CaptureQueriesContext(connection) as ctx:
        done = process_messages(inbounds, replay=True)
    return len(ctx.captured_queries), done


@pytest.fixture
def meeting(world, clock):
    """The kitchen's assembly in person, taking attendance now, with 70 socias on its roll."""
    people = socias(world.kitchen, 70)
    assembly = convene(world.kitchen, mode=Assembly.Mode.IN_PERSON)
    clock.at(assembly.starts_at - datetime.timedelta(minutes=30))
    return assembly, people


def test_a_batch_of_present_texts_costs_the_same_statements_whatever_its_size(meeting, monkeypatch):
    assembly, people = meeting
    monkeypatch.setattr("ayni.capture.messages.send_queued", lambda messages: None)
    few = queries_for([(p.phone, "PRESENTE", f"p-{n}") for n, p in enumerate(people[:4])])
    many = queries_for([(p.phone, "Presente" if n % 2 else "KAYPIM", f"p-{n}") for n, p in enumerate(people[4:64], 4)])
    assert many <= few <= 30, (few, many)
    assert Attendance.objects.filter(assembly=assembly, how=Attendance.How.TEXT).count() == 64
    assert Inbound.objects.filter(status=Inbound.Status.ACCEPTED).count() == 64
    assert "quedó anotada como presente" in Inbound.objects.order_by("pk").last().result["reply"]
    # One audit entry per assembly and batch, with the numbers marked, as the secretary's list writes.
    entries = AuditEntry.objects.filter(action="gov.attendance").order_by("pk")
    assert [len(e.after["numbers"]) for e in entries] == [4, 60]
    assert services.quorum_state(assembly).present == 64
    assert governance_violations() == []


def test_a_bad_present_text_in_a_batch_gets_its_refusal_and_the_others_count(meeting, world):
    assembly, people = meeting
    number = {e.person_id: e.number for e in assembly.electors.all()}
    services.record_attendance(scope=SYSTEM, assembly=assembly, numbers=[number[people[6].pk]], how="tap")
    services.record_proxy(scope=SYSTEM, assembly=assembly, giver_number=number[people[5].pk],
                          holder_number=number[people[6].pk])
    done = post(
        [
            (people[0].phone, "PRESENTE", "1"),
            ("999888777", "PRESENTE", "2"),  # not on any roll
            (people[1].phone, "PRESENTE XX", "3"),  # garbled
            (people[2].phone, "PRESENTE 424242", "4"),  # not an assembly of hers
            (people[3].phone, f"PRESENTE {assembly.pk}", "5"),
            (people[0].phone, "PRESENTE", "6"),  # again in the same batch: once
            (people[5].phone, "PRESENTE", "7"),  # she gave her proxy
        ]
    )
    assert [i.status for i in done] == ["accepted", "rejected", "rejected", "rejected", "accepted", "accepted",
                                        "rejected"]
    assert f"carta poder a N° {number[people[6].pk]}" in done[6].error
    assert "no figura en ningún padrón" in done[1].error and "No entendí «XX»" in done[2].error
    assert "No tiene hoy una asamblea N° 424242" in done[3].error
    assert "ya estaba anotada" in done[5].result["reply"]
    assert Attendance.objects.filter(assembly=assembly, how=Attendance.How.TEXT).count() == 2


def socias_with_dni(org, n):
    from ayni.people.services import register_person

    since = timezone.localdate() - datetime.timedelta(days=400)
    return [
        register_person(scope=SYSTEM, organisation=org, given_names=f"Pagadora {i}", paternal_surname=f"Cuota{i:03}",
                        since=since, phone=f"97{i:07}", dni=f"{71000000 + i}")
        for i in range(1, n + 1)
    ]


@pytest.fixture
def dues_kitchen(world, clock):
    """The kitchen with dues of S/ 5 a month set a year ago by its assembly, 64 socias with DNI and
    phone, and a treasurer with hers."""
    from decimal import Decimal

    from ayni.governance import dues
    from ayni.people.models import PositionKind
    from ayni.people.services import assign_position, register_person

    people = socias_with_dni(world.kitchen, 64)
    assembly = in_session(convene(world.kitchen), clock)
    motion = services.add_motion(scope=SYSTEM, item=assembly.agenda.first(), text="Cuota de S/ 5", ballot="hands")
    services.open_motion(scope=SYSTEM, motion=motion)
    services.record_hand_count(scope=SYSTEM, motion=motion, yes=services.quorum_state(assembly).present, no=0)
    motion = services.close_motion(scope=SYSTEM, motion=motion)
    clock.at(datetime.datetime.now(datetime.UTC))
    today = timezone.localdate()
    dues.set_dues(scope=SYSTEM, organisation=world.kitchen, motion=motion, amount=Decimal("5"), period="monthly",
                  starts_on=dues.add_months(dues.month_start(today), -12))
    treasurer = register_person(scope=SYSTEM, organisation=world.kitchen, given_names="Tesorera",
                                paternal_surname="Ríos", phone="955444333", since=today - datetime.timedelta(days=900))
    assign_position(scope=SYSTEM, person=treasurer, organisation=world.kitchen,
                    kind=PositionKind.objects.get(code="tesorera"), starts_on=today - datetime.timedelta(days=30),
                    ends_on=today + datetime.timedelta(days=300))
    return people


def test_a_treasurers_batch_of_payment_texts_costs_the_same_statements_whatever_its_size(dues_kitchen, world,
                                                                                          monkeypatch):
    from ayni.governance.integrity import dues_violations
    from ayni.governance.models import DuesMonth, DuesPayment

    people = dues_kitchen
    monkeypatch.setattr("ayni.capture.messages.send_queued", lambda messages: None)  # sending is the outbox's
    few, _done = processed_queries(stored_texts([("955444333", f"Q {p.dni[-4:]} 5", f"q-{n}")
                                                 for n, p in enumerate(people[:4])]))
    many, done = processed_queries(stored_texts([("955444333", f"Q {p.dni} 10", f"q-{n}")
                                                 for n, p in enumerate(people[4:64], 4)]))
    assert many <= few <= 40, (few, many)
    assert {i.status for i in done} == {Inbound.Status.ACCEPTED}
    assert "Pago anotado: S/ 10.00 de Pagadora 64 Cuota064" in done[-1].result["reply"]
    assert "Ahora: 10 cuota(s) atrasada(s), S/ 50.00" in done[-1].result["reply"]
    assert DuesPayment.objects.filter(channel="sms", confirmed_at__isnull=False).count() == 64
    assert DuesMonth.objects.get(organisation=world.kitchen).collected_cents == 4 * 500 + 60 * 1000
    assert AuditEntry.objects.filter(action="gov.dues.payment").count() == 64
    assert dues_violations() == []


def test_a_bad_payment_text_in_a_batch_gets_its_refusal_and_a_copy_counts_once(dues_kitchen, world):
    from ayni.governance.models import DuesPayment

    people = dues_kitchen
    _n, done = processed_queries(stored_texts([
        ("955444333", f"Q {people[0].dni} 5", "1"),
        ("955444333", f"Q {people[0].dni} 5", "2"),  # the same text again: a repeat, not a second payment
        ("955444333", f"Q {people[1].dni} 7", "3"),  # not a whole number of dues: asked again
        ("955444333", "Q 1111 5", "4"),  # nobody's DNI
        ("955444333", f"Q {people[1].dni} 7 OK", "5"),  # confirmed
        (people[2].phone, "Q 5", "6"),  # a socia reports her own: counts once the treasurer confirms
        ("944000111", "Q 5", "7"),  # not on any roll
        (people[3].phone, "Q DIEZ", "8"),
    ]))
    status = [i.status for i in done]
    assert status == ["accepted", "rejected", "rejected", "rejected", "accepted", "accepted", "rejected", "rejected"]
    assert "ya estaba anotado" in done[1].error and "no es un número entero de cuotas" in done[2].error
    assert "No hay socia de Comedor Popular Santa Rosa con DNI 1111" in done[3].error
    assert "cuenta cuando la tesorera lo confirme" in done[5].result["reply"]
    assert "no figura en ningún padrón" in done[6].error and "No entendí el monto «DIEZ»" in done[7].error
    assert sorted((p.amount_cents, p.counts) for p in DuesPayment.objects.all()) == [(500, False), (500, True),
                                                                                    (700, True)]


def test_a_batch_of_socias_reporting_their_payments_costs_the_same_whatever_its_size(dues_kitchen, monkeypatch):
    from ayni.governance.models import DuesPayment

    people = dues_kitchen
    monkeypatch.setattr("ayni.capture.messages.send_queued", lambda messages: None)
    few = queries_for([(p.phone, "Q 5", f"r-{n}") for n, p in enumerate(people[:4])])
    many = queries_for([(p.phone, "CUOTA S/5", f"r-{n}") for n, p in enumerate(people[4:64], 4)])
    assert many <= few <= 30, (few, many)
    assert DuesPayment.objects.filter(confirmed_at__isnull=True, channel="sms").count() == 64
