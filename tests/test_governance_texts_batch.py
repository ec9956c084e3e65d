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
from tests.governance_helpers import SYSTEM, Clock, convene, socias

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
    if __import__("os").environ.get("SHOWQ"):
        print("\n".join(q["sql"][:160] for q in ctx.captured_queries), "\n----")
    return len(ctx.captured_queries)


def test_a_batch_of_vote_texts_costs_the_same_statements_whatever_its_size(consultation, monkeypatch):
    _a, motion, secret, people = consultation
    handed = []  # the hand-off to the task queue: one task per batch (the tests' queue runs it at once)
    monkeypatch.setattr("ayni.capture.messages.send_queued", lambda messages: handed.append(len(messages)))
    few = queries_for(votes(people[:2], motion, secret))  # 4 texts
    many = queries_for(votes(people[2:32], motion, secret, start=2))  # 60 texts
    assert many <= few <= 30, (few, many)  # savepoints of the test's own transaction included
    assert tally(motion) == (32, 0, 0, 32) and tally(secret) == (0, 32, 0, 32)
    assert Inbound.objects.filter(status=Inbound.Status.ACCEPTED).count() == 64
    # A burst from one phone gets one answer; the replies go to the task queue once per batch.
    assert OutboundMessage.objects.filter(inbound__isnull=False).count() == 32 and handed == [2, 30]
    assert AuditEntry.objects.filter(action="gov.vote").count() == 64
    assert Attendance.objects.filter(how=Attendance.How.VOTE).count() == 32
    assert governance_violations() == []


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
