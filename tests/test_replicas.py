"""Heavy reads on a real PostgreSQL streaming replica (lib/replicas.py, issue 21 item 1).

`scripts/ensure-replica` starts a hot standby of the test server on port 5433 (CI does, and
AYNI_REQUIRE_REPLICA=1 makes its absence a failure there). The tests point an alias at the
standby's copy of the test database and check, on the real thing: the people search is read from
the replica (shown by pausing the standby's replay: the replica still has the old name); a
person who has just saved reads the primary; a replica further behind than allowed is not used;
a replica that dies between two pages, or in the middle of one, costs the user nothing.
Only the standby's state is changed here — never the primary's configuration."""

import os
import subprocess
import time
from pathlib import Path

import pytest
from django.db import connection, connections
from django.db.utils import load_backend
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ayni.lib import replicas
from ayni.people.services import update_person
from tests.conftest import as_scope, build_world

PORT = int(os.environ.get("AYNI_REPLICA_PORT", "5433"))
ALIAS = "replica1"
SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "ensure-replica"


def _standby_answers() -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", str(PORT), "-q"], check=False).returncode == 0


needs_replica = pytest.mark.skipif(
    connection.vendor != "postgresql" or (not _standby_answers() and not os.environ.get("AYNI_REQUIRE_REPLICA")),
    reason="needs PostgreSQL and its streaming replica (bash scripts/ensure-replica)")


@pytest.fixture
def replica(transactional_db, settings, monkeypatch):
    """The alias `replica1` on the standby's copy of this run's test database. Its connection is
    made here rather than listed in DATABASES: the test database is created on the primary only
    (a standby is read-only), and reaches the standby by replication."""
    if not _standby_answers():
        subprocess.run(["bash", str(SCRIPT)], check=True, capture_output=True)
    standby = {**connections.settings["default"], "HOST": "127.0.0.1", "PORT": str(PORT),
               "OPTIONS": {"connect_timeout": 2}, "TEST": {}}
    setattr(connections._connections, ALIAS, load_backend(standby["ENGINE"]).DatabaseWrapper(standby, ALIAS))
    monkeypatch.setattr(replicas, "replica_aliases", lambda: [ALIAS])
    replicas._health.clear()
    settings.AYNI_REPLICA_MAX_LAG_S = 3600  # each test says how much lag it allows
    yield ALIAS
    try:
        _sql_on_standby("SELECT pg_wal_replay_resume()")
    finally:
        connections[ALIAS].close()
        delattr(connections._connections, ALIAS)
        replicas._health.clear()


def _sql_on_standby(sql: str):
    with connections[ALIAS].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


