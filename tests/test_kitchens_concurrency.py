"""Real concurrent writers, on PostgreSQL (SQLite serialises writers with BEGIN IMMEDIATE, so
there the same race cannot happen): two leaders saving the same day at once, and many
movements of the same item at once."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from ayni.kitchens.integrity import violations
from ayni.kitchens.models import DailyReport, StockBalance
from ayni.kitchens.services import ReportConflict
from tests.conftest import as_scope, build_world
from tests.kitchens import move, report

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers are tested on PostgreSQL"),
]


def run_at_once(*calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(i, call):
        try:
            barrier.wait()
            results[i] = ("ok", call())
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_leaders_saving_the_same_day_at_once_one_wins_and_the_other_sees_the_conflict():
    world = build_world()
    report(world.kitchen)  # both open the form on version 1
    results = run_at_once(
        lambda: report(world.kitchen, scope=as_scope(world.leader), version=1, served_free=3),
        lambda: report(world.kitchen, scope=as_scope(world.coordinator), version=1, served_free=1),
    )
    outcomes = sorted(kind for kind, _value in results)
    assert outcomes == ["error", "ok"], results
    loser = next(value for kind, value in results if kind == "error")
    winner = next(value for kind, value in results if kind == "ok")
    assert isinstance(loser, ReportConflict)
    saved = DailyReport.objects.get()
    assert (saved.version, saved.served_free) == (2, winner.served_free)
    assert violations() == []


def test_two_different_first_reports_of_the_same_day_at_once_do_not_both_win():
    world = build_world()
    results = run_at_once(*(lambda n=n: report(world.kitchen, version=0, served_free=n) for n in (1, 2)))
    assert sorted(kind for kind, _value in results) == ["error", "ok"], results
    assert DailyReport.objects.count() == 1 and violations() == []


def test_the_same_first_report_sent_twice_at_once_is_one_report():
    """A double tap (or the outbox and the form both sending): the same numbers are the same
    report, saved once, and neither copy is told of a conflict."""
    world = build_world()
    results = run_at_once(*(lambda: report(world.kitchen, version=0) for _ in range(2)))
    assert [kind for kind, _value in results] == ["ok", "ok"], results
    saved = DailyReport.objects.get()
    assert {value.pk for _kind, value in results} == {saved.pk}
    assert saved.version == 1 and saved.revisions.count() == 1 and violations() == []


def test_many_movements_at_once_lose_no_quantity():
    world = build_world()
    move(world.kitchen, "arroz", "state", 100)
    results = run_at_once(*(lambda: move(world.kitchen, "arroz", "used", "1.5") for _ in range(8)))
    assert all(kind == "ok" for kind, _value in results), results
    assert StockBalance.objects.get(kitchen=world.kitchen, item_id="arroz").quantity == Decimal(88)
    assert violations() == []
