"""A batch of stored reports from many kitchens — what the task worker saves from ODK Collect,
one report per phone — is saved as one batch (`capture.inbound.process_reports` →
`kitchens.services.save_daily_reports`): a bounded number of statements whatever the number of
kitchens, each roll-up cell moved once by the sum of its kitchens' differences, and per-item
refusals as a save of each alone would give."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ayni.accounts.models import Role
from ayni.accounts.scope import Scope
from ayni.capture import inbound as capture
from ayni.capture.models import Channel, Inbound, content_hash
from ayni.geo.models import District
from ayni.kitchens.integrity import violations
from ayni.kitchens.models import DailyReport, DailyReportRevision, MonthlyRollup
from ayni.orgs.services import create_organisation
from tests.conftest import build_world, kind, make_user
from tests.kitchens import TODAY, days_ago, last_month, report
from tests.test_kitchens_concurrency import run_at_once

pytestmark = pytest.mark.django_db

_names = itertools.count()


def kitchens_with_leaders(world, n):
    """`n` kitchens, half under each federation (two roll-up cells, two districts), each with
    its leader."""
    system = Scope.system("preparación de la prueba")
    out = []
    for i in range(n):
        parent, district = (world.ves, "150142") if i % 2 else (world.santiago, "080108")
        number = next(_names)
        kitchen = create_organisation(scope=system, kind=kind("comedor-popular"), parent=parent,
                                      name=f"Comedor {number}", district=District.objects.get(code=district))
        out.append((kitchen, make_user(f"lider{number}", Role.LEADER, kitchen)))
    return out


def stored(kitchen, user, day, **over):
    payload = {"date": day.isoformat(), "version": 0, "rations_prepared": 90, "served_paying": 60,
               "served_subsidised": 20, "served_free": 5, "price_per_ration": "3.50", **over}
    return Inbound.objects.create(channel=Channel.ODK, kind=Inbound.Kind.REPORT, user=user, kitchen=kitchen,
                                  client_id=f"{kitchen.pk}-{day}-{next(_names)}", payload=payload,
                                  payload_hash=content_hash(payload))


def pending(inbounds):
    """As the worker reads them (`reach.services.save_pending`)."""
    return list(Inbound.objects.filter(pk__in=[i.pk for i in inbounds]).select_related("kitchen__kind", "user")
                .order_by("pk"))


def queries_for(world, n):
    batch = [stored(kitchen, user, days_ago(1)) for kitchen, user in kitchens_with_leaders(world, n)]
    chunk = pending(batch)
    with CaptureQueriesContext(connection) as queries:
        results = capture.process_reports(chunk)
    assert [r["status"] for r in results.values()] == ["accepted"] * n
    return len(queries)


def test_a_batch_across_kitchens_costs_the_same_statements_for_3_kitchens_or_30(world):
    few, many = queries_for(world, 3), queries_for(world, 30)
    # One statement per kind of lookup and of write for the whole batch: scopes, month locks,
    # closes, recent reports, reports, revisions, audit, summaries, roll-ups and their
    # revisions, reporting months.
    assert few == many, (few, many)
    assert many <= (22 if connection.vendor == "postgresql" else 20), many  # 27 before the month locks took 2
    assert DailyReport.objects.count() == 33 and DailyReportRevision.objects.count() == 33
    assert violations() == []


def test_the_rollups_after_a_batch_across_kitchens_equal_a_recomputation(world):
    pairs = kitchens_with_leaders(world, 8) + [(world.kitchen, world.leader)]
    report(world.kitchen, days_ago(3))  # an edit and a new day next to days the server has
    previous = last_month().replace(day=2)
    batch = []
    for n, (kitchen, user) in enumerate(pairs):
        batch.append(stored(kitchen, user, days_ago(1), served_free=n))
        batch.append(stored(kitchen, user, previous, is_closed=n % 3 == 0, closed_reason="Sin gas"))
    batch.append(stored(world.kitchen, world.leader, days_ago(3), version=1, served_free=9))
    results = capture.process_reports(pending(batch))
    assert {r["status"] for r in results.values()} == {"accepted"}
    assert violations() == []  # summaries, roll-ups and reporting months against the reports
    cells = MonthlyRollup.objects.filter(month=TODAY.replace(day=1)).values_list("path", "district", "days_reported")
    assert sum(days for _path, _district, days in cells) == DailyReport.objects.filter(
        date__gte=TODAY.replace(day=1)).count()
    assert len({(path, district) for path, district, _days in cells}) == 2
    assert DailyReport.objects.get(kitchen=world.kitchen, date=days_ago(3)).served_free == 9


def test_a_bad_item_is_refused_with_its_reason_and_the_others_of_other_kitchens_are_saved(world):
    (a, leader_a), (b, leader_b) = kitchens_with_leaders(world, 2)
    report(b, days_ago(2))
    batch = [
        stored(a, leader_a, days_ago(1)),
        stored(b, leader_a, days_ago(1)),  # not her kitchen
        stored(b, leader_b, days_ago(2)),  # the server has the day: a conflict
        stored(b, leader_b, days_ago(3), served_paying=200),  # more served than prepared
        stored(a, leader_a, days_ago(2), date="ayer"),
        stored(b, leader_b, days_ago(1)),
    ]
    results = capture.process_reports(pending(batch))
    statuses = [results[i.pk]["status"] for i in batch]
    assert statuses == ["accepted", "forbidden", "conflict", "invalid", "invalid", "accepted"]
    assert "permiso" in results[batch[1].pk]["message"]
    assert "no pueden ser más que las preparadas" in " ".join(results[batch[3].pk]["errors"]["rations_prepared"])
    assert DailyReport.objects.filter(date=days_ago(1)).count() == 2
    assert violations() == []
    # A resubmission saves nothing twice: each keeps its first result.
    assert capture.process_reports(pending(batch)) == results
    assert DailyReport.objects.filter(version__gt=1).count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers are tested on PostgreSQL")
def test_two_batches_across_the_same_kitchens_in_opposite_orders_both_save():
    world = build_world()
    pairs = kitchens_with_leaders(world, 6)
    first = [stored(k, u, days_ago(1)) for k, u in pairs]
    second = [stored(k, u, days_ago(2)) for k, u in reversed(pairs)]
    results = run_at_once(lambda: capture.process_reports(pending(first)),
                          lambda: capture.process_reports(pending(second)))
    assert [kind for kind, _value in results] == ["ok", "ok"], results
    assert {r["status"] for _kind, value in results for r in value.values()} == {"accepted"}
    assert DailyReport.objects.count() == 12
    assert violations() == []
