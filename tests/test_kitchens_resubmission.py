"""The same report sent twice — a second tap, a copy kept on the phone and sent again — is the
same report, never "someone else saved this day": on the single save, the sync batch and the
API alike, values compared as numbers (100.00 is 100), while a real difference still is a
conflict."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from ayni.kitchens.models import DailyReport, DailyReportRevision
from ayni.kitchens.services import ReportConflict, ReportItem, save_daily_report, save_daily_reports
from tests.capture_helpers import make_token
from tests.conftest import as_scope
from tests.kitchens import TODAY

pytestmark = pytest.mark.django_db

# As the form on the phone sends them: typed, not as the database gives them back.
TYPED = {"rations_prepared": 60, "served_paying": 40, "served_subsidised": 12, "served_free": 5,
         "price_per_ration": Decimal("3.5"), "cash_received": Decimal("100"), "menu": "Arroz con lentejas ",
         "cooks": "Rosa", "cooks_count": 2, "notes": "", "is_closed": False, "closed_reason": ""}


def test_an_identical_resubmission_on_an_old_version_is_the_same_report(world):
    first = save_daily_report(scope=as_scope(world.leader), kitchen=world.kitchen, date=TODAY, version=0, **TYPED)
    again = save_daily_report(scope=as_scope(world.leader), kitchen=world.kitchen, date=TODAY, version=0, **TYPED)
    assert again.pk == first.pk and again.version == 1
    assert DailyReportRevision.objects.count() == 1  # nothing new to keep


def test_a_real_difference_on_an_old_version_is_still_a_conflict(world):
    save_daily_report(scope=as_scope(world.leader), kitchen=world.kitchen, date=TODAY, version=0, **TYPED)
    with pytest.raises(ReportConflict):
        save_daily_report(scope=as_scope(world.leader), kitchen=world.kitchen, date=TODAY, version=0,
                          **{**TYPED, "served_free": 6})


def test_a_closed_day_sent_twice_with_its_numbers_left_blank_is_the_same_report(world):
    closed = {**TYPED, **dict.fromkeys(("rations_prepared", "served_paying", "served_subsidised", "served_free",
                                        "price_per_ration", "cash_received", "cooks_count")),
              "is_closed": True, "closed_reason": "Sin gas"}
    save_daily_report(scope=as_scope(world.leader), kitchen=world.kitchen, date=TODAY, version=0, **closed)
    again = save_daily_report(scope=as_scope(world.leader), kitchen=world.kitchen, date=TODAY, version=0, **closed)
    assert again.version == 1 and again.is_closed and again.rations_prepared == 0


def test_two_copies_in_one_sync_batch_are_both_accepted_as_one_report(world):
    items = [ReportItem(date=TODAY, version=0, fields=dict(TYPED)) for _copy in range(2)]
    outcomes = save_daily_reports(scope=as_scope(world.leader), kitchen=world.kitchen, items=items)
    assert [type(o) for o in outcomes] == [DailyReport, DailyReport]
    assert outcomes[0].pk == outcomes[1].pk and outcomes[1].version == 1
    assert DailyReportRevision.objects.count() == 1


def test_the_outbox_sending_the_same_report_twice_gets_two_acceptances_and_one_version(client, world):
    key = make_token(world.leader)
    data = {"date": TODAY.isoformat(), "version": "0", "rations_prepared": "60", "served_paying": "40",
            "served_subsidised": "12", "served_free": "5", "price_per_ration": "3.5", "cash_received": "100",
            "cooks_count": "2"}
    url = reverse("api-v1:batch", kwargs={"kitchen_id": world.kitchen.pk})
    for copies in (["a", "b"], ["c"]):  # in one batch, then once more in the next one
        body = {"items": [{"type": "report", "client_id": cid, "data": data} for cid in copies]}
        results = client.post(url, json.dumps(body), content_type="application/json",
                              HTTP_AUTHORIZATION=f"Bearer {key}").json()["results"]
        assert [r["status"] for r in results] == ["accepted"] * len(copies), results
    saved = DailyReport.objects.get(kitchen=world.kitchen, date=TODAY)
    assert saved.version == 1 and saved.cash_received == Decimal("100.00")
