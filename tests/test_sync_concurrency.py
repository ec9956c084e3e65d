"""A phone's resend racing its first send, on PostgreSQL (SQLite serialises writers with BEGIN
IMMEDIATE): the same batch submitted several times at once is stored once and saved once, and
every copy gets the same results."""

import pytest
from django.db import connection

from ayni.capture.inbound import submit_batch
from ayni.capture.models import Inbound
from ayni.kitchens.integrity import violations
from ayni.kitchens.models import DailyReport, DailyReportRevision
from tests.conftest import as_scope, build_world
from tests.kitchens import days_ago
from tests.test_kitchens_concurrency import run_at_once

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers are tested on PostgreSQL"),
]


def test_the_same_batch_sent_three_times_at_once_is_saved_once():
    world = build_world()
    items = [("report", f"r-{n}", {"date": days_ago(n + 1).isoformat(), "version": 0, "rations_prepared": 80,
                                   "served_paying": 50, "served_subsidised": 20, "served_free": 5})
             for n in range(30)]

    def send():
        return submit_batch(channel="api", scope=as_scope(world.leader), kitchen=world.kitchen, items=items)

    results = run_at_once(send, send, send)
    assert [kind for kind, _value in results] == ["ok"] * 3, results
    first = results[0][1]
    assert all(value == first for _kind, value in results)
    assert [r["status"] for r in first] == ["accepted"] * 30
    assert Inbound.objects.count() == 30
    assert DailyReport.objects.filter(kitchen=world.kitchen).count() == 30
    assert set(DailyReport.objects.values_list("version", flat=True)) == {1}
    assert DailyReportRevision.objects.count() == 30
    assert violations() == []


def test_the_same_text_posted_three_times_at_once_under_new_ids_is_recorded_once(settings, monkeypatch):
    from ayni.capture import gateways
    from ayni.capture.inbound import receive_text
    from ayni.kitchens.models import StockMovement

    settings.AYNI_SMS_GATEWAY_URL = "https://gateway.example/message"
    monkeypatch.setattr(gateways, "_post", lambda url, data, headers: None)  # the network edge
    world = build_world()

    def post(ident):
        return lambda: receive_text(gateway="android", channel="sms", sender="+51912345678", text="S ARROZ 50",
                                    external_id=ident).status

    results = run_at_once(post("x-1"), post("x-2"), post("x-3"))
    assert sorted(value for _kind, value in results) == ["accepted", "duplicate", "duplicate"], results
    assert StockMovement.objects.filter(kitchen=world.kitchen).count() == 1


def test_one_android_id_posted_at_once_for_two_texts_and_their_resends_stores_each_text_once(settings, monkeypatch):
    # A reinstalled app's id "x-7" names a new text while the gateway still resends the old one.
    from ayni.capture import gateways
    from ayni.capture.inbound import receive_text
    from ayni.kitchens.models import StockMovement
    from ayni.ops.integrity import message_key_violations

    settings.AYNI_SMS_GATEWAY_URL = "https://gateway.example/message"
    monkeypatch.setattr(gateways, "_post", lambda url, data, headers: None)  # the network edge
    world = build_world()

    def post(text):
        return lambda: receive_text(gateway="android", channel="sms", sender="+51912345678", text=text,
                                    external_id="x-7").pk

    results = run_at_once(post("S ARROZ 50"), post("U ACEITE 3"), post("S ARROZ 50"), post("U ACEITE 3"))
    assert [kind for kind, _value in results] == ["ok"] * 4, results
    rice, oil, rice_again, oil_again = (value for _kind, value in results)
    assert rice == rice_again and oil == oil_again and rice != oil
    assert Inbound.objects.count() == 2
    assert set(Inbound.objects.values_list("status", flat=True)) == {Inbound.Status.ACCEPTED}
    assert StockMovement.objects.filter(kitchen=world.kitchen).count() == 2
    assert message_key_violations() == [] and violations() == []
