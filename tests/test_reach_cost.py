"""What one OpenRosa submission costs the server, pinned: the statements it runs, and that her
password is checked with argon2 once, not on every form (issue 20's benchmark, bench/openrosa.py).
A new day's report: her account with its grants and languages; her attempts under the instanceID
together with the kitchen and its recent days (one statement); one INSERT. The same instance sent
again: the first two only, and no second row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ayni.capture.models import ApiToken, Inbound
from ayni.reach import auth, openrosa, services
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


def test_a_new_report_costs_three_statements_and_a_resend_two(client, world, held):
    key = make_token(world.leader)
    url = f"/odk/key/{key}/submission"
    assert submit(client, daily(world, days_ago(2)), url=url, auth=COLLECT).status_code == 201  # warm
    xml = daily(world, days_ago(1))
    with CaptureQueriesContext(connection) as new:
        assert submit(client, xml, url=url, auth=COLLECT).status_code == 201
    assert statements(new.captured_queries) == ["SELECT capture_apitoken", "SELECT capture_inbound",
                                                "INSERT capture_inbound"]
    assert '"orgs_organisation"' in new.captured_queries[1]["sql"]  # the kitchen, in the same round trip
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
                                                   "INSERT capture_inbound"]
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


def okhttp(xml: bytes, *extra_parts: bytes) -> tuple[bytes, str]:
    """A post laid out as Collect's HTTP client (OkHttp) writes it: each part with its
    Content-Type and Content-Length."""
    boundary = "c0ffee00-1234-4bcd-8123-456789abcdef"
    part = (f'--{boundary}\r\nContent-Disposition: form-data; name="xml_submission_file"; filename="x.xml"\r\n'
            f"Content-Type: text/xml\r\nContent-Length: {len(xml)}\r\n\r\n").encode() + xml + b"\r\n"
    others = b"".join(f"--{boundary}\r\n".encode() + p + b"\r\n" for p in extra_parts)
    return part + others + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_a_lone_instance_is_read_without_the_multipart_parser_and_anything_else_with_it(client, world, held):
    xml = daily(world, days_ago(1))
    body, content_type = okhttp(xml)
    assert openrosa.lone_instance(content_type, body) == xml
    incomplete = b'Content-Disposition: form-data; name="*isIncomplete*"\r\n\r\nyes'
    assert openrosa.lone_instance(content_type, okhttp(xml, incomplete)[0]) is None
    assert openrosa.lone_instance(content_type, body.replace(b"xml_submission_file", b"otra")) is None
    assert openrosa.lone_instance(content_type, body + b"--mas") is None
    assert openrosa.lone_instance("text/xml", body) is None
    key = make_token(world.leader)
    url = f"/odk/key/{key}/submission"
    response = client.generic("POST", url, body, content_type=content_type, **COLLECT)
    assert response.status_code == 201 and Inbound.objects.get().payload["xml"] == xml.decode()
    again = client.generic("POST", url, okhttp(xml, incomplete)[0], content_type=content_type, **COLLECT)
    assert again.status_code == 201 and Inbound.objects.count() == 1  # read by Django's parser: the same one
    nothing = client.generic("POST", url, body.replace(b"xml_submission_file", b"otra"), content_type=content_type,
                             **COLLECT)
    assert nothing.status_code == 400 and "xml_submission_file" in nothing.content.decode()
