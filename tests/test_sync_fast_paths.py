"""The sync's shortcuts (issue 22 item 2) give what the ORM and the forms give: rows written by
`lib.db.insert_returning` read back as `bulk_create`'s do, the report's model checks remembered
per value refuse what `full_clean` refuses with its messages, and the report form's remembered
values clean as the form does — for a value seen before, one never seen, and a refused one."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ayni.accounts.scope import Scope
from ayni.capture.models import Channel, Inbound, content_hash
from ayni.kitchens import services
from ayni.kitchens.forms import DailyReportForm
from ayni.kitchens.models import DailyReport
from ayni.lib.db import insert_returning
from ayni.lib.forms import clean_data
from tests.kitchens import days_ago, report

pytestmark = pytest.mark.django_db

FIELDS = [f.attname for f in DailyReport._meta.concrete_fields if f.attname not in ("id", "created_at", "updated_at")]


def _row(obj):
    return {name: getattr(obj, name) for name in FIELDS}


def test_insert_returning_writes_and_reads_back_what_bulk_create_does(world):
    def made(day, **over):
        return DailyReport(kitchen=world.kitchen, date=day, rations_prepared=90, served_paying=60,
                           price_per_ration=Decimal("3.5"), cash_received=Decimal("210.10"), menu="Sopa",
                           updated_by=world.leader, version=1, **over)

    fast = [made(days_ago(n), served_free=n) for n in (1, 2, 3)]
    slow = [made(days_ago(n), served_free=n) for n in (4, 5, 6)]
    insert_returning(fast)
    DailyReport.objects.bulk_create(slow)
    assert all(r.pk and not r._state.adding for r in fast)
    fresh = {r.pk: r for r in DailyReport.objects.filter(pk__in=[r.pk for r in fast + slow])}
    for mine, theirs in zip(fast, slow, strict=True):
        got, want = _row(fresh[mine.pk]), _row(fresh[theirs.pk])
        assert {k: v for k, v in got.items() if k not in ("date", "served_free")} == \
            {k: v for k, v in want.items() if k not in ("date", "served_free")}
        assert (got["date"], got["served_free"]) == (mine.date, mine.served_free)
        assert fresh[mine.pk].created_at is not None and fresh[mine.pk].created_at == mine.created_at

    payloads = [{"date": "2026-01-02", "menu": "Ají de gallina", "n": 1}, {"nested": {"a": [1, 2]}}]
    inbounds = [Inbound(channel=Channel.API, kind=Inbound.Kind.REPORT, payload=p, payload_hash=content_hash(p),
                        user=world.leader, kitchen=world.kitchen, client_id=f"c{n}") for n, p in enumerate(payloads)]
    insert_returning(inbounds)
    assert [i.payload for i in Inbound.objects.filter(pk__in=[i.pk for i in inbounds]).order_by("pk")] == payloads


@pytest.mark.parametrize("bad, field", [
    ({"menu": "x" * 201}, "menu"),
    ({"closed_reason": "y" * 121, "is_closed": True}, "closed_reason"),
    ({"price_per_ration": Decimal("12345678901.00")}, "price_per_ration"),
])
def test_a_value_the_model_refuses_is_refused_with_its_message_even_after_good_ones(world, bad, field):
    report(world.kitchen, days_ago(3))  # remembered: the usual values
    with pytest.raises(ValidationError) as caught:
        report(world.kitchen, days_ago(2), confirm=True, **bad)  # past the question about unusual numbers
    expected = DailyReport(kitchen=world.kitchen, date=days_ago(2), **bad)
    with pytest.raises(ValidationError) as model:
        expected.full_clean(exclude=["kitchen", "updated_by"], validate_unique=False, validate_constraints=False)
    assert caught.value.message_dict[field] == model.value.message_dict[field]
    assert not DailyReport.objects.filter(date=days_ago(2)).exists()
    report(world.kitchen, days_ago(1))  # and a good one after it still saves
    assert services._VALID  # the shortcut was taken


def test_the_report_forms_remembered_values_clean_as_the_form_does():
    memo = {}
    good = {"rations_prepared": "90", "served_paying": 60, "price_per_ration": "3.50", "menu": "  Sopa ",
            "version": 0, "is_closed": False}
    assert clean_data(DailyReportForm, good, memo=memo) == clean_data(DailyReportForm, good)
    assert memo
    again = clean_data(DailyReportForm, good, memo=memo)
    assert again == clean_data(DailyReportForm, good)
    assert again["menu"] == "Sopa" and again["price_per_ration"] == Decimal("3.50")
    for bad in ({**good, "served_paying": -1}, {**good, "price_per_ration": "3.555"}, {**good, "version": "x"}):
        with pytest.raises(ValidationError) as remembered:
            clean_data(DailyReportForm, bad, memo=memo)
        with pytest.raises(ValidationError) as plain:
            clean_data(DailyReportForm, bad)
        assert remembered.value.message_dict == plain.value.message_dict


def test_a_batch_of_reports_leaves_the_same_rows_as_single_saves(world):
    """The batch through the shortcuts and the same days saved one by one store the same numbers."""
    scope = Scope.for_user(world.leader)
    items = [services.ReportItem(date=days_ago(n), version=0, fields={
        "rations_prepared": 80 + n, "served_paying": 50, "served_subsidised": 10, "served_free": n % 3,
        "price_per_ration": Decimal("3.50"), "cash_received": Decimal(175), "menu": "Lentejas", "cooks": "",
        "cooks_count": 2, "is_closed": False, "closed_reason": "", "notes": ""}) for n in range(1, 8)]
    outcomes = services.save_reports([(scope, world.kitchen, i) for i in items])
    assert all(isinstance(o, DailyReport) for o in outcomes)
    stored = {r.date: r for r in DailyReport.objects.filter(kitchen=world.kitchen)}
    assert len(stored) == 7
    for item in items:
        row = stored[item.date]
        assert row.version == 1 and row.cash_received == Decimal("175.00")
        assert row.revisions.get().data["rations_prepared"] == item.fields["rations_prepared"]


def test_a_phones_batch_through_the_api_costs_a_fixed_number_of_statements(client, world):
    """A phone's 50 reports of one kitchen over two months (`bench/sync.py`'s batch), through
    `/api/v1/kitchens/<id>/batch`: the raw submissions, the reports, their revisions and audit
    entries, the month locks and the roll-ups, in a fixed number of statements (31 before the
    revisions and audit entries went as columns and the month locks in two statements; on
    PostgreSQL every write of many rows is one statement of arrays, not one per row), and the
    audit entries name what `audit.services.entry` names."""
    import json

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from ayni.audit.models import AuditEntry
    from ayni.audit.services import entry
    from ayni.kitchens.integrity import violations
    from ayni.kitchens.models import DailyReportRevision
    from tests.capture_helpers import make_token

    key = make_token(world.leader)
    items = [{"type": "report", "client_id": f"c-{n}", "data": {
        "date": days_ago(n).isoformat(), "version": 0, "rations_prepared": 90, "served_paying": 60,
        "served_subsidised": 20, "served_free": 5 + n % 3, "price_per_ration": "3.50", "menu": "Arroz"}}
        for n in range(1, 51)]
    url = reverse("api-v1:batch", kwargs={"kitchen_id": world.kitchen.pk})

    def send():
        return client.post(url, json.dumps({"items": items}), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {key}").json()["results"]

    with CaptureQueriesContext(connection) as queries:
        first = send()
    assert [r["status"] for r in first] == ["accepted"] * 50
    assert len(queries) <= (29 if connection.vendor == "postgresql" else 27), len(queries)  # 32 and 31 before
    assert send() == first  # the resend after a lost answer: the stored results, nothing twice
    assert DailyReport.objects.filter(kitchen=world.kitchen).count() == 50
    assert DailyReportRevision.objects.filter(report__kitchen=world.kitchen).count() == 50
    saved = DailyReport.objects.filter(kitchen=world.kitchen).order_by("date").first()
    audit = AuditEntry.objects.get(action="kitchen.report", object_id=str(saved.pk))
    expected = entry(scope=Scope.for_user(world.leader), action="kitchen.report", obj=saved,
                     org_path=world.kitchen.path, after=audit.after)
    assert [getattr(audit, f) for f in ("actor_id", "reason", "object_type", "object_label", "org_path", "before")] \
        == [getattr(expected, f) for f in ("actor_id", "reason", "object_type", "object_label", "org_path", "before")]
    assert audit.after == saved.revisions.get().data and audit.after["served_free"] == saved.served_free
    assert violations() == []
