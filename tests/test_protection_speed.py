"""The list and the case page cost the same number of queries however many cases and referrals
they show, open only what they show, and write their read log in one statement."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ayni.protection import keys
from ayni.protection.models import AccessEntry
from tests.protection_helpers import a_case, a_referral, protection_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def pw(world):
    return protection_world(world)


def _queries(client, url) -> list[str]:
    client.get(url)  # the session's first write, the language, the key check: not the page's
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_the_list_costs_the_same_queries_for_two_cases_or_twelve(client, pw):
    for i in range(2):
        a_case(pw, alias=f"Caso lista {i}")
    client.force_login(pw.dora)
    url = reverse("protection:index")
    few = _queries(client, url)
    for i in range(10):
        a_case(pw, alias=f"Caso lista más {i}")
    many = _queries(client, url)
    assert len(many) == len(few) <= 12, many
    # The read log: one statement for every case shown, not one per case.
    inserts = [q for q in many if "INSERT INTO protection_accessentry" in q]
    assert len(inserts) == 1
    # ...and still one entry per case per read: two reads of two cases, two of twelve.
    assert AccessEntry.objects.filter(part=AccessEntry.Part.LIST, reader=pw.dora).count() == 2 * 2 + 2 * 12


def test_the_list_opens_each_alias_and_nothing_else(client, pw, monkeypatch):
    for i in range(3):
        a_case(pw, alias=f"Caso abierto {i}")
    client.force_login(pw.dora)
    client.get(reverse("protection:index"))
    opened = []
    real = keys.open_text
    monkeypatch.setattr(keys, "open_text", lambda key, **kw: opened.append(kw["field"]) or real(key, **kw))
    response = client.get(reverse("protection:index"))
    assert opened == ["alias"] * 3
    assert "Caso abierto 2" in response.content.decode()


def test_the_case_page_costs_the_same_queries_for_one_referral_or_twenty(client, pw):
    case = a_case(pw)
    a_referral(pw, case)
    client.force_login(pw.dora)
    url = reverse("protection:case", kwargs={"pk": case.pk})
    one = _queries(client, url)
    for _ in range(19):
        a_referral(pw, case)
    twenty = _queries(client, url)
    assert len(twenty) == len(one) <= 11, twenty
    page = client.get(url).content.decode()
    assert page.count(reverse("protection:referral_sheet", kwargs={"pk": case.pk, "rid": case.referrals.last().pk}))


def test_the_supervisor_reads_the_case_and_its_log_in_a_fixed_number_of_queries(client, pw):
    case = a_case(pw)
    for _ in range(5):
        a_referral(pw, case)
    client.force_login(pw.sara)
    url = reverse("protection:case", kwargs={"pk": case.pk})
    first = _queries(client, url)
    for _ in range(5):
        client.get(url)
    again = _queries(client, url)
    assert len(again) == len(first) <= 12, again
    assert "Quién leyó este caso" in client.get(url).content.decode()
