"""People search by name through the trigram index: the same people as a scan of every name,
within the same scope, the index kept in step by every write, and checked by check-integrity."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ayni.accounts.scope import Scope
from ayni.lib.text import fold
from ayni.ops.integrity import registry_violations
from ayni.people import search, selectors
from ayni.people.models import Person
from ayni.people.selectors import search_people, visible_people
from ayni.people.services import register_person
from tests.conftest import as_scope

pytestmark = pytest.mark.django_db

NAMES = [  # (kitchen attribute of the world, given names, paternal, maternal)
    ("kitchen", "Rosa Ana", "Quispe", "Huamán"),
    ("kitchen", "Ana", "Ñahui", "Quispe"),
    ("olla", "Lucía", "Mamani", "Condori"),
    ("olla", "Li", "Wong", "Quispe"),
    ("olla", "Juana", "D'Ángelo", "Rojas"),
    ("kitchen_other", "Rosa", "Quispe", "Mamani"),
    ("kitchen_other", "Ana María", "Ccahuana", "Flores"),
]
QUERIES = ["quispe", "QUISPE", "Huaman", "huamán", "ana", "an", "a", "li", "ros qui", "rosa quispe", "ñahui",
           "nahui", "d'an", "ispe mama", "mani", "xyz", "sp", '"quispe"', "quispe%", "ana_m", "45678912", "4567"]


@pytest.fixture
def people(world):
    for where, given, paternal, maternal in NAMES:
        register_person(scope=as_scope(None), organisation=getattr(world, where), given_names=given,
                        paternal_surname=paternal, maternal_surname=maternal)
    return world


def scanned(scope, text):
    """The answer by definition: the scope's people whose folded name holds every word."""
    people = visible_people(scope)
    if text.strip().isdigit():
        return {p.pk for p in people if p.dni and p.dni.startswith(text.strip())}
    words = fold(text).split()
    return {p.pk for p in people if all(w in fold(p.full_name) for w in words)}


@pytest.mark.parametrize("who", ["national", "coordinator", "coordinator_other", "leader", "leader_other",
                                 "viewer", "outsider", "platform"])
def test_search_finds_exactly_the_people_a_scan_of_every_name_finds_within_the_scope(people, who):
    scope = Scope.for_user(getattr(people, who))
    for text in QUERIES:
        assert set(search_people(scope, text).values_list("pk", flat=True)) == scanned(scope, text), text


@pytest.mark.parametrize("who", ["coordinator", "coordinator_other", "leader", "leader_other"])
def test_a_scope_searched_through_the_index_finds_the_same_people(people, who, monkeypatch):
    # On SQLite a small scope reads its people's names; a large one goes through the index.
    monkeypatch.setattr(selectors, "SMALL_SCOPE", 0)
    scope = Scope.for_user(getattr(people, who))
    for text in QUERIES:
        assert set(search_people(scope, text).values_list("pk", flat=True)) == scanned(scope, text), text


def test_a_coordinator_finds_her_province_and_never_another(people):
    found = {p.full_name for p in search_people(Scope.for_user(people.coordinator), "quispe")}
    assert found == {"Rosa Ana Quispe Huamán", "Ana Ñahui Quispe", "Li Wong Quispe", "María Elena Quispe Mamani"}
    assert "Rosa Quispe Mamani" not in found  # Cusco's


def test_the_name_search_goes_through_the_trigram_index(people):
    scope = Scope.for_user(people.national)
    with CaptureQueriesContext(connection) as queries:
        list(search_people(scope, "quispe"))
    sql = queries[-1]["sql"]
    if connection.vendor == "sqlite":
        assert f"{search.FTS_TABLE} MATCH" in sql
        return
    with connection.cursor() as cur:
        # A table this small is read whole whatever the index: ask the planner what it would use.
        cur.execute("SET LOCAL enable_seqscan = off")
        query = search_people(scope, "quispe").query
        sql, params = query.sql_with_params()
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cur.fetchall())
    assert search.POSTGRES_INDEX in plan


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's plan")
@pytest.mark.parametrize("who", ["coordinator", "leader"])
def test_a_scoped_search_reads_memberships_and_positions_by_the_organisations_of_the_scope(people, who):
    # Asked `organisation_id IN (SELECT …)`, PostgreSQL hashed every membership and position of
    # the country on each search (national-full: 350,000 and 118,000); the scope's organisations
    # read first into an array make it look them up by `organisation_id` (docs/performance.md).
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")  # tables this small are read whole anyway
        sql, params = search_people(Scope.for_user(getattr(people, who)), "quispe").query.sql_with_params()
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cur.fetchall())
    assert plan.count("Index Cond: (organisation_id = ANY") == 2, plan


def test_the_index_follows_a_new_name_a_deletion_and_a_bulk_insert(people):
    from ayni.demo.bulk import insert_rows

    scope = Scope.for_user(people.national)
    lucia = Person.objects.get(given_names="Lucía")
    lucia.paternal_surname = "Tupac"
    lucia.save()
    assert not search_people(scope, "mamani condori").exists()
    assert list(search_people(scope, "tupac condori")) == [lucia]

    stranger = Person.objects.create(given_names="Zoila", paternal_surname="Yupanqui", maternal_surname="Paz")
    assert set(search_people(Scope.for_user(people.platform), "yupanqui")) == {stranger}
    stranger.delete()
    assert not search_people(Scope.for_user(people.platform), "yupanqui").exists()

    insert_rows(Person, ["given_names", "paternal_surname", "maternal_surname", "sex", "dni_check", "phone",
                         "search_name", "created_at", "updated_at"],
                [("Flor", "Achahui", "", "F", "", "", "flor achahui", "2026-01-01 00:00", "2026-01-01 00:00")])
    assert search_people(Scope.for_user(people.platform), "achahui").count() == 1
    assert registry_violations() == []


@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="the FTS table is SQLite's")
def test_check_integrity_names_an_index_out_of_step_and_migrate_mends_it(people):
    with connection.cursor() as cur:
        cur.execute(f"DROP TRIGGER {search.FTS_TABLE}_update")
    lucia = Person.objects.get(given_names="Lucía")
    lucia.paternal_surname = "Tupac"
    lucia.save()
    found = registry_violations()
    assert any("perdió su disparador" in v for v in found)
    assert any("no coincide con la tabla" in v for v in found)

    # A migration that rebuilds people_person on SQLite drops its triggers: migrate puts them back.
    call_command("migrate", "people", verbosity=0)
    assert registry_violations() == []
    assert list(search_people(Scope.for_user(people.national), "tupac")) == [lucia]
