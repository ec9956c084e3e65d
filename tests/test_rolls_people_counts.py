"""People fed, from the roll-up (`rolls.counts`): whatever the roll writes — registering, editing
the start, leaving, coming back, moving to another kitchen, merging duplicates, importing a
list, kitchens moving to another federation or district — the count for any range of months
and any selection (national, department, province, district, federation, a coordinator's
scope) equals today's direct count (each person once, from her entries), and
`ayni check-integrity` finds nothing; a drifted row is named."""

import datetime
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ayni.accounts.scope import Scope
from ayni.evidence import selectors
from ayni.geo.models import District
from ayni.orgs.services import move_organisation, update_organisation
from ayni.people.models import Person
from ayni.rolls import integrity
from ayni.rolls.imports import apply_import, upload_import
from ayni.rolls.models import ExitReason, RepeatedPersonEntry, RollEntry, RollFlow
from ayni.rolls.services import exit_entry, merge_people, register_entry, update_entry
from tests.conftest import as_scope
from tests.kitchens import TODAY
from tests.rolls_helpers import cat

pytestmark = pytest.mark.django_db

MONTHS = [TODAY.replace(day=1)]
for _i in range(5):
    MONTHS.insert(0, (MONTHS[0] - datetime.timedelta(days=1)).replace(day=1))
# (who, organisation, place): every way a dashboard selects kitchens.
SELECTIONS = [
    ("national", None, None), ("national", "lima", None), ("national", "cusco", None), ("national", None, "15"),
    ("national", None, "1501"), ("national", None, "150142"), ("national", None, "08"), ("coordinator", None, None),
    ("coordinator", None, "080108"), ("platform", None, "150143"), ("national", "ves", None),
]


def kitchens(w):
    return [w.kitchen, w.olla, w.kitchen_other]


def new_person(w, kitchen, n, since):
    return register_entry(scope=as_scope(None), kitchen=kitchen, category=cat("adulto-mayor"), since=since,
                          given_names=f"Persona {n}", paternal_surname="Quispe", maternal_surname="Mamani",
                          birth_date=datetime.date(1950, 1, 1), dni=f"{40000000 + n}")


def assert_counts_equal_the_direct_count(w):
    assert integrity.violations() == []
    for who, org, place in SELECTIONS:
        scope = Scope.for_user(getattr(w, who))
        org = getattr(w, org) if org else None
        if org is not None:
            org.refresh_from_db()
        for i, first in enumerate(MONTHS):
            for last in MONTHS[i:]:
                sel = selectors.Selection(scope=scope, org=org, place=selectors.get_place(place) if place else None,
                                          first=first, last=last)
                assert sel.uses_rollup == (org is None or org != w.ves)
                assert selectors.people_fed(sel) == selectors.people_fed_from_entries(sel), (who, org, place, first,
                                                                                             last)


def people_on_rolls():
    return list(Person.objects.filter(roll_entries__isnull=False).distinct().order_by("pk"))


def run(w, op, n):
    ks = kitchens(w)
    for k in ks:
        k.refresh_from_db()  # a move rewrote its path
    match op:
        case ("register", k, ago):
            new_person(w, ks[k], n, TODAY - datetime.timedelta(days=ago))
        case ("come_back", p, k, ago):  # moved to another kitchen, or back to the same one
            people = people_on_rolls()
            if people:
                register_entry(scope=as_scope(None), kitchen=ks[k], category=cat("adulto-mayor"),
                               person=people[p % len(people)], since=TODAY - datetime.timedelta(days=ago))
        case ("exit", e, days):
            entries = list(RollEntry.objects.order_by("pk"))
            if entries:
                entry = entries[e % len(entries)]
                exit_entry(scope=as_scope(None), entry=entry, until=min(TODAY,
                                                                        entry.since + datetime.timedelta(days=days)),
                           reason=ExitReason.OTHER_KITCHEN)
        case ("edit_since", e, ago):
            entries = list(RollEntry.objects.order_by("pk"))
            if entries:
                update_entry(scope=as_scope(None), entry=entries[e % len(entries)],
                             since=TODAY - datetime.timedelta(days=ago))
        case ("merge", a, b):
            people = people_on_rolls()
            if len(people) > 1 and a % len(people) != b % len(people):
                merge_people(scope=as_scope(None), keep=people[a % len(people)], remove=people[b % len(people)])
        case ("import", k, p):
            people = [x for x in people_on_rolls() if x.dni]
            lines = ["Apellido paterno;Apellido materno;Nombres;DNI;Categoría",
                     f"Ramos;Tito;Nueva {n};{50000000 + n};Adulto mayor"]
            if people:
                known = people[p % len(people)]
                lines.append(f"{known.paternal_surname};{known.maternal_surname};{known.given_names};{known.dni};"
                             "Adulto mayor")
            batch = upload_import(scope=as_scope(None), kitchen=ks[k], filename="padron.csv",
                                  content="\n".join(lines).encode())
            apply_import(scope=as_scope(None), batch=batch)
        case ("transfer", k, away):
            move_organisation(scope=as_scope(None), organisation=ks[k], new_parent=w.santiago if away else w.ves)
        case ("transfer_district_federation", away):  # a whole subtree, both Lima kitchens in it
            w.ves.refresh_from_db()
            move_organisation(scope=as_scope(None), organisation=w.ves, new_parent=w.cusco if away else w.lima)
        case ("relocate", k, code):
            update_organisation(scope=as_scope(None), organisation=ks[k], district=District.objects.get(code=code))


