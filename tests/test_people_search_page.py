"""The search page as a person uses it: at least three letters (or three digits of a DNI), a
count that stops at 1,000 («más de 1,000 — escriba más para acotar»), people listed by surname,
only ever the people of her scope, in a fixed number of queries."""

import datetime
import re

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from ayni.people import selectors
from ayni.people.models import Membership, Person

pytestmark = pytest.mark.django_db

URL = reverse("people:search")


def add_people(org, surname: str, n: int) -> list[Person]:
    """`n` socias of `org` named «<i> <surname>», written in bulk as an import would."""
    people = Person.objects.bulk_create([
        Person(given_names=f"Socia {i:04d}", paternal_surname=surname, search_name=f"socia {i:04d} {surname.lower()}")
        for i in range(n)])
    Membership.objects.bulk_create([Membership(person=p, organisation=org, since=datetime.date(2024, 1, 1))
                                    for p in people])
    return people


def listed(response) -> list[str]:
    return re.findall(r'<a href="/personas/\d+/">([^<]+)</a>', response.content.decode())


@pytest.mark.parametrize("text", ["qu", "a", "de la", "Li", "45", "  q  "])
def test_a_search_shorter_than_three_letters_is_refused_with_the_reason(world, login, text):
    response = login(world.coordinator).get(URL, {"q": text})
    assert response.status_code == 200
    assert "Escriba al menos 3 letras del nombre o 3 cifras del DNI." in response.content.decode()
    assert listed(response) == []


def test_three_letters_or_three_digits_are_enough(world, login):
    client = login(world.coordinator)
    assert listed(client.get(URL, {"q": "qui"})) == ["María Elena Quispe Mamani"]
    assert listed(client.get(URL, {"q": "456"})) == ["María Elena Quispe Mamani"]
    # Short words beside a long one narrow it down.
    assert listed(client.get(URL, {"q": "maría de quispe"})) == []
    assert listed(client.get(URL, {"q": "el qui"})) == ["María Elena Quispe Mamani"]


def test_the_count_stops_at_a_thousand_in_peruvian_figures(world, login):
    add_people(world.kitchen, "Achahui", 1001)
    page = login(world.national).get(URL, {"q": "achahui"}).content.decode()
    assert "Más de 1,000 personas coinciden — escriba más para acotar." in page
    assert "Página 1 de 20" in page


def test_up_to_the_limit_the_count_is_exact_and_people_are_listed_by_surname(world, login):
    add_people(world.kitchen, "Achahui", 3)
    add_people(world.kitchen, "Aburto", 2)
    response = login(world.coordinator).get(URL, {"q": "socia"})
    assert "5 personas coinciden." in response.content.decode()
    assert listed(response) == ["Socia 0000 Aburto", "Socia 0001 Aburto", "Socia 0000 Achahui",
                                "Socia 0001 Achahui", "Socia 0002 Achahui"]


def test_past_the_limit_the_page_lists_the_first_found_sorted_and_pages_through_them(world, login, monkeypatch):
    monkeypatch.setattr(selectors, "SEARCH_LIMIT", 60)
    add_people(world.kitchen, "Achahui", 70)
    client = login(world.coordinator)
    first = client.get(URL, {"q": "achahui"})
    assert "Más de 60 personas coinciden" in first.content.decode()
    second = client.get(URL, {"q": "achahui", "pagina": 2})
    names = listed(first) + listed(second)
    assert len(names) == 60 == len(set(names))
    assert names == sorted(names)


def test_people_out_of_scope_are_never_found_nor_counted(world, login):
    add_people(world.kitchen_other, "Achahui", 1001)  # Cusco's
    add_people(world.olla, "Achahui", 2)  # Lima's
    page = login(world.coordinator).get(URL, {"q": "achahui"})
    assert "2 personas coinciden." in page.content.decode()
    assert len(listed(page)) == 2
    assert "Más de" not in page.content.decode()
    leader = login(world.leader_other).get(URL, {"q": "achahui"}).content.decode()
    assert "Más de 1,000" in leader  # her own kitchen's thousand


def test_a_dni_prefix_finds_only_the_dnis_that_start_with_it(world, login):
    # The range that stands for LIKE '456%' on SQLite must stop where the prefix does.
    for dni, given in [("45699999", "Ana"), ("45700000", "Eva"), ("45599999", "Ida"), ("45678999", "Flor")]:
        person = Person.objects.create(given_names=given, paternal_surname="Dni", dni=dni)
        Membership.objects.create(person=person, organisation=world.kitchen, since=timezone.localdate())
    found = listed(login(world.coordinator).get(URL, {"q": "456"}))
    assert sorted(found) == ["Ana Dni", "Flor Dni", "María Elena Quispe Mamani"]
    assert listed(login(world.coordinator).get(URL, {"q": "4569"})) == ["Ana Dni"]


QUERIES = {"national": 4, "coordinator": 4, "leader": 3}  # the session read from the cache


@pytest.mark.parametrize("who", ["national", "coordinator", "leader"])
def test_the_search_page_makes_a_fixed_number_of_queries(world, login, django_assert_num_queries, who):
    add_people(world.kitchen, "Achahui", 120)
    client = login(getattr(world, who))
    client.get(URL, {"q": "achahui"})  # the session and the scope's first reads
    # User with her roles in one query (the session is read from the cache; and the roots, for a scope over a
    # subtree), then the ids (limit first) and the page's people; on SQLite, a scope short of everyone asks its
    # size first.
    extra = connection.vendor == "sqlite" and who != "national"
    with django_assert_num_queries(QUERIES[who] + extra):
        assert len(listed(client.get(URL, {"q": "achahui", "pagina": 2}))) == 50

