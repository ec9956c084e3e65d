"""The equity table's roll-up (`leadership.equity`): kept by the writes that change who is a
member or who was trained, equal to a count of the memberships after each of them, read in a
fixed number of queries, and checked by `ayni check-integrity`."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from ayni.leadership import equity, services
from ayni.leadership.models import EquityCell, EquityCount
from ayni.people.models import Language, Membership
from ayni.people.services import add_membership, end_membership, update_person
from tests.governance_helpers import socias
from tests.leadership_helpers import SYSTEM, attend_all, school

pytestmark = pytest.mark.django_db


def recount(org) -> dict:
    """The table counted from every membership of the subtree, as it was read before the roll-up."""
    return equity._counts(Membership.objects.filter(organisation__path__startswith=org.path),
                          timezone.localdate(), by_cell=False)


def recount_by_cell(org) -> dict:
    """The same, each cell counted apart and then added up: a woman who is a socia in two cells
    (here Lima's and Cusco's) counts in each, as the roll-up counts her."""
    out: dict = {}
    for (_cell, dim, value), (m, t) in equity._counts(Membership.objects.filter(
            organisation__path__startswith=org.path), timezone.localdate(), by_cell=True).items():
        before = out.get(("", dim, value), (0, 0))
        out[("", dim, value)] = (before[0] + m, before[1] + t)
    return out


def assert_kept(world) -> None:
    for org in (world.lima, world.cusco):  # one cell each: exactly the count of every membership
        assert equity.counts(org) == recount(org), org.name
    assert equity.counts(world.confed) == recount_by_cell(world.confed)
    assert equity.check() == []


def lima_total(world) -> tuple[int, int]:
    row = equity.total(equity.table(world.lima))
    return row.members, row.trained


def test_the_roll_up_follows_enrolment_completion_revocation_and_membership(world):
    socias(world.olla, 2)
    assert lima_total(world) == (3, 0)  # María Elena and the two socias; the first read builds the cells
    s = school(world, women=3)  # two more socias of the kitchen, all three enrolled
    assert lima_total(world) == (5, 3)
    assert_kept(world)
    attend_all(s)  # completion
    certificate = services.issue_certificate(scope=SYSTEM, enrolment=s["enrolments"][0])
    assert lima_total(world) == (5, 3)
    assert_kept(world)
    services.revoke_certificate(scope=SYSTEM, certificate=certificate, reason="Emitido por error")
    assert lima_total(world) == (5, 3)  # she was trained all the same: revocation is of the paper
    assert_kept(world)
    # A trained woman joins a Cusco organisation, then leaves Lima.
    trained = s["people"][1]
    add_membership(scope=SYSTEM, person=trained, organisation=world.cusco,
                   since=timezone.localdate() - datetime.timedelta(days=1))
    assert equity.total(equity.table(world.cusco)).trained == 1
    assert_kept(world)
    assert equity.counts(world.confed)[("", "language", "")] == (7, 4) != recount(world.confed)[("", "language", "")]
    end_membership(scope=SYSTEM, membership=Membership.objects.get(person=trained, organisation=world.kitchen),
                   until=timezone.localdate() - datetime.timedelta(days=1))
    assert lima_total(world) == (4, 2)
    assert_kept(world)
    # Her languages and birth date move her between rows of the same cell.
    quechua = Language.objects.get(code="quechua")
    update_person(scope=SYSTEM, person=world.member, languages=[quechua], birth_date=datetime.date(1950, 3, 1))
    rows = equity.table(world.lima)
    assert ("Quechua", 1, 1) in [(r.label, r.members, r.trained) for r in rows["language"]]
    assert ("60 +", 1, 1) in [(r.label, r.members, r.trained) for r in rows["age"]]
    assert_kept(world)


def test_a_cell_is_built_once_and_then_read_in_three_queries(world, login, django_assert_num_queries):
    s = school(world, women=3)
    attend_all(s)
    socias(world.olla, 12)
    equity.table(world.lima)  # builds Lima's cell
    # Which cells are behind, the sums of Lima's rows, the language names: whatever the membership.
    with django_assert_num_queries(3):
        rows = equity.table(world.lima)
    assert equity.total(rows).trained == 3 and equity.total(rows).members == 15
    socias(world.olla, 5)
    equity.table(world.lima)  # the new socias put the cell behind: rebuilt once
    with django_assert_num_queries(3):
        assert equity.total(equity.table(world.lima)).members == 20
    client = login(world.coordinator)
    url = reverse("leadership:equity", kwargs={"pk": world.lima.pk})
    client.get(url)
    # The page: her user with her roles (the session is read from the cache), the organisation,
    # and the table's three.
    with django_assert_num_queries(5):
        page = client.get(url)
    assert page.status_code == 200 and "<svg" in page.content.decode()


def test_a_cell_not_built_today_is_counted_again(world):
    school(world, women=2)
    equity.table(world.lima)
    cell = EquityCell.objects.get(path=world.lima.path)
    EquityCell.objects.filter(pk=cell.pk).update(built_on=timezone.localdate() - datetime.timedelta(days=1))
    EquityCount.objects.filter(path=world.lima.path).delete()  # yesterday's figures, whatever they were
    assert lima_total(world) == (2, 2)


def test_the_night_task_builds_every_cell_so_the_morning_page_reads_only(world):
    school(world, women=2)
    EquityCell.objects.update(built_on=timezone.localdate() - datetime.timedelta(days=1))
    call_command("runperiodic", stdout=io.StringIO())
    cells = EquityCell.objects.all()
    assert cells and all(c.built_on == timezone.localdate() and c.built_n == c.n for c in cells)
    assert lima_total(world) == (2, 2)
    assert_kept(world)


def test_check_integrity_finds_a_count_that_is_not_the_recount(world):
    school(world, women=2)
    equity.table(world.confed)
    assert equity.check() == []
    EquityCount.objects.filter(path=world.lima.path, dimension="level").update(members=99)
    problems = equity.check()
    assert len(problems) == 1 and "99" in problems[0]
    EquityCount.objects.create(path=world.lima.path + "zzzzzzz/", dimension="level", value="4", members=1, trained=0)
    assert any("ya no es una celda" in p for p in equity.check())


def test_another_date_is_counted_live_and_29_february_has_its_age_bands(world, django_assert_num_queries):
    school(world, women=2)
    with django_assert_num_queries(6):  # five grouped queries and the language names; no roll-up written
        rows = equity.table(world.lima, on=datetime.date(2028, 2, 29))
    assert equity.total(rows).members == 2 and not EquityCount.objects.exists()


def test_moving_organisations_moves_their_women_between_cells(world):
    from ayni.orgs.services import create_organisation, move_organisation
    from tests.conftest import kind

    school(world, women=2)
    equity.table(world.confed)  # every cell built
    assert equity.total(equity.table(world.cusco)).members == 1  # Juana, in Santiago
    move_organisation(scope=SYSTEM, organisation=world.santiago, new_parent=world.lima)
    world.lima.refresh_from_db()
    world.cusco.refresh_from_db()
    assert equity.total(equity.table(world.cusco)).members == 0
    assert lima_total(world) == (3, 2)
    assert_kept(world)
    # A whole cell moves to another confederation: its rows leave with its old place.
    move_organisation(scope=SYSTEM, organisation=world.santiago, new_parent=world.cusco)
    equity.table(world.confed)
    old_path = world.cusco.path
    other = create_organisation(scope=SYSTEM, kind=kind("confederacion"), parent=None, name="Otra confederación",
                                district=world.confed.district)
    move_organisation(scope=SYSTEM, organisation=world.cusco, new_parent=other)
    assert not EquityCount.objects.filter(path=old_path).exists()
    assert not EquityCell.objects.filter(path=old_path).exists()
    assert equity.total(equity.table(world.confed)).members == 2
    assert equity.total(equity.table(other)).members == 1 and equity.check() == []
