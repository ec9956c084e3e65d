"""Monthly partitions of the growing tables on PostgreSQL (lib/partitions.py, issue 21 item 2).

On PostgreSQL the daily reports, their revisions and the audit trail are partitioned by month: a
month query reads one partition (EXPLAIN shows the pruning), a row dated in a month without a
partition is stored all the same (DEFAULT partition) and gets its own partition from the nightly
job, old months are detached to the archive schema, and the standby replicates all of it. On
SQLite the tables stay plain and every save works the same.
"""

import datetime
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from ayni.audit.models import AuditEntry
from ayni.kitchens.models import DailyReport, DailyReportRevision
from ayni.lib import partitions
from ayni.ops.integrity import partition_violations
from tests.conftest import as_scope, build_world
from tests.kitchens import TODAY, report
from tests.test_replicas import needs_replica, replayed, replica  # noqa: F401 - replica is a fixture

pytestmark = pytest.mark.django_db
on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions exist on PostgreSQL only")
THIS_MONTH = partitions.month_start(TODAY)
FAR_FUTURE = datetime.date(2062, 7, 15)
FAR_PAST = datetime.date(1998, 2, 3)


def _where(table: str, pk: int) -> str:
    """The partition a row is stored in (tableoid)."""
    with connection.cursor() as c:
        c.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return c.fetchone()[0]


def _raw_report(kitchen, day) -> DailyReport:
    """A report and its revision written as the sync's bulk path writes them, for a day that the
    form would refuse (the future) or that no partition covers."""
    r = DailyReport.objects.create(kitchen=kitchen, date=day, rations_prepared=10, served_paying=10)
    DailyReportRevision.objects.create(report=r, report_date=r.date, version=1, data={"rations_prepared": 10})
    return r


def test_a_saved_report_carries_its_day_on_its_revisions_and_the_check_agrees(world):
    r = report(world.kitchen, scope=as_scope(world.leader))
    report(world.kitchen, scope=as_scope(world.leader), version=1, rations_prepared=90, served_paying=70)
    assert {rev.report_date for rev in r.revisions.all()} == {r.date} and r.revisions.count() == 2
    assert partition_violations() == []
    if connection.vendor != "postgresql":  # PostgreSQL's composite foreign key refuses this outright
        DailyReportRevision.objects.filter(report=r).update(report_date=FAR_PAST)
        assert any("su fecha no es la de su parte" in p for p in partition_violations())


def test_sqlite_keeps_plain_tables_and_the_jobs_do_nothing(world):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite's behaviour")
    assert not any(partitions.is_partitioned(spec.table) for spec in partitions.TABLES)
    assert partitions.ensure_partitions() == [] and partitions.missing_partitions() == []
    assert partitions.detach_before(THIS_MONTH) == []


@on_postgres
def test_the_growing_tables_are_partitioned_by_month_with_this_month_and_the_next(db):
    for spec in partitions.TABLES:
        assert partitions.is_partitioned(spec.table), spec.table
        names = partitions.partitions(spec.table)
        assert partitions.partition_name(spec.table, THIS_MONTH) in names
        assert partitions.partition_name(spec.table, partitions.add_months(THIS_MONTH, 1)) in names
        assert names[f"{spec.table}_default"] == "DEFAULT"
    assert partitions.missing_partitions() == []
    with connection.cursor() as c:  # the key is in the primary key, as PostgreSQL requires
        c.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'kitchens_dailyreport_pkey'")
        assert c.fetchone()[0] == "PRIMARY KEY (id, date)"


@on_postgres
def test_a_day_with_no_partition_is_stored_and_the_nightly_job_gives_it_its_month(world):
    future, past = _raw_report(world.kitchen, FAR_FUTURE), _raw_report(world.kitchen, FAR_PAST)
    entry = AuditEntry.objects.create(action="t", object_type="t", object_id="1", object_label="t")
    AuditEntry.objects.filter(pk=entry.pk).update(at=datetime.datetime(2062, 7, 15, 12, tzinfo=datetime.UTC))
    assert _where("kitchens_dailyreport", future.pk) == "kitchens_dailyreport_default"
    assert _where("kitchens_dailyreportrevision", past.revisions.get().pk) == "kitchens_dailyreportrevision_default"

    created = partitions.ensure_partitions()  # what the nightly job does: they get partitions of their own
    assert {"kitchens_dailyreport_p206207", "kitchens_dailyreport_p199802", "kitchens_dailyreportrevision_p206207",
            "kitchens_dailyreportrevision_p199802", "audit_auditentry_p206207"} <= set(created)
    assert _where("kitchens_dailyreport", future.pk) == "kitchens_dailyreport_p206207"
    assert _where("kitchens_dailyreport", past.pk) == "kitchens_dailyreport_p199802"
    assert _where("kitchens_dailyreportrevision", past.revisions.get().pk) == "kitchens_dailyreportrevision_p199802"
    assert _where("audit_auditentry", entry.pk) == "audit_auditentry_p206207"
    assert partitions.default_rows() == dict.fromkeys((s.table for s in partitions.TABLES), 0)
    # Read back through the ORM as before, and a second run has nothing to do.
    assert DailyReport.objects.get(pk=future.pk).date == FAR_FUTURE
    assert partitions.ensure_partitions() == []


