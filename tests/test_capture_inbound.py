"""Nothing typed is lost: every submission is stored raw before it is processed, processing
happens once however often it is repeated, and `ayni replay-inbound` finishes what a crash or
a bug left undone."""

import io

import pytest
from django.core.management import call_command

from ayni.capture import inbound as capture
from ayni.capture.models import Channel, Inbound
from ayni.kitchens.models import StockMovement
from tests.conftest import as_scope
from tests.kitchens import TODAY

pytestmark = pytest.mark.django_db

MOVEMENT = {"date": TODAY.isoformat(), "item": "arroz", "kind": "state", "quantity": "25"}


def stored(world, client_id="m-1", payload=None):
    inbound, _created = capture.store(channel=Channel.API, kind=Inbound.Kind.MOVEMENT, payload=payload or MOVEMENT,
                                       user=world.leader, kitchen=world.kitchen, client_id=client_id)
    return inbound


def replay() -> str:
    out = io.StringIO()
    call_command("replay-inbound", stdout=out)
    return out.getvalue()


def test_a_submission_is_stored_before_it_is_processed(world):
    inbound = stored(world)
    assert inbound.status == Inbound.Status.RECEIVED and inbound.payload == MOVEMENT
    assert not StockMovement.objects.exists()


def test_storing_the_same_client_id_twice_finds_the_first(world):
    first, again = stored(world), stored(world)
    assert first.pk == again.pk and Inbound.objects.count() == 1


def test_processing_twice_records_once(world):
    inbound = stored(world)
    capture.process(inbound)
    capture.process(inbound)
    assert StockMovement.objects.count() == 1
    inbound.refresh_from_db()
    assert inbound.status == Inbound.Status.ACCEPTED and inbound.attempts == 1


def test_a_crash_between_storing_and_processing_is_finished_by_replay(world):
    stored(world)  # the server died right after storing
    assert "replayed=1 accepted=1" in replay()
    assert StockMovement.objects.count() == 1
    assert "replayed=0" in replay()  # a second replay changes nothing
    assert StockMovement.objects.count() == 1


def test_a_bug_while_processing_keeps_the_raw_row_and_writes_nothing(world, monkeypatch):
    def broken(inbound):
        StockMovement.objects.create(kitchen=inbound.kitchen, item_id="arroz", date=TODAY, kind="state", delta=1)
        raise RuntimeError("bug")

    monkeypatch.setitem(capture.HANDLERS, Inbound.Kind.MOVEMENT, broken)
    result = capture.submit(channel=Channel.API, scope=as_scope(world.leader), kitchen=world.kitchen,
                             kind=Inbound.Kind.MOVEMENT, client_id="m-1", payload=MOVEMENT)
    assert result["status"] == "failed" and result["code"] == 500
    assert not StockMovement.objects.exists()  # the half-done write was rolled back
    inbound = Inbound.objects.get()
    assert inbound.status == Inbound.Status.FAILED and inbound.payload == MOVEMENT
    monkeypatch.undo()
    assert "accepted=1" in replay()
    assert StockMovement.objects.count() == 1


def test_a_resend_after_a_failure_processes_it_then(world, monkeypatch):
    monkeypatch.setitem(capture.HANDLERS, Inbound.Kind.MOVEMENT, lambda inbound, scope: 1 / 0)
    kwargs = {"channel": Channel.API, "scope": as_scope(world.leader), "kitchen": world.kitchen,
              "kind": Inbound.Kind.MOVEMENT, "client_id": "m-1", "payload": MOVEMENT}
    assert capture.submit(**kwargs)["status"] == "failed"
    monkeypatch.undo()
    assert capture.submit(**kwargs)["status"] == "accepted"
    assert StockMovement.objects.count() == 1 and Inbound.objects.get().attempts == 2


def test_rejected_submissions_stay_visible_and_are_not_replayed(world):
    capture.submit(channel=Channel.API, scope=as_scope(world.leader), kitchen=world.kitchen, kind=Inbound.Kind.MOVEMENT,
                    client_id="bad", payload={**MOVEMENT, "quantity": "-3"})
    inbound = Inbound.objects.get()
    assert inbound.status == Inbound.Status.REJECTED and inbound.error
    assert "replayed=0" in replay()


def test_replay_can_pick_one_submission(world):
    a, b = stored(world, "a"), stored(world, "b")
    out = io.StringIO()
    call_command("replay-inbound", "--id", str(b.pk), stdout=out)
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == Inbound.Status.RECEIVED and b.status == Inbound.Status.ACCEPTED


def test_a_gateways_post_finds_its_earlier_texts_by_an_index_not_by_reading_them_all(world):
    """`receive_texts` matches a post's message ids with the texts stored before. The unique
    indexes on them are partial, which SQLite cannot use for that lookup: without an index of its
    own it read the whole table on every post (a national consultation fell from 570 to 180
    votes a second as its texts piled up). PostgreSQL proves the partial one applies."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    capture.receive_texts(gateway="android", texts=[("sms", "+51987654321", "hola", "m-1")])
    with CaptureQueriesContext(connection) as ctx:
        capture.receive_texts(gateway="android", texts=[("sms", "+51987654321", "hola", "m-1")])
    lookup = next(q["sql"] for q in ctx.captured_queries
                  if q["sql"].startswith("SELECT") and '"client_id" IN' in q["sql"])
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            plan = " ".join(str(row) for row in cursor.execute("EXPLAIN QUERY PLAN " + lookup).fetchall())
            assert "inbound_gateway_client_id" in plan, plan
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: an index must be usable
            cursor.execute("EXPLAIN " + lookup)
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "Seq Scan" not in plan, plan
