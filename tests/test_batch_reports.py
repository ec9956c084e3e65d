"""The sync's batch path saves reports exactly as the single save does: the same items applied
one by one (`save_daily_report`, `capture.inbound.submit`) and together (`save_daily_reports`,
`submit_batch`) leave the same reports, revisions, audit entries, monthly summaries, roll-ups and
submissions, and give the same per-item outcomes and messages."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from ayni.accounts.scope import Scope
from ayni.audit.models import AuditEntry
from ayni.capture import inbound as capture
from ayni.capture.models import Inbound
from ayni.kitchens import services as kitchens
from ayni.kitchens.models import DailyReport, DailyReportRevision, MonthlyRollup, MonthlySummary, month_start
from tests.conftest import as_scope
from tests.kitchens import TODAY, days_ago, report

pytestmark = pytest.mark.django_db

NORMAL = {"rations_prepared": 60, "served_paying": 40, "served_subsidised": 12, "served_free": 5,
          "price_per_ration": Decimal("3.5"), "menu": "Arroz con lentejas", "cooks": "Rosa", "cooks_count": 2,
          "cash_received": Decimal("140")}


def closed_month() -> datetime.date:
    """Two months back: closed by the kitchen, whatever day of the month today is."""
    return month_start(month_start(TODAY) - datetime.timedelta(days=40))


def history(w) -> None:
    """What the server holds before the items arrive: a few days, and a closed month."""
    for n in (20, 21, 22):
        report(w.kitchen, days_ago(n), rations_prepared=60, served_paying=40)
    report(w.kitchen, closed_month() + datetime.timedelta(days=3))
    kitchens.close_month(scope=as_scope(w.leader), kitchen=w.kitchen, month=closed_month())
    report(w.kitchen, days_ago(5), served_free=7)  # version 1, to be edited and to conflict


def items() -> list[kitchens.ReportItem]:
    def item(day, version=0, confirm=False, **over):
        return kitchens.ReportItem(date=day, version=version, confirm=confirm, fields={**NORMAL, **over})

    return [
        item(days_ago(1)),
        item(days_ago(1), version=1, served_free=9),  # the same day again, on the version just saved
        item(days_ago(1), version=1, served_free=10),  # an outdated copy of it: conflict
        item(days_ago(2), is_closed=True, closed_reason="Sin gas"),
        item(days_ago(3), is_closed=True, closed_reason=""),  # closed without a reason
        item(days_ago(4), served_paying=70),  # served more than prepared
        item(days_ago(5), version=1, menu="Tallarines"),  # edits the day on the server
        item(days_ago(5), version=1, menu="Guiso"),  # outdated: conflict with the edit above
        item(TODAY + datetime.timedelta(days=1)),  # future
        item(closed_month() + datetime.timedelta(days=5)),  # closed month
        item(days_ago(6), rations_prepared=200, served_paying=150),  # far above the usual 60: confirm
        item(days_ago(6), rations_prepared=200, served_paying=150, confirm=True),
        item(days_ago(6), version=1, rations_prepared=190, served_paying=150, confirm=True),
        item(days_ago(7), rations_prepared=1500, served_paying=1400),  # absurd, not confirmed
        item(days_ago(8), price_per_ration=Decimal("45")),  # absurd price
        item(days_ago(9)),
        item(days_ago(9), version=1, cash_received=Decimal("0.5")),
        item(TODAY),
    ]


def outcome(result) -> tuple:
    if isinstance(result, kitchens.ReportConflict):
        return ("conflict", result.messages)
    if isinstance(result, kitchens.NeedsConfirmation):
        return ("confirm", result.messages)
    if isinstance(result, ValidationError):
        return ("invalid", result.message_dict if hasattr(result, "error_dict") else result.messages)
    return ("saved", result.date, result.version)


def database(kitchen) -> dict:
    """Everything the saves touch, ids replaced by the report's day (ids differ between runs)."""
    day_of = dict(DailyReport.objects.filter(kitchen=kitchen).values_list("pk", "date"))

    def data(d):
        return {k: (day_of[v] if k == "id" else v) for k, v in d.items()}

    rows = [{f: getattr(r, f) for f in (*kitchens.REPORT_FIELDS, "date", "version", "updated_by_id")}
            for r in DailyReport.objects.filter(kitchen=kitchen).order_by("date")]
    revisions = [(day_of[r.report_id], r.version, data(r.data), r.saved_by_id) for r in
                 DailyReportRevision.objects.filter(report__kitchen=kitchen).order_by("report__date", "version")]
    audit = [(e.action, e.object_type, day_of.get(int(e.object_id)), e.object_label, e.org_path, e.actor_id,
              data(e.before), data(e.after))
             for e in AuditEntry.objects.filter(action="kitchen.report", org_path=kitchen.path).order_by("id")]
    summaries = [(s.month, s.as_totals()) for s in MonthlySummary.objects.filter(kitchen=kitchen).order_by("month")]
    rollups = list(MonthlyRollup.objects.order_by("path", "district", "month").values())
    for row in rollups:
        row.pop("id")
    return {"reports": rows, "revisions": revisions, "audit": audit, "summaries": summaries, "rollups": rollups}


