"""What one OpenRosa submission costs the server, pinned: the statements it runs, and that her
password is checked with argon2 once, not on every form (issue 20's benchmark, bench/openrosa.py).
A new day's report: her account with its grants and languages, her attempts under the instanceID,
the kitchen with its recent days, one INSERT. The same instance sent again: the first two only,
and no second row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ayni.capture.models import ApiToken, Inbound
from ayni.reach import auth, services
from tests.capture_helpers import make_token
from tests.kitchens import days_ago
from tests.reach_helpers import COLLECT, basic, instance, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(monkeypatch):
    """The worker has not run yet: reports stay stored and answered."""
    monkeypatch.setattr(services, "schedule_saving", lambda: None)


def daily(world, day):
    return instance("ayni_parte_diario", kitchen=world.kitchen.pk, date=day.isoformat(), is_closed="no",
                    rations_prepared=90, served_paying=60, served_subsidised=20, served_free=10, cooks_count=2)


def statements(queries) -> list[str]:
    """The statements run, by their first words and table; the test's own savepoints left out."""
    out = []
    for query in queries:
        sql = query["sql"]
        if "SAVEPOINT" in sql:
            continue
        table = next(t for t in ("capture_apitoken", "capture_inbound", "orgs_organisation", "accounts_user")
                     if f'FROM "{t}"' in sql or f'INTO "{t}"' in sql)
        out.append(f"{sql.split()[0]} {table}")
    return out


def test_a_new_report_costs_four_statements_and_a_resend_two(client, world, held):
    key = make_token(world.leader)
    url = f"/odk/key/{key}/submission"
    assert submit(client, daily(world, days_ago(2)), url=url, auth=COLLECT).status_code == 201  # warm
    xml = daily(world, days_ago(1))
    with CaptureQueriesContext(connection) as new:
        assert submit(client, xml, url=url, auth=COLLECT).status_code == 201
    assert statements(new.captured_queries) == ["SELECT capture_apitoken", "SELECT capture_inbound",
                                                "SELECT orgs_organisation", "INSERT capture_inbound"]
    with CaptureQueriesContext(connection) as again:
        response = submit(client, xml, url=url, auth=COLLECT)
    assert response.status_code == 201 and b"submit_success" in response.content
    assert statements(again.captured_queries) == ["SELECT capture_apitoken", "SELECT capture_inbound"]
    assert Inbound.objects.count() == 2
    services.save_pending()
    with CaptureQueriesContext(connection) as saved:  # once saved, the resend still costs two
        assert submit(client, xml, url=url, auth=COLLECT).status_code == 201
    assert len(statements(saved.captured_queries)) == 2 and Inbound.objects.count() == 2


def test_her_password_is_hashed_once_per_worker_and_a_change_is_seen_at_once(client, world, held, monkeypatch):
    checked = []
    check = auth.authenticate  # the login's backend: argon2 in production
    monkeypatch.setattr(auth, "authenticate", lambda *a, **k: checked.append(1) or check(*a, **k))
    auth.forget()
    assert client.head("/odk/submission", **basic()).status_code == 204
    with CaptureQueriesContext(connection) as second:
        assert submit(client, daily(world, days_ago(1))).status_code == 201
    assert len(checked) == 1  # the first request only
    assert statements(second.captured_queries) == ["SELECT accounts_user", "SELECT capture_inbound",
                                                   "SELECT orgs_organisation", "INSERT capture_inbound"]
    assert client.head("/odk/submission", **basic(password="otra")).status_code == 401  # a wrong one: checked
    world.leader.set_password("nueva-clave-2026")
    world.leader.save()
    assert client.head("/odk/submission", **basic()).status_code == 401  # the old password, remembered: refused
    assert client.head("/odk/submission", **basic(password="nueva-clave-2026")).status_code == 204
    assert len(checked) == 4  # the wrong one, the old one (its hash changed), the new one
    world.leader.is_active = False
    world.leader.save()
    assert client.head("/odk/submission", **basic(password="nueva-clave-2026")).status_code == 401


def test_a_revoked_key_stops_at_the_next_request(client, world, held):
    key = make_token(world.leader)
    assert client.head(f"/odk/key/{key}/submission", **COLLECT).status_code == 204
    assert ApiToken.objects.get().last_used_at is not None
    ApiToken.objects.update(revoked_at=timezone.now())
    assert client.head(f"/odk/key/{key}/submission", **COLLECT).status_code == 404


def test_collect_is_answered_past_the_browser_middleware_with_the_same_safety_headers(client, world):
    key = make_token(world.leader)
    response = client.get(f"/odk/key/{key}/formList", **COLLECT)
    assert response.status_code == 200 and response["X-OpenRosa-Version"] == "1.0"
    assert response["X-Frame-Options"] == "DENY" and "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff" and response["Content-Language"] == "es"
    assert int(response["Content-Length"]) == len(response.content)
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies
    assert client.get("/odk/no-existe", **COLLECT).status_code == 404