@on_postgres
def test_a_month_query_reads_only_that_months_partition(world):
    report(world.kitchen, scope=as_scope(world.leader))
    month = DailyReport.objects.filter(date__gte=THIS_MONTH, date__lt=partitions.add_months(THIS_MONTH, 1))
    plan = month.explain()
    assert partitions.partition_name("kitchens_dailyreport", THIS_MONTH) in plan
    assert "kitchens_dailyreport_default" not in plan
    assert partitions.partition_name("kitchens_dailyreport", partitions.add_months(THIS_MONTH, 1)) not in plan
    # A kitchen's day (the form's lookup) is pruned to its month too.
    plan = DailyReport.objects.filter(kitchen=world.kitchen, date=TODAY).explain()
    assert re.findall(r" on (kitchens_dailyreport_\w+)", plan) == [
        partitions.partition_name("kitchens_dailyreport", THIS_MONTH)]


@on_postgres
def test_a_prepared_month_query_is_pruned_when_it_runs(world):
    """A client that prepares its statements (psycopg after five runs, a pooler's clients) gets a
    generic plan that knows no dates: PostgreSQL prunes it when it runs, so it still reads one
    month (`bench/scale.py` measures as Django runs, with the dates in each plan)."""
    report(world.kitchen, scope=as_scope(world.leader))
    month, next_month = THIS_MONTH, partitions.add_months(THIS_MONTH, 1)
    with connection.cursor() as c:
        c.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        c.execute("PREPARE ayni_month(date, date) AS SELECT count(*) FROM kitchens_dailyreport "
                  "WHERE date >= $1 AND date < $2")
        try:
            c.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) "
                      f"EXECUTE ayni_month('{month}', '{next_month}')")
            plan = "\n".join(row[0] for row in c.fetchall())
        finally:
            c.execute("DEALLOCATE ayni_month")
    assert "Subplans Removed" in plan
    assert re.findall(r" on (kitchens_dailyreport_\w+)", plan) == [
        partitions.partition_name("kitchens_dailyreport", month)]


@on_postgres
def test_old_months_are_detached_to_the_archive_and_leave_the_live_tables(world):
    old = _raw_report(world.kitchen, FAR_PAST)
    recent = report(world.kitchen, scope=as_scope(world.leader))
    partitions.ensure_partitions()
    out = io.StringIO()
    call_command("partitions", "detach", "--before", "2000-01", "--dry-run", stdout=out)
    assert "kitchens_dailyreport_p199802" in out.getvalue() and DailyReport.objects.filter(pk=old.pk).exists()

    call_command("partitions", "detach", "--before", "2000-01", stdout=io.StringIO())
    assert not DailyReport.objects.filter(pk=old.pk).exists()
    assert not DailyReportRevision.objects.filter(report_id=old.pk).exists()
    assert DailyReport.objects.filter(pk=recent.pk).exists() and recent.revisions.count() == 1
    with connection.cursor() as c:  # the month is whole in the archive, to dump and drop
        c.execute("SELECT id FROM archive.kitchens_dailyreport_p199802")
        assert c.fetchall() == [(old.pk,)]
        c.execute("SELECT count(*) FROM archive.kitchens_dailyreportrevision_p199802")
        assert c.fetchone()[0] == 1
    with pytest.raises(CommandError, match="mes pasado o antes"):
        call_command("partitions", "detach", "--before", TODAY.strftime("%Y-%m"))


@on_postgres
def test_check_integrity_names_a_missing_month(db):
    far = datetime.date(2090, 1, 10)
    missing = partitions.missing_partitions(today=far)
    assert "kitchens_dailyreport_p209001" in missing and "audit_auditentry_p209002" in missing
    created = partitions.ensure_partitions(today=far, ahead=1, back=2)  # the demo makes its history's months
    assert {"kitchens_dailyreport_p208911", "kitchens_dailyreport_p209002", "audit_auditentry_p208912"} <= set(created)
    assert partitions.missing_partitions(today=far) == []
    assert partition_violations() == []


@needs_replica
def test_the_standby_replicates_the_partitioned_tables(replica):  # noqa: F811 - the fixture
    """Streaming replication copies the WAL of the whole cluster: partitions made by the nightly
    job and the rows in them reach the standby like any other table's."""
    w = build_world()
    r = _raw_report(w.kitchen, FAR_FUTURE)
    try:
        partitions.ensure_partitions()
        replayed()
        with connections[replica].cursor() as c:
            c.execute("SELECT tableoid::regclass::text, date FROM kitchens_dailyreport WHERE id = %s", [r.pk])
            assert c.fetchone() == ("kitchens_dailyreport_p206207", FAR_FUTURE)
            c.execute("SELECT count(*) FROM kitchens_dailyreportrevision WHERE report_id = %s", [r.pk])
            assert c.fetchone()[0] == 1
    finally:  # this test commits: the far month's partitions go, so other tests start as migrated
        with connection.cursor() as c:
            c.execute("DELETE FROM kitchens_dailyreportrevision WHERE report_date = %s", [FAR_FUTURE])
            c.execute("DELETE FROM kitchens_dailyreport WHERE date = %s", [FAR_FUTURE])
            for table in ("kitchens_dailyreportrevision", "kitchens_dailyreport"):  # referrers first
                if f"{table}_p206207" in partitions.partitions(table):
                    c.execute(f"ALTER TABLE {table} DETACH PARTITION {table}_p206207")
                    c.execute(f"DROP TABLE {table}_p206207")
