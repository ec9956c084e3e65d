"""Two secretaries entering attendance at once, and many votes on one motion at once, on
PostgreSQL (SQLite serialises writers, so the race cannot happen there)."""

import pytest
from django.db import connection

from ayni.governance import services
from ayni.governance.integrity import governance_violations
from ayni.governance.models import Attendance, Motion
from tests.conftest import build_world
from tests.governance_helpers import SYSTEM, Clock, convene, in_session, socias
from tests.test_kitchens_concurrency import run_at_once

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers are tested on PostgreSQL"),
]


def test_two_secretaries_entering_attendance_at_once_write_one_list(monkeypatch):
    world = build_world()
    socias(world.kitchen, 8)
    assembly = convene(world.kitchen)
    Clock(monkeypatch).at(assembly.starts_at)
    results = run_at_once(
        lambda: services.record_attendance(scope=SYSTEM, assembly=assembly, numbers=[1, 2, 3, 4, 5], how="tap"),
        lambda: services.record_attendance(scope=SYSTEM, assembly=assembly, numbers=[4, 5, 6, 7], how="paper"),
    )
    assert all(kind == "ok" for kind, _v in results), results
    assert sorted(v for _k, v in results) in ([2, 5], [3, 4])
    assert Attendance.objects.filter(assembly=assembly).count() == 7
    assert governance_violations() == []


def test_votes_at_once_are_each_counted_once(monkeypatch):
    world = build_world()
    people = [world.member, *socias(world.kitchen, 5)]
    assembly = in_session(convene(world.kitchen), Clock(monkeypatch))
    motion = services.add_motion(scope=SYSTEM, item=assembly.agenda.first(), text="X", ballot="secret")
    services.open_motion(scope=SYSTEM, motion=motion)
    results = run_at_once(*[
        (lambda p=p: services.cast_vote(scope=SYSTEM, motion_id=motion.pk, person=p, choice="yes"))
        for p in people])
    assert all(kind == "ok" for kind, _v in results), results
    motion = Motion.objects.get(pk=motion.pk)
    assert (motion.yes, motion.voters) == (6, 6)
    assert governance_violations() == []
