"""`ayni backup` and `ayni restore`: a round trip gives back exactly the same rows.

The round trips run the real commands in subprocesses against a database of their own (a SQLite
file here; a scratch PostgreSQL database when the suite runs on PostgreSQL), because the test
database is in memory and a restore must replace a real one.
"""

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.management import CommandError, call_command

from ayni.ops.backup import PREFIX, Database, backup_name, prune

REPO = Path(__file__).resolve().parent.parent
HAS_DEMO = (REPO / "src/ayni/demo/management/commands/demo.py").exists()

DUMP = """
import hashlib, json
from django.db import connection
out = {}
with connection.cursor() as cursor:
    for table in sorted(connection.introspection.table_names()):
        cursor.execute("SELECT * FROM " + connection.ops.quote_name(table))
        rows = sorted(repr(row) for row in cursor.fetchall())
        out[table] = [len(rows), hashlib.sha256("\\n".join(rows).encode()).hexdigest()]
print(json.dumps(out))
"""

SEED = """
from ayni.accounts.scope import Scope
from ayni.geo.models import District
from ayni.orgs.models import OrgKind
from ayni.orgs.services import create_organisation
from ayni.people.services import register_person
d = District.objects.get(code="150142")
system = Scope.system("preparación de la prueba")
confed = create_organisation(scope=system, kind=OrgKind.objects.get(code="confederacion"), parent=None,
                             name="Confederación", district=d)
prov = create_organisation(scope=system, kind=OrgKind.objects.get(code="federacion-provincial"), parent=confed,
                           name="Provincial", district=d)
for i in range(3):
    register_person(scope=system, organisation=prov, given_names=f"Socia {i}", paternal_surname="Quispe")
"""

MUTATE = """
from ayni.accounts.scope import Scope
from ayni.orgs.models import Organisation
from ayni.orgs.services import update_organisation
from ayni.people.models import Membership, Person
org = Organisation.objects.order_by("pk").last()
update_organisation(scope=Scope.system("preparación de la prueba"), organisation=org,
                    name="Cambiada después de la copia")
Membership.objects.filter(pk__in=list(Membership.objects.order_by("pk").values_list("pk", flat=True)[:2])).delete()
Person.objects.create(given_names="Nueva", paternal_surname="Después")
"""


def ayni(env, *args, check=True):
    result = subprocess.run([sys.executable, "-m", "ayni.cli", *args], env=env, cwd=REPO,
                            capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"ayni {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def environment(tmp_path, database_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS"))}
    env.update(AYNI_TESTING="1", DATABASE_URL=database_url, AYNI_VAR_DIR=str(tmp_path / "var"))
    return env


def dump(env) -> dict:
    return json.loads(ayni(env, "shell", "-c", DUMP).stdout.strip().splitlines()[-1])


def round_trip(env, tmp_path):
    ayni(env, "migrate", "--no-input", "-v", "0")
    if HAS_DEMO:
        ayni(env, "demo", "--scale", "small", "-v", "0")
    else:
        ayni(env, "shell", "-c", SEED)
    before = dump(env)
    out = ayni(env, "backup", "--keep", "3").stdout
    path = Path(re.search(r": (\S+) \(", out).group(1))
    assert path.parent == tmp_path / "var" / "backups" and path.name.startswith(PREFIX) and path.stat().st_size > 0

    ayni(env, "shell", "-c", MUTATE)
    mutated = dump(env)
    assert mutated != before

    refused = ayni(env, "restore", str(path), check=False)
    assert refused.returncode != 0 and "--yes" in refused.stderr
    assert dump(env) == mutated

    ayni(env, "restore", str(path), "--yes")
    after = dump(env)
    assert after == before, sorted(t for t in before if before[t] != after.get(t))
    # The data replaced by the restore was kept, in case the wrong file was restored.
    kept = list((tmp_path / "var" / "backups").glob("antes-de-restaurar-*"))
    assert len(kept) == 1


def test_sqlite_backup_and_restore_give_back_identical_rows(tmp_path):
    round_trip(environment(tmp_path, f"sqlite:///{tmp_path / 'ayni.sqlite3'}"), tmp_path)


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                    reason="needs DATABASE_URL=postgres://…")
def test_postgres_backup_and_restore_give_back_identical_rows(tmp_path):
    import psycopg

    url = urlsplit(os.environ["DATABASE_URL"])
    name = f"ayni_test_backup_{uuid.uuid4().hex[:8]}"
    admin = urlunsplit(url._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        round_trip(environment(tmp_path, urlunsplit(url._replace(path=f"/{name}"))), tmp_path)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_keeps_only_the_newest_files(tmp_path):
    db = Database("sqlite", "x")
    names = [f"{PREFIX}2026010{i}-000000.sqlite3" for i in range(1, 6)]
    for name in [*names, "antes-de-restaurar-20260101-000000.sqlite3", "notas.txt"]:
        (tmp_path / name).write_text("x")
    deleted = prune(tmp_path, keep=2, suffix=db.suffix)
    assert sorted(p.name for p in deleted) == names[:3]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [*names[3:], "antes-de-restaurar-20260101-000000.sqlite3", "notas.txt"]
    )


def test_backup_names_sort_in_time_order():
    import datetime

    db = Database("postgres", "ayni")
    early = backup_name(db, datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC))
    late = backup_name(db, datetime.datetime(2026, 11, 2, 3, 4, 5, tzinfo=datetime.UTC))
    assert early == "ayni-20260102-030405.pgdump" and early < late


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path, settings):
    settings.DATABASES = {**settings.DATABASES, "default": {**settings.DATABASES["default"],
                                                            "ENGINE": "django.db.backends.sqlite3",
                                                            "NAME": str(tmp_path / "live.sqlite3")}}
    junk = tmp_path / "copia.sqlite3"
    junk.write_text("no soy una base de datos")
    with pytest.raises(CommandError, match="no es una base de datos SQLite"):
        call_command("restore", str(junk), "--yes")
    with pytest.raises(CommandError, match="No existe el archivo"):
        call_command("restore", str(tmp_path / "falta.sqlite3"), "--yes")


def test_sqlite_backup_is_one_consistent_snapshot_while_a_writer_keeps_writing(tmp_path):
    import sqlite3
    import threading

    from ayni.ops.backup import _sqlite_backup

    live = tmp_path / "live.sqlite3"
    conn = sqlite3.connect(live)
    conn.executescript("PRAGMA journal_mode=WAL; CREATE TABLE ledger (side TEXT, amount INTEGER);")
    conn.close()
    stop = threading.Event()

    def write():
        # Each transaction writes a debit and its credit: a torn copy would not balance.
        writer = sqlite3.connect(live, timeout=30)
        while not stop.is_set():
            with writer:
                writer.execute("INSERT INTO ledger VALUES ('debe', 5)")
                writer.execute("INSERT INTO ledger VALUES ('haber', -5)")
        writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        copies = []
        for i in range(5):
            copy = tmp_path / f"copy{i}.sqlite3"
            _sqlite_backup(live, copy)
            copies.append(copy)
    finally:
        stop.set()
        thread.join()
    for copy in copies:
        check = sqlite3.connect(copy)
        count, total = check.execute("SELECT count(*), coalesce(sum(amount), 0) FROM ledger").fetchone()
        check.close()
        assert count % 2 == 0 and total == 0
