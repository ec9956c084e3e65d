"""The home page per role (issue 22 item 3): a pinned number of queries for each role, and its
kept parts (core/panels.py: the organisations' figures, the boards ending, succession) shared
only by people with the same reach, and drawn afresh by the write that changes them."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ayni.accounts.models import Role
from ayni.orgs.services import create_organisation
from ayni.people.models import PositionKind
from ayni.people.services import assign_position, end_position, register_person, update_person
from tests.conftest import as_scope, kind, make_user

pytestmark = pytest.mark.django_db

HOME = "/"


def queries(client) -> int:
    client.get(HOME)  # the session, the templates and the kept parts once loaded
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(HOME).status_code == 200
    return len(ctx.captured_queries)


# Each role's home page, the second time she opens it: her account and roles (the session is
# read from the cache), her top organisations, then what her role shows. Before (c664b16), with
# this federation: leader 11, coordinator 13, national 13, viewer 6, platform admin 13, someone
# without a role 3 (17, 16, 15 on the small demo).
@pytest.mark.parametrize(("who", "most"), [
    # the counts of her organisation, its board, its roll, her kitchens with today's report, her
    # convocations
    ("leader", 7),
    # the two revisions (organisations' parts, kitchens' alerts), the audit trail, convocations,
    # the duplicate queue
    ("coordinator", 7),
    ("national", 7),
    ("viewer", 4),
    ("platform", 7),
    ("outsider", 2),
])
def test_each_roles_home_takes_a_pinned_number_of_queries(world, login, who, most):
    n = queries(login(getattr(world, who)))
    assert n <= most, f"{who}: {n} queries (pinned at {most})"


def page(client) -> str:
    return client.get(HOME).content.decode()


def boards(client) -> str:
    """The boards' part of her home page (the audit trail below it names people too)."""
    html = page(client)
    return html[html.index("Juntas que vencen"):html.index("Últimos cambios")]


def test_a_new_board_term_shows_on_the_next_view_and_an_ended_one_goes(world, login):
    client = login(world.coordinator)
    assert "Quispe" in boards(client)  # kept now
    today = timezone.localdate()
    socia = register_person(scope=as_scope(None), organisation=world.olla, given_names="Luz",
                            paternal_surname="Pari", maternal_surname="Condori")
    position = assign_position(scope=as_scope(None), person=socia, organisation=world.olla,
                               kind=PositionKind.objects.get(code="presidenta"),
                               starts_on=today - datetime.timedelta(days=300),
                               ends_on=today + datetime.timedelta(days=20))
    assert "Luz Pari Condori" in boards(client)
    end_position(scope=as_scope(None), position=position, on=today - datetime.timedelta(days=1))
    assert "Luz Pari Condori" not in boards(client)


def test_a_renamed_board_member_and_a_new_organisation_show_on_the_next_view(world, login):
    client = login(world.coordinator)
    assert "María Elena Quispe Mamani" in boards(client)
    update_person(scope=as_scope(None), person=world.member, given_names="María Luisa")
    html = boards(client)
    assert "María Luisa Quispe Mamani" in html and "María Elena" not in html
    html = page(client)
    assert "<b>1</b>Comedores populares" in html
    create_organisation(scope=as_scope(None), kind=kind("comedor-popular"), parent=world.ves,
                        name="Comedor Nuevo Amanecer", district=world.kitchen.district)
    assert "<b>2</b>Comedores populares" in page(client)


def test_a_kept_part_with_names_is_not_shown_to_another_reach(world, login, client):
    login(world.coordinator)
    assert "María Elena Quispe Mamani" in boards(client)  # Lima's part, kept with its names
    # The Cusco coordinator, the viewer of the whole country and the national board each get
    # their own part: the first and the second never see Lima's board.
    login(world.coordinator_other)
    assert "María Elena" not in page(client)
    login(world.viewer)
    html = page(client)
    assert "María Elena" not in html and "Juntas que vencen" not in html
    login(world.national)
    assert "María Elena Quispe Mamani" in boards(client)


def test_two_coordinators_of_the_same_federation_share_the_kept_part(world, login, client):
    second = make_user("lucia", Role.COORDINATOR, world.lima)
    login(world.coordinator)
    first_page = page(client)
    login(second)
    with CaptureQueriesContext(connection) as ctx:
        second_page = page(client)
    # Her first view reads none of the boards: the part kept for Carmen's reach is hers too.
    assert not any("people_position" in q["sql"] for q in ctx.captured_queries)
    assert "María Elena Quispe Mamani" in first_page and "María Elena Quispe Mamani" in second_page


def test_a_training_completed_shows_in_the_succession_list_on_the_next_view(world, login):
    from tests.leadership_helpers import attend_all, school

    s = school(world, women=2)  # María Elena (the presidenta) and one more socia, enrolled
    client = login(world.coordinator)

    def succession() -> str:
        html = page(client)
        start = html.index('id="succession"')
        return html[start:html.index("</ul>", start)]

    assert "Nadie preparada todavía" in succession() and "Socia 1" not in succession()  # kept now
    attend_all(s)  # the last session marked: her training is completed (no status saved)
    assert "Socia 1" in succession()


def test_two_records_of_a_board_member_joined_show_the_name_kept(world, login):
    """A board post in another province's federation, where she is no socia: joining her two
    records moves the post, and Cusco's board part is drawn again with the name kept
    (rolls.merge_people)."""
    from ayni.rolls.services import merge_people

    today = timezone.localdate()
    twin = register_person(scope=as_scope(None), organisation=world.olla, given_names="Ana",
                           paternal_surname="Ccori", maternal_surname="Yupanqui")
    assign_position(scope=as_scope(None), person=twin, organisation=world.santiago,
                    kind=PositionKind.objects.get(code="presidenta"),
                    starts_on=today - datetime.timedelta(days=300), ends_on=today + datetime.timedelta(days=20))
    client = login(world.coordinator_other)  # Cusco's coordinator
    assert "Ana Ccori Yupanqui" in boards(client)  # kept now
    kept = register_person(scope=as_scope(None), organisation=world.kitchen, given_names="Ana María",
                           paternal_surname="Ccori", maternal_surname="Yupanqui")
    merge_people(scope=as_scope(None), keep=kept, remove=twin)
    html = boards(client)
    assert "Ana María Ccori Yupanqui" in html and "Ana Ccori Yupanqui" not in html