kitchen = st.integers(0, 2)
ago = st.integers(0, 170)
index = st.integers(0, 40)
ops = st.one_of(
    st.tuples(st.just("register"), kitchen, ago),
    st.tuples(st.just("come_back"), index, kitchen, ago),
    st.tuples(st.just("exit"), index, st.integers(0, 120)),
    st.tuples(st.just("edit_since"), index, ago),
    st.tuples(st.just("merge"), index, index),
    st.tuples(st.just("import"), kitchen, index),
    st.tuples(st.just("transfer"), kitchen, st.booleans()),
    st.tuples(st.just("transfer_district_federation"), st.booleans()),
    st.tuples(st.just("relocate"), kitchen, st.sampled_from(["150142", "150143", "080108"])),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(sequence=st.lists(ops, min_size=3, max_size=25))
def test_people_fed_from_the_rollup_always_equals_the_direct_count(world, sequence):
    with transaction.atomic():
        for n, op in enumerate(sequence):
            try:
                with transaction.atomic():
                    run(world, op, n)
            except ValidationError:
                pass  # refused (already on this roll, a closed entry, a future date): nothing half-saved
        assert_counts_equal_the_direct_count(world)
        transaction.set_rollback(True)


def test_moves_re_entries_merges_and_imports_count_each_person_once(world):
    """The named cases, step by step, with the figures worked out by hand."""
    w = world
    old = TODAY - datetime.timedelta(days=150)
    national = selectors.Selection(scope=Scope.for_user(w.national), org=None, place=None, first=MONTHS[0],
                                   last=MONTHS[-1])
    rosa = new_person(w, w.kitchen, 1, old).person
    lucia = new_person(w, w.olla, 2, old).person
    new_person(w, w.kitchen_other, 3, old)
    assert selectors.people_fed(national) == 3
    # Rosa moves from Villa El Salvador to Cusco: two entries, one person.
    exit_entry(scope=as_scope(None), entry=RollEntry.objects.get(person=rosa),
               until=TODAY - datetime.timedelta(days=60),
               reason=ExitReason.OTHER_KITCHEN)
    register_entry(scope=as_scope(None), kitchen=w.kitchen_other, category=cat("adulto-mayor"), person=rosa,
                   since=TODAY - datetime.timedelta(days=60))
    assert RepeatedPersonEntry.objects.filter(person=rosa).count() == 2
    assert selectors.people_fed(national) == 3
    # Lucía leaves and comes back to the same kitchen.
    exit_entry(scope=as_scope(None), entry=RollEntry.objects.get(person=lucia),
               until=TODAY - datetime.timedelta(days=100),
               reason=ExitReason.MOVED)
    register_entry(scope=as_scope(None), kitchen=w.olla, category=cat("adulto-mayor"), person=lucia,
                   since=TODAY - datetime.timedelta(days=20))
    assert selectors.people_fed(national) == 3
    # A duplicate of Rosa typed at the olla, then merged into her.
    copy = register_entry(scope=as_scope(None), kitchen=w.olla, category=cat("adulto-mayor"), since=old,
                          given_names="Roza",
                          paternal_surname="Quispe", maternal_surname="Mamani",
                          birth_date=datetime.date(1950, 1, 1)).person
    assert selectors.people_fed(national) == 4
    merge_people(scope=as_scope(None), keep=rosa, remove=copy)
    assert selectors.people_fed(national) == 3
    assert RepeatedPersonEntry.objects.filter(person=rosa).count() == 3
    # An import with Lucía (already here: skipped), Rosa (new at the kitchen) and a new person.
    content = ("Apellido paterno;Apellido materno;Nombres;DNI;Categoría\n"
               f"Quispe;Mamani;Persona 2;{lucia.dni};Adulto mayor\n"
               f"Quispe;Mamani;Persona 1;{rosa.dni};Adulto mayor\n"
               "Ramos;Tito;Celia;50000001;Adulto mayor\n").encode()
    apply_import(scope=as_scope(None), batch=upload_import(scope=as_scope(None), kitchen=w.olla, filename="p.csv",
                                                           content=content))
    assert selectors.people_fed(national) == 4
    # Only Cusco, only this month: Rosa (moved there) and person 3.
    cusco = selectors.Selection(scope=Scope.for_user(w.national), org=None, place=selectors.get_place("08"),
                                first=MONTHS[-1], last=MONTHS[-1])
    assert selectors.people_fed(cusco) == 2
    # The Lima kitchen moves to the Cusco federation and the olla to another district.
    move_organisation(scope=as_scope(None), organisation=w.kitchen, new_parent=w.santiago)
    w.olla.refresh_from_db()
    update_organisation(scope=as_scope(None), organisation=w.olla, district=District.objects.get(code="150143"))
    assert selectors.people_fed(selectors.Selection(
        scope=Scope.for_user(w.national), org=None, place=selectors.get_place("150143"), first=MONTHS[0],
        last=MONTHS[-1])) == 3  # Lucía, Rosa (merged copy, import) and Celia
    assert_counts_equal_the_direct_count(w)


@pytest.fixture
def counted(world):
    for n, k in enumerate(kitchens(world)):
        person = new_person(world, k, n, TODAY - datetime.timedelta(days=90)).person
        register_entry(scope=as_scope(None), kitchen=kitchens(world)[(n + 1) % 3], category=cat("adulto-mayor"),
                       person=person,
                       since=TODAY - datetime.timedelta(days=30))
    return world


def test_check_integrity_names_a_people_count_row_that_drifted(counted):
    call_command("check-integrity", stdout=StringIO(), stderr=StringIO())
    row = RollFlow.objects.order_by("path", "district", "month").first()
    RollFlow.objects.filter(pk=row.pk).update(entries_started=F("entries_started") + 1)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command("check-integrity", stdout=out, stderr=err)
    assert "people fed: roll flows: 1 violation(s)" in out.getvalue()
    assert f"people counts of {row.path} in district {row.district}" in err.getvalue()
    assert "entries_started" in err.getvalue()
    # The direct count, the reference, disagrees with the roll-up in that cell too.
    assert "people fed: direct count: 1 violation(s)" in out.getvalue()


def test_check_integrity_names_a_missing_repeated_person_row(counted):
    row = RepeatedPersonEntry.objects.order_by("pk").first()
    RepeatedPersonEntry.objects.filter(pk=row.pk).delete()
    problems = integrity.repeated_violations()
    assert problems == [f"roll entry {row.entry_id} belongs to a person with several entries but has no "
                        "repeated-person row"]
    assert integrity.people_fed_violations() != []


def test_the_demo_fills_the_people_counts_in_bulk():
    from ayni.demo.generator import generate

    ctx = generate(scale="small", seed=3)
    assert ctx.counts["roll_moves"] > 0
    assert RollFlow.objects.exists() and RepeatedPersonEntry.objects.exists()
    assert integrity.violations() == []


def test_the_migration_counts_the_rolls_already_there(counted):
    """An install upgraded with people on its rolls gets the same rows as the write path keeps."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("ayni.rolls.migrations.0003_roll_flows_and_repeated_people")
    kept = set(RollFlow.objects.values_list("path", "district", "month", "entries_started", "entries_ended"))
    RollFlow.objects.all().delete()
    RepeatedPersonEntry.objects.all().delete()
    migration.fill_counts(apps, None)
    assert set(RollFlow.objects.values_list("path", "district", "month", "entries_started", "entries_ended")) == kept
    assert RepeatedPersonEntry.objects.count() == 6
    assert integrity.violations() == []


def test_the_national_dashboard_counts_people_without_reading_the_roll_entries(counted, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client = login(counted.national)
    for params in ({}, {"lugar": "15"}, {"lugar": "0801"}, {"org": counted.lima.pk}):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("evidence:dashboard"), params)
        assert response.status_code == 200
        assert not [q for q in ctx.captured_queries if "rolls_rollentry" in q["sql"]], params
        assert [q for q in ctx.captured_queries if "rolls_rollflow" in q["sql"]], params