def both_ways(one_by_one, together):
    """Run each way inside a savepoint rolled back afterwards: (what it returned, the database)."""
    runs = []
    for way in (one_by_one, together):
        savepoint = transaction.savepoint()
        runs.append(way())
        transaction.savepoint_rollback(savepoint)
    return runs


def test_the_batch_saves_what_the_single_save_saves_item_by_item(world):
    history(world)

    def one_by_one():
        outcomes = []
        for item in items():
            try:
                outcomes.append(outcome(kitchens.save_daily_report(
                    scope=as_scope(world.leader), kitchen=world.kitchen, date=item.date, version=item.version,
                    confirm=item.confirm, **item.fields)))
            except ValidationError as exc:
                outcomes.append(outcome(exc))
        return outcomes, database(world.kitchen)

    def together():
        saved = kitchens.save_daily_reports(scope=as_scope(world.leader), kitchen=world.kitchen, items=items())
        return [outcome(o) for o in saved], database(world.kitchen)

    (single, single_db), (bulk, bulk_db) = both_ways(one_by_one, together)
    assert bulk == single
    for table in single_db:
        assert bulk_db[table] == single_db[table], table
    kinds = [o[0] for o in single]
    assert kinds.count("saved") >= 8 and {"conflict", "confirm", "invalid"} <= set(kinds)


def test_a_kitchen_out_of_her_scope_refuses_the_whole_batch(world):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    with pytest.raises((PermissionDenied, Http404)):
        kitchens.save_daily_reports(scope=Scope.for_user(world.leader_other), kitchen=world.kitchen, items=items()[:2])
    assert not DailyReport.objects.filter(kitchen=world.kitchen).exists()


def api_items() -> list[tuple[str, str, dict]]:
    def report_item(cid, day, **over):
        data = {"date": day.isoformat(), "version": 0, "rations_prepared": 60, "served_paying": 40,
                "served_subsidised": 12, "served_free": 5, "price_per_ration": "3.50", "menu": "Sopa"}
        return (Inbound.Kind.REPORT, cid, {**data, **over})

    return [
        report_item("a", days_ago(1)),
        report_item("b", days_ago(1), version=1, served_free=8),
        report_item("a", days_ago(1)),  # repeated in the batch: the first result, nothing saved twice
        report_item("b", days_ago(1), served_free=9),  # the same id, different content
        report_item("c", days_ago(5)),  # the server has this day: conflict, with its copy
        report_item("d", days_ago(2), rations_prepared="muchas"),
        report_item("e", days_ago(2), date="ayer"),
        report_item("f", closed_month() + datetime.timedelta(days=2)),
        report_item("g", days_ago(3), rations_prepared=900, served_paying=880),
        (Inbound.Kind.MOVEMENT, "h", {"date": days_ago(1).isoformat(), "item": "arroz", "kind": "state",
                                      "quantity": "25"}),
        report_item("i", TODAY + datetime.timedelta(days=2)),
        report_item("j", days_ago(4), is_closed=True, closed_reason="Feriado"),
    ]


