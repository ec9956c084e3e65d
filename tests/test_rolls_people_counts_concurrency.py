"""Real concurrent roll writers on PostgreSQL (SQLite has one writer at a time): one person put
on two more rolls while her first entry closes, two records of another merged, a kitchen
changing district, new people in the same cells — all at once. The people locks (then the
entries, then the kitchens) leave the roll-up's people counts equal to a recomputation."""

import datetime

import pytest
from django.db import connection

from ayni.geo.models import District
from ayni.orgs.services import update_organisation
from ayni.rolls import integrity
from ayni.rolls.models import ExitReason, RepeatedPersonEntry, RollEntry
from ayni.rolls.services import exit_entry, merge_people, register_entry
from tests.conftest import as_scope, build_world
from tests.kitchens import TODAY
from tests.rolls_helpers import cat, put_on_roll
from tests.test_kitchens_concurrency import run_at_once

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers are tested on PostgreSQL"),
]


def test_roll_writes_at_once_keep_the_people_counts_exact():
    w = build_world()
    since = TODAY - datetime.timedelta(days=60)
    rosa = put_on_roll(w.kitchen, dni="10293847", since=since)
    lucia = put_on_roll(w.kitchen, given_names="Lucía", paternal_surname="Ramos", maternal_surname="Tito",
                        since=since).person
    copy = put_on_roll(w.kitchen_other, given_names="Lucia", paternal_surname="Ramos", maternal_surname="Tito",
                       since=since).person
    # Two people moving in opposite directions at once: each write holds one kitchen and needs the other.
    ana = put_on_roll(w.kitchen, given_names="Ana", paternal_surname="Flores", maternal_surname="Soto",
                      since=since).person
    eva = put_on_roll(w.olla, given_names="Eva", paternal_surname="Flores", maternal_surname="Soto",
                      since=since).person

    def register(kitchen, person=None, n=0):
        fields = {} if person else {"given_names": f"Nueva {n}", "paternal_surname": "Apaza",
                                    "maternal_surname": "Quispe", "birth_date": datetime.date(1950, 1, 1)}
        return register_entry(scope=as_scope(None), kitchen=kitchen, category=cat("adulto-mayor"), person=person,
                              since=TODAY - datetime.timedelta(days=10), **fields)

    results = run_at_once(
        lambda: register(w.olla, rosa.person),
        lambda: register(w.kitchen_other, rosa.person),
        lambda: exit_entry(scope=as_scope(None), entry=rosa, until=TODAY - datetime.timedelta(days=5),
                           reason=ExitReason.MOVED),
        lambda: merge_people(scope=as_scope(None), keep=lucia, remove=copy),
        lambda: update_organisation(scope=as_scope(None), organisation=w.olla,
                                    district=District.objects.get(code="150143")),
        lambda: register(w.olla, n=1),
        lambda: register(w.kitchen, n=2),
        lambda: register(w.olla, ana),
        lambda: register(w.kitchen, eva),
    )
    assert all(outcome == "ok" for outcome, _value in results), results
    assert RollEntry.objects.filter(person=rosa.person).count() == 3
    assert RepeatedPersonEntry.objects.filter(person=rosa.person).count() == 3
    assert RepeatedPersonEntry.objects.filter(person=lucia).count() == 2
    assert integrity.violations() == []
