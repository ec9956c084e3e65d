"""Ayni behind pgbouncer in transaction mode (issue 21 item 3; deploy/pgbouncer/).

CI runs this file, and the concurrency tests, with DATABASE_URL on pgbouncer's port and
AYNI_PGBOUNCER=1 (`scripts/ensure-pgbouncer` starts it). Under transaction pooling one Django
connection's transactions run on whichever backend is free, so nothing may outlive a
transaction on the server: these tests run the product's own hot paths — reports saved in
batches, a stream read with `.iterator()`, the same statement many times (psycopg would prepare
it) — from several threads at once, so that backends do change hands between transactions."""

import os
import threading

import psycopg
import pytest
from django.conf import settings
from django.db import connection, connections

from ayni.capture.inbound import submit_batch
from ayni.kitchens.integrity import violations
from ayni.kitchens.models import DailyReport
from ayni.orgs.models import Organisation
from tests.conftest import as_scope, build_world
from tests.kitchens import days_ago

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("AYNI_PGBOUNCER"), reason="through pgbouncer (scripts/ensure-pgbouncer)"),
]


def _admin(sql: str) -> list[tuple]:
    """pgbouncer's own console, on the port the tests connect to."""
    db = settings.DATABASES["default"]
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user="postgres", dbname="pgbouncer",
                         autocommit=True, prepare_threshold=None) as console:
        return console.execute(sql).fetchall()


def test_the_connection_goes_through_pgbouncer_in_transaction_mode():
    config = {row[0]: row[1] for row in _admin("SHOW CONFIG")}
    assert config["pool_mode"] == "transaction"
    assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
    with connection.cursor():
        assert connection.connection.prepare_threshold is None
    assert connection.settings_dict["NAME"] in {row[0] for row in _admin("SHOW POOLS")}


def test_the_hot_paths_from_several_threads_at_once():
    world = build_world()
    kitchens, leaders = [world.kitchen, world.kitchen_other], [world.leader, world.leader_other]
    errors, backends = [], set()

    def phone(n: int):
        try:
            kitchen = kitchens[n % 2]
            for batch in range(4):
                items = [("report", f"p{n}-b{batch}-{d}", {
                    "date": days_ago(1 + batch * 10 + d).isoformat(), "version": 0, "rations_prepared": 80,
                    "served_paying": 50, "served_subsidised": 20, "served_free": 5})
                    for d in range(10)]
                results = submit_batch(channel="api", scope=as_scope(leaders[n % 2]), kitchen=kitchen, items=items)
                assert {r["status"] for r in results} <= {"accepted", "duplicate", "conflict"}, results
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    backends.add(cursor.fetchone()[0])
                # The same statement again and again: psycopg would prepare it on the 5th run.
                for _ in range(8):
                    assert Organisation.objects.filter(pk=kitchen.pk).exists()
                # A stream outside any transaction: a named cursor would not survive it.
                assert sum(1 for _ in DailyReport.objects.filter(kitchen=kitchen).iterator(chunk_size=5)) >= 10
        except Exception as exc:  # noqa: BLE001 - reported below with the thread's number
            errors.append((n, repr(exc)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=phone, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(backends) >= 1
    assert DailyReport.objects.filter(kitchen__in=kitchens).count() == 80  # 40 days each, saved once
    assert violations() == []
