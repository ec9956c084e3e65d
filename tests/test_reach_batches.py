"""A new day's report from ODK Collect is answered 201 once stored (OpenRosa asks no more) and
saved a moment later with others, in one batch through capture's bulk path
(`capture.inbound.process_reports` → `kitchens.services.save_daily_reports`), by the task worker
(`reach.tasks.save_submissions`). Nothing is lost, nothing saved twice, and a report refused in the
batch is shown to the coordinator and texted to the sender in her language."""

import pytest

from ayni.capture import selectors
from ayni.capture.models import Inbound, OutboundMessage
from ayni.kitchens.models import DailyReport
from ayni.reach import services
from tests.conftest import as_scope
from tests.kitchens import TODAY, days_ago, report
from tests.reach_helpers import instance, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(monkeypatch):
    """The worker has not run yet: reports stay stored and answered."""
    monkeypatch.setattr(services, "schedule_saving", lambda: None)


def daily(world, day=TODAY, **values):
    fields = {
        "kitchen": world.kitchen.pk,
        "date": day.isoformat(),
        "is_closed": "no",
        "rations_prepared": 90,
        "served_paying": 60,
        "served_subsidised": 20,
        "served_free": 10,
        "cooks_count": 2,
    }
    return instance("ayni_parte_diario", **{**fields, **values})


def test_a_new_report_is_answered_once_stored_and_saved_by_the_batch(client, world, held):
    xmls = [daily(world, days_ago(n)) for n in range(1, 4)]
    for xml in xmls:
        assert submit(client, xml).status_code == 201
    assert Inbound.objects.filter(status=Inbound.Status.RECEIVED).count() == 3 and not DailyReport.objects.exists()
    assert submit(client, xmls[0]).status_code == 201 and Inbound.objects.count() == 3  # resent while waiting
    assert services.save_pending() == 3
    assert DailyReport.objects.filter(kitchen=world.kitchen).count() == 3
    assert set(Inbound.objects.values_list("status", flat=True)) == {Inbound.Status.ACCEPTED}
    assert services.save_pending() == 0  # settled once
    assert submit(client, xmls[0]).status_code == 201 and DailyReport.objects.filter(version=2).count() == 0


def test_a_day_already_reported_is_not_deferred_and_answers_its_conflict_at_once(client, world, held):
    report(world.kitchen, TODAY)
    response = submit(client, daily(world))
    assert response.status_code == 409 and Inbound.objects.get().status == Inbound.Status.CONFLICT


def test_a_report_refused_in_the_batch_is_shown_to_the_coordinator_and_texted_to_her(client, world, held):
    assert submit(client, daily(world)).status_code == 201
    report(world.kitchen, TODAY)  # saved on the web before the batch ran
    services.save_pending()
    stored = Inbound.objects.get()
    assert stored.status == Inbound.Status.CONFLICT and stored.error
    assert stored in selectors.recent_trouble(as_scope(world.coordinator))
    text = OutboundMessage.objects.get(inbound=stored)
    assert text.to == world.leader.phone and TODAY.isoformat() in text.body and "no se guardó" in text.body


def test_check_integrity_names_reports_left_waiting_when_the_worker_does_not_run(client, world, held):
    import datetime

    from ayni.reach.integrity import waiting_violations

    assert submit(client, daily(world)).status_code == 201
    assert waiting_violations() == []
    Inbound.objects.update(received_at=Inbound.objects.get().received_at - datetime.timedelta(hours=2))
    assert "siguen sin guardarse" in waiting_violations()[0]
    services.save_pending()
    assert waiting_violations() == []
