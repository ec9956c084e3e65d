"""Every view of the load benchmark's mix (`bench/load.py`) takes a pinned number of queries at
most (issue 22 item 5): a view that starts asking the database once per row shows here, in any
run, before it shows in the load's p95. The counts are for the second request (the session and
the templates once loaded) with the small test federation and some activity."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.evidence_helpers import add_activity
from tests.kitchens import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def active(world):
    add_activity(world)
    return world


def count(client, url, *, data=None, method="get", drawn=False) -> int:
    getattr(client, method)(url, data or {})
    if drawn:
        cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = getattr(client, method)(url, data or {})
    assert response.status_code in (200, 302), (url, response.status_code)
    return len(ctx.captured_queries)


# (label, who, url(w), GET parameters, the most queries): the views of the load mix, for the
# people who use them there (bench/load.py: leader_click, coordinator_click, register_member).
VIEWS = [
    ("core:home leader", "leader", lambda w: reverse("core:home"), None, 10),
    # The alert list kept (kitchens/kept.py): its revision, none of its nine queries.
    ("core:home coordinator", "coordinator", lambda w: reverse("core:home"), None, 12),
    ("core:home national", "national", lambda w: reverse("core:home"), None, 12),
    # The store, movements and months kept (kitchens/kept.py): its revision and today's reports.
    ("kitchens:kitchen", "leader", lambda w: reverse("kitchens:kitchen", kwargs={"pk": w.kitchen.pk}), None, 5),
    (
        "kitchens:report",
        "leader",
        lambda w: reverse("kitchens:report", kwargs={"pk": w.kitchen.pk, "day": TODAY.isoformat()}),
        None,
        5,
    ),
    # The registry part kept (core/registry.py: crumbs, requirements, the organisations within it);
    # socias counted from their list.
    ("orgs:detail", "coordinator", lambda w: reverse("orgs:detail", kwargs={"pk": w.kitchen.pk}), None, 5),
    ("orgs:detail federation", "coordinator", lambda w: reverse("orgs:detail", kwargs={"pk": w.lima.pk}), None, 5),
    ("people:detail", "coordinator", lambda w: reverse("people:detail", kwargs={"pk": w.member.pk}), None, 8),
    ("people:search", "coordinator", lambda w: reverse("people:search"), {"q": "quispe"}, 6),
    ("orgs:tree", "coordinator", lambda w: reverse("orgs:tree"), None, 4),
    ("orgs:tree search", "coordinator", lambda w: reverse("orgs:tree"), {"q": "comedor"}, 5),
    ("evidence:dashboard kept", "coordinator", lambda w: reverse("evidence:dashboard"), None, 4),
    ("evidence:map kept", "coordinator", lambda w: reverse("evidence:map"), {"nivel": "provincia"}, 4),
    ("evidence:kitchens kept", "coordinator", lambda w: reverse("evidence:kitchens"), None, 4),
    ("kitchens:overview kept", "coordinator", lambda w: reverse("kitchens:overview", kwargs={"pk": w.lima.pk}), None,
     4),
    ("orgs:register_member", "leader", lambda w: reverse("orgs:register_member", kwargs={"pk": w.kitchen.pk}), None, 5),
]


@pytest.mark.parametrize(("label", "who", "url", "params", "most"), VIEWS, ids=[v[0] for v in VIEWS])
def test_a_view_of_the_load_mix_takes_a_pinned_number_of_queries(active, login, label, who, url, params, most):
    n = count(login(getattr(active, who)), url(active), data=params)
    assert n <= most, f"{label}: {n} queries (pinned at {most})"


def test_the_dashboard_drawn_afresh_takes_a_pinned_number_of_queries(active, login):
    # The range's sums from its months' and the active kitchens from the units' counts: 14, was 17.
    assert count(login(active.coordinator), reverse("evidence:dashboard"), drawn=True) <= 14


@pytest.mark.parametrize("who", ["coordinator", "national"])
def test_the_home_with_its_alert_list_drawn_afresh_takes_a_pinned_number_of_queries(active, login, who):
    assert count(login(getattr(active, who)), reverse("core:home"), drawn=True) <= 21


def test_the_list_of_kitchens_drawn_afresh_takes_a_pinned_number_of_queries(active, login):
    assert count(login(active.coordinator), reverse("evidence:kitchens"), drawn=True) <= 7


def test_the_kitchens_summary_drawn_afresh_takes_a_pinned_number_of_queries(active, login):
    assert count(login(active.coordinator), reverse("kitchens:overview", kwargs={"pk": active.lima.pk}),
                 drawn=True) <= 12


def test_a_kitchens_page_drawn_afresh_takes_a_pinned_number_of_queries(active, login):
    assert count(login(active.leader), reverse("kitchens:kitchen", kwargs={"pk": active.kitchen.pk}), drawn=True) <= 11


# The map page is not in the load's mix, but its body is kept like the dashboard's (evidence/cache.py).
def test_the_map_drawn_afresh_takes_a_pinned_number_of_queries(active, login):
    assert count(login(active.coordinator), reverse("evidence:map"), data={"nivel": "provincia"}, drawn=True) <= 7


def test_registering_a_member_takes_a_pinned_number_of_queries(active, login):
    client = login(active.leader)
    url = reverse("orgs:register_member", kwargs={"pk": active.kitchen.pk})
    data = {
        "given_names": "Luz",
        "paternal_surname": "Pari",
        "maternal_surname": "Condori",
        "sex": "F",
        "dni": "",
        "birth_date": "",
        "phone": "",
        "district": "",
        "since": TODAY.isoformat(),
        "position": "",
        "starts_on": "",
        "ends_on": "",
    }
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.post(url, data).status_code == 302
    # 14, and two for the equity roll-up put behind in the same transaction (leadership/equity.py:
    # her languages' memberships read, her cell's revision raised).
    assert len(ctx.captured_queries) <= 16


def test_no_view_of_the_mix_but_login_checks_or_hashes_a_password(active, login, monkeypatch):
    """argon2 is slow on purpose (a quarter of a second of CPU): only the login pays it. A view
    that checked or re-hashed the password on each request (a session check done the slow way)
    would put it on every click of the load's mix."""
    from django.contrib.auth.hashers import get_hasher

    hasher = type(get_hasher())  # the tests' hasher: the one every check and hash goes through

    def refuse(*args, **kwargs):
        raise AssertionError("a view checked or hashed a password")

    monkeypatch.setattr(hasher, "verify", refuse)
    monkeypatch.setattr(hasher, "encode", refuse)
    for label, who, url, params, _most in VIEWS:
        response = login(getattr(active, who)).get(url(active), params or {})
        assert response.status_code == 200, label
