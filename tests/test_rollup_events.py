"""The roll-ups follow organisation moves through the organisation services' signals, never
through the audit trail: what the audit records, or how its rows are written, moves no figure."""

from decimal import Decimal

import pytest

from ayni.audit.models import AuditEntry
from ayni.geo.models import District
from ayni.kitchens import integrity
from ayni.orgs import services as org_services
from ayni.orgs.services import move_organisation, update_organisation
from ayni.orgs.signals import district_changed, subtree_moved
from ayni.rolls import integrity as rolls_integrity
from tests.conftest import as_scope
from tests.evidence_helpers import add_activity, subtree_totals
from tests.kitchens import TODAY, days_ago, item

pytestmark = pytest.mark.django_db

FIRST = TODAY.replace(day=1)


def all_violations() -> list[str]:
    return (integrity.violations() + rolls_integrity.flow_violations() + rolls_integrity.repeated_violations()
            + rolls_integrity.people_fed_violations())


@pytest.fixture
def active(world):
    add_activity(world, days=5)
    return world


def test_a_move_keeps_every_rollup_right_whatever_the_audit_action_is_called(active, monkeypatch):
    w = active
    real_record = org_services.record

    def renamed(**kwargs):
        kwargs["action"] = kwargs["action"].replace("org.", "organisation.")
        return real_record(**kwargs)

    monkeypatch.setattr(org_services, "record", renamed)
    move_organisation(scope=as_scope(None), organisation=w.ves, new_parent=w.cusco)
    update_organisation(scope=as_scope(None), organisation=w.kitchen, district=District.objects.get(code="150143"))
    assert not AuditEntry.objects.filter(action__in=["org.move", "org.update"]).exists()
    assert subtree_totals(w.lima, FIRST, FIRST)["days_reported"] == 0
    assert subtree_totals(w.cusco, FIRST, FIRST)["days_reported"] > 0
    assert all_violations() == []


def test_audit_entries_written_in_bulk_move_nothing(active):
    w = active
    before = subtree_totals(w.lima, FIRST, FIRST)
    AuditEntry.objects.bulk_create([
        AuditEntry(action="org.move", object_type="organisation", object_id=str(w.ves.pk), org_path=w.ves.path,
                   before={"path": w.ves.path}, after={"path": w.cusco.path + "zzzz"}),
        AuditEntry(action="org.update", object_type="organisation", object_id=str(w.kitchen.pk),
                   org_path=w.kitchen.path, before={"district": "150142"}, after={"district": "150143"}),
    ])
    AuditEntry.objects.create(action="org.move", object_type="organisation", object_id=str(w.ves.pk),
                              org_path=w.ves.path, before={"path": w.ves.path}, after={"path": w.cusco.path + "zz"})
    assert subtree_totals(w.lima, FIRST, FIRST) == before
    assert all_violations() == []


def test_the_services_announce_a_move_and_a_new_district_once_each(world):
    heard = []

    def listen(signal_name):
        def receiver(sender, **kwargs):
            heard.append((signal_name, {k: v for k, v in kwargs.items() if k != "signal"}))
        return receiver

    on_move, on_district = listen("moved"), listen("district")
    subtree_moved.connect(on_move)
    district_changed.connect(on_district)
    try:
        old_path = world.ves.path
        moved = move_organisation(scope=as_scope(None), organisation=world.ves, new_parent=world.cusco)
        update_organisation(scope=as_scope(None), organisation=world.kitchen, name="Comedor Santa Rosa de Lima")
        update_organisation(scope=as_scope(None), organisation=world.kitchen,
                            district=District.objects.get(code="150143"))
    finally:
        subtree_moved.disconnect(on_move)
        district_changed.disconnect(on_district)
    assert [name for name, _kw in heard] == ["moved", "district"]
    assert heard[0][1]["old_path"] == old_path and heard[0][1]["new_path"] == moved.path
    assert (heard[1][1]["old_district"], heard[1][1]["new_district"]) == ("150142", "150143")


def test_deliveries_follow_a_moved_subtree_and_a_new_district(world):
    from ayni.kitchens import services

    schedule = services.create_schedule(scope=as_scope(None), kitchen=world.kitchen,
                                        municipality=world.kitchen.district,
                                        item=item("arroz"), quantity=Decimal(50), period_start=days_ago(30),
                                        period_end=days_ago(1), due_on=days_ago(9))
    services.record_receipt(scope=as_scope(None), schedule=schedule, received_on=days_ago(3), quantity=Decimal(20))
    move_organisation(scope=as_scope(None), organisation=world.ves, new_parent=world.cusco)
    assert integrity.delivery_rollup_violations() == []
    update_organisation(scope=as_scope(None), organisation=world.kitchen, district=District.objects.get(code="150143"))
    assert integrity.delivery_rollup_violations() == []
    move_organisation(scope=as_scope(None), organisation=world.kitchen, new_parent=world.lima)
    assert all_violations() == []