def submissions() -> list[tuple]:
    return [(i.client_id, i.kind, i.status, i.error, i.attempts, i.payload,
             {k: v for k, v in i.result.items() if k != "id"}) for i in Inbound.objects.order_by("client_id")]


def test_an_api_batch_gives_the_results_of_its_items_sent_one_by_one(world):
    history(world)

    def one_by_one():
        results = [capture.submit(channel="api", scope=as_scope(world.leader), kitchen=world.kitchen, kind=kind,
                                  client_id=cid, payload=payload) for kind, cid, payload in api_items()]
        return results, submissions(), database(world.kitchen)

    def together():
        results = capture.submit_batch(channel="api", scope=as_scope(world.leader), kitchen=world.kitchen,
                                       items=api_items())
        return results, submissions(), database(world.kitchen)

    (single, single_rows, single_db), (bulk, bulk_rows, bulk_db) = both_ways(one_by_one, together)
    strip = [{k: v for k, v in r.items() if k != "id"} for r in single]
    assert [{k: v for k, v in r.items() if k != "id"} for r in bulk] == strip
    assert bulk_rows == single_rows
    assert bulk_db == single_db
    assert [r["status"] for r in strip] == [
        "accepted", "accepted", "accepted", "id_reused", "conflict", "invalid", "invalid", "invalid",
        "needs_confirmation", "accepted", "invalid", "accepted"]
    assert bulk[2] == bulk[0]


def test_a_batch_sent_again_gives_the_first_results_and_saves_nothing_twice(world):
    first = capture.submit_batch(channel="api", scope=as_scope(world.leader), kitchen=world.kitchen, items=api_items())
    again = capture.submit_batch(channel="api", scope=as_scope(world.leader), kitchen=world.kitchen, items=api_items())
    assert again == first
    assert DailyReport.objects.get(kitchen=world.kitchen, date=days_ago(1)).version == 2
    assert Inbound.objects.count() == 10  # twelve items, one repeated, one reusing an id


def test_stored_reports_left_unprocessed_by_a_crash_are_saved_by_the_resend(world):
    items_ = api_items()[:2]
    capture.store_batch(channel="api", user=world.leader, kitchen=world.kitchen, items=items_)  # then the crash
    assert set(Inbound.objects.values_list("status", flat=True)) == {Inbound.Status.RECEIVED}
    results = capture.submit_batch(channel="api", scope=as_scope(world.leader), kitchen=world.kitchen, items=items_)
    assert [r["status"] for r in results] == ["accepted", "accepted"]
    assert list(Inbound.objects.values_list("attempts", flat=True)) == [1, 1]


def test_when_the_batch_path_breaks_each_report_is_saved_on_its_own(world, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("fallo de prueba")

    monkeypatch.setattr(capture, "save_daily_reports", broken)
    results = capture.submit_batch(channel="api", scope=as_scope(world.leader), kitchen=world.kitchen,
                                   items=api_items()[:2])
    assert [r["status"] for r in results] == ["accepted", "accepted"]
    assert DailyReport.objects.get(kitchen=world.kitchen, date=days_ago(1)).served_free == 8
    assert "one by one" in caplog.text


def test_a_check_the_database_refuses_sends_the_batch_one_by_one(world):
    # Negative money passes no form, but a service caller could try: the database's check
    # refuses the bulk write and each report gets the single save's own answer.
    good = kitchens.ReportItem(date=days_ago(1), version=0, fields=dict(NORMAL))
    bad = kitchens.ReportItem(date=days_ago(2), version=0, fields={**NORMAL, "cash_received": Decimal("-1")})
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        kitchens.save_daily_reports(scope=as_scope(world.leader), kitchen=world.kitchen, items=[good, bad])
    assert not DailyReport.objects.exists()