def replayed() -> None:
    """Wait until the standby has replayed everything the primary has committed."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        target = cursor.fetchone()[0]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if _sql_on_standby(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")[0]:
            return
        time.sleep(0.05)
    raise AssertionError("the standby did not catch up in 20 s")


def _search(client, text="Quispe"):
    return client.get(reverse("people:search"), {"q": text}).content.decode()


def _rename(w, surname):
    update_person(scope=as_scope(None), person=w.member, paternal_surname=surname)


@needs_replica
def test_the_search_reads_the_replica_and_her_own_save_reads_the_primary(replica, client):
    w = build_world()
    replayed()
    client.force_login(w.coordinator)
    with CaptureQueriesContext(connections[ALIAS]) as on_replica:
        assert "Quispe" in _search(client)
    assert len(on_replica) > 1  # the health check and the search itself

    _sql_on_standby("SELECT pg_wal_replay_pause()")
    _rename(w, "Quispesito")  # someone else's save: the paused replica does not have it yet
    assert "Quispesito" not in _search(client, "Quispe") and "Quispe" in _search(client, "Quispe")

    # She saves something herself: for a while her pages read the primary, and show it.
    response = client.post(reverse("set_language"), {"language": "es", "next": "/"})
    assert response.status_code < 400 and replicas.WROTE_COOKIE in response.cookies
    assert "Quispesito" in _search(client, "Quispesito")


@needs_replica
def test_a_replica_further_behind_than_allowed_is_not_read(replica, client, settings):
    w = build_world()
    replayed()
    client.force_login(w.coordinator)
    _sql_on_standby("SELECT pg_wal_replay_pause()")
    _rename(w, "Quispesito")
    time.sleep(1.2)
    settings.AYNI_REPLICA_MAX_LAG_S = 1
    replicas._health.clear()
    with CaptureQueriesContext(connections[ALIAS]) as on_replica:
        assert "Quispesito" in _search(client, "Quispesito")  # the primary's answer
    assert [q["sql"] for q in on_replica] == [replicas.LAG_SQL]  # asked how far behind, nothing else
    assert replicas.lag_seconds(ALIAS) > 1


@needs_replica
def test_a_replica_that_dies_costs_the_user_nothing(replica, client):
    w = build_world()
    replayed()
    client.force_login(w.coordinator)
    assert replicas.healthy_replica() == ALIAS  # checked and cached as usable
    connections[ALIAS].close()
    data = os.environ.get("AYNI_REPLICA_DIR", "/var/lib/postgresql/ayni-replica")
    stop = f"/usr/lib/postgresql/*/bin/pg_ctl -D {data} -m immediate stop"
    subprocess.run(["su", "postgres", "-s", "/bin/bash", "-c", stop], check=True, capture_output=True)
    try:
        # In the middle of a page: the health check still says usable, the search's first query
        # fails to connect, and the page is read again on the primary.
        response = client.get(reverse("people:search"), {"q": "Quispe"})
        assert response.status_code == 200 and "Quispe" in response.content.decode()
        # Between pages: the replica is left alone and the primary serves, without a retry.
        assert replicas.healthy_replica() is None
        assert client.get(reverse("people:search"), {"q": "Quispe"}).status_code == 200
    finally:
        subprocess.run(["bash", str(SCRIPT)], check=True, capture_output=True)



# --- Without a replica: the router's rules, on either engine ----------------------------------

def test_writes_and_migrations_stay_on_the_primary():
    router = replicas.ReplicaRouter()
    assert router.db_for_write(None) == "default"
    assert router.allow_migrate("default", "kitchens") and not router.allow_migrate(ALIAS, "kitchens")
    assert router.db_for_read(None) is None  # outside a heavy page: the primary
    with replicas.primary():
        assert router.db_for_read(None) is None


def test_a_promoted_or_silent_replica_is_not_used(monkeypatch, settings):
    monkeypatch.setattr(replicas, "replica_aliases", lambda: [ALIAS, "replica2"])
    replicas._health.clear()
    answers = {ALIAS: None, "replica2": 0.4}  # replica1 was promoted: no longer a standby
    monkeypatch.setattr(replicas, "lag_seconds", lambda alias: answers[alias])
    monkeypatch.setattr(replicas, "mark_down", lambda alias, exc=None: replicas._health.__setitem__(
        alias, (time.monotonic(), False)))
    assert {replicas.healthy_replica() for _ in range(4)} == {"replica2"}
    replicas._health.clear()
    answers["replica2"] = settings.AYNI_REPLICA_MAX_LAG_S + 1
    assert replicas.healthy_replica() is None
    replicas._health.clear()


@pytest.mark.django_db
def test_her_write_is_remembered_only_where_there_are_replicas(client, world, monkeypatch):
    client.force_login(world.coordinator)
    response = client.post(reverse("set_language"), {"language": "es", "next": "/"})
    assert replicas.WROTE_COOKIE not in response.cookies  # one database: nothing to route
    monkeypatch.setattr(replicas, "replica_aliases", lambda: [ALIAS])
    response = client.post(reverse("set_language"), {"language": "es", "next": "/"})
    assert replicas.WROTE_COOKIE in response.cookies and response.cookies[replicas.WROTE_COOKIE]["httponly"]
    assert client.get(reverse("people:search"), {"q": "Quispe"}).status_code == 200  # read on the primary
