"""The JSON API: keys scoped like their owner, batches with a result per item, idempotent by
client id, clear errors for bad input, and the committed OpenAPI schema."""

import json
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from ayni.capture.models import ApiToken, Inbound
from ayni.kitchens.models import DailyReport, StockMovement
from ayni.rolls.models import RollEntry
from tests.capture_helpers import make_token
from tests.kitchens import TODAY, days_ago, report

pytestmark = pytest.mark.django_db

REPORT = {"date": TODAY.isoformat(), "version": 0, "rations_prepared": 60, "served_paying": 40,
          "served_subsidised": 12, "served_free": 5, "price_per_ration": "3.50", "menu": "Arroz con lentejas"}


def post(client, key, kitchen, items, raw=None):
    url = reverse("api-v1:batch", kwargs={"kitchen_id": kitchen.pk})
    body = raw if raw is not None else json.dumps({"items": items})
    return client.post(url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")


def item(type_="report", cid="c-1", **data):
    payload = dict(REPORT) if type_ == "report" else {}
    payload.update(data)
    return {"type": type_, "client_id": cid, "data": payload}


def test_a_leader_sends_a_report_a_movement_and_a_roll_entry_in_one_batch(client, world):
    key = make_token(world.leader)
    response = post(client, key, world.kitchen, [
        item(),
        item("movement", "c-2", date=TODAY.isoformat(), item="arroz", kind="state", quantity="50"),
        item("roll_entry", "c-3", given_names="Lucía", paternal_surname="Ramos", sex="F", category="otro",
             ration="paying", since=TODAY.isoformat(), consent_method="signed", consent_on=TODAY.isoformat()),
    ])
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted"] * 3, results
    assert [r["client_id"] for r in results] == ["c-1", "c-2", "c-3"]
    assert DailyReport.objects.get(kitchen=world.kitchen, date=TODAY).served_paying == 40
    assert StockMovement.objects.filter(kitchen=world.kitchen, item_id="arroz").count() == 1
    assert RollEntry.objects.filter(kitchen=world.kitchen, person__paternal_surname="Ramos").count() == 1
    stored = Inbound.objects.order_by("id")
    assert [i.channel for i in stored] == ["api"] * 3 and all(i.user == world.leader for i in stored)
    assert stored[0].payload == REPORT  # raw, as it arrived


def test_a_resend_with_the_same_id_and_content_gives_the_original_result_and_no_second_record(client, world):
    key = make_token(world.leader)
    movement = item("movement", "m-1", date=TODAY.isoformat(), item="arroz", kind="state", quantity="50")
    first = post(client, key, world.kitchen, [movement]).json()["results"][0]
    again = post(client, key, world.kitchen, [movement]).json()["results"][0]
    assert again == first
    assert StockMovement.objects.filter(kitchen=world.kitchen).count() == 1
    assert Inbound.objects.count() == 1


def test_the_same_id_with_different_content_is_a_conflict_and_changes_nothing(client, world):
    key = make_token(world.leader)
    post(client, key, world.kitchen, [item(cid="x")])
    result = post(client, key, world.kitchen, [item(cid="x", served_paying=45)]).json()["results"][0]
    assert result["status"] == "id_reused" and result["code"] == 409
    assert "otro envío" in result["message"]
    assert DailyReport.objects.get(kitchen=world.kitchen, date=TODAY).served_paying == 40


def test_a_report_edited_on_the_server_meanwhile_is_a_conflict_with_the_server_copy(client, world):
    report(world.kitchen, TODAY, served_paying=30)
    key = make_token(world.leader)
    result = post(client, key, world.kitchen, [item(version=0)]).json()["results"][0]
    assert result["status"] == "conflict" and result["code"] == 409
    assert result["current"]["served_paying"] == 30 and result["current"]["version"] == 1
    assert DailyReport.objects.get(kitchen=world.kitchen, date=TODAY).served_paying == 30
    assert Inbound.objects.get().status == Inbound.Status.CONFLICT
    # She chooses hers, knowingly: the same data on the server's version, under a new id.
    chosen = post(client, key, world.kitchen, [item(cid="c-2", version=1)]).json()["results"][0]
    assert chosen["status"] == "accepted" and chosen["version"] == 2


def test_bad_items_get_their_own_spanish_errors_and_the_good_ones_are_kept(client, world):
    key = make_token(world.leader)
    results = post(client, key, world.kitchen, [
        item(cid="a", served_paying=100),  # more served than prepared
        item("movement", "b", date=TODAY.isoformat(), item="arroz", kind="used", quantity="2"),
        item("movement", "c", date=TODAY.isoformat(), item="caviar", kind="used", quantity="2"),
        item(cid="d", date="ayer"),
    ]).json()["results"]
    assert [r["status"] for r in results] == ["invalid", "accepted", "invalid", "invalid"]
    assert "preparadas" in results[0]["errors"]["rations_prepared"][0]
    assert "item" in results[2]["errors"]
    assert "AAAA-MM-DD" in results[3]["errors"]["date"][0]
    assert Inbound.objects.filter(status=Inbound.Status.REJECTED).count() == 3  # kept, visible


def test_unusual_numbers_ask_for_confirmation(client, world):
    key = make_token(world.leader)
    result = post(client, key, world.kitchen, [item(rations_prepared=1600, served_paying=1500)]).json()["results"][0]
    assert result["status"] == "needs_confirmation" and result["warnings"]
    confirmed = post(client, key, world.kitchen, [item(cid="c-2", rations_prepared=1600, served_paying=1500,
                                                      confirm=True)]).json()["results"][0]
    assert confirmed["status"] == "accepted"


def test_a_token_for_another_kitchen_is_refused(client, world):
    key = make_token(world.leader_other)
    response = post(client, key, world.kitchen, [item()])
    assert response.status_code == 403
    assert "permiso" in response.json()["detail"]
    assert not Inbound.objects.exists()


def test_a_viewer_token_cannot_write(client, world):
    assert post(client, make_token(world.viewer), world.kitchen, [item()]).status_code == 403


def test_a_coordinator_token_writes_for_kitchens_below_her(client, world):
    response = post(client, make_token(world.coordinator), world.kitchen, [item()])
    assert response.json()["results"][0]["status"] == "accepted"


def test_without_a_valid_key_the_api_answers_401(client, world):
    assert post(client, "wrong", world.kitchen, [item()]).status_code == 401
    response = client.get(reverse("api-v1:me"))
    assert response.status_code == 401 and "clave" in response.json()["detail"]


def test_a_revoked_key_stops_working(client, world):
    key = make_token(world.leader)
    ApiToken.objects.update(revoked_at=timezone.now())
    assert post(client, key, world.kitchen, [item()]).status_code == 401


def test_a_batch_over_the_limit_is_refused_whole_with_a_clear_message(client, world):
    key = make_token(world.leader)
    items = [item("movement", f"m-{i}", date=TODAY.isoformat(), item="arroz", kind="state", quantity="1")
             for i in range(5000)]
    response = post(client, key, world.kitchen, items)
    assert response.status_code == 413
    assert "5000" in response.json()["detail"] and "500" in response.json()["detail"]
    assert not Inbound.objects.exists()


def test_malformed_json_is_a_clear_400(client, world):
    key = make_token(world.leader)
    response = post(client, key, world.kitchen, None, raw='{"items": [')
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_the_wrong_shape_is_a_422_naming_the_field(client, world):
    key = make_token(world.leader)
    response = post(client, key, world.kitchen, None, raw=json.dumps({"items": [{"type": "pizza"}]}))
    assert response.status_code == 422
    body = response.json()
    assert "forma" in body["detail"] and any("type" in e["loc"] for e in body["errors"])


def test_me_lists_the_kitchens_the_key_may_write_for(client, world):
    key = make_token(world.coordinator)
    body = client.get(reverse("api-v1:me"), HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert body["username"] == "carmen"
    assert {k["name"] for k in body["kitchens"]} == {"Comedor Popular Santa Rosa", "Olla Común Los Jardines"}


def test_the_offline_outbox_uses_the_session_with_its_csrf_token(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.leader)
    url = reverse("api-v1:batch", kwargs={"kitchen_id": world.kitchen.pk})
    body = json.dumps({"items": [item()]})
    assert client.post(url, body, content_type="application/json").status_code == 403  # no CSRF token
    client.get(reverse("kitchens:report", kwargs={"pk": world.kitchen.pk, "day": TODAY.isoformat()}))
    token = client.cookies["csrftoken"].value
    response = client.post(url, body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.json()["results"][0]["status"] == "accepted"
    assert Inbound.objects.get().channel == "outbox"


def test_a_leader_makes_and_revokes_her_own_key_and_sees_it_once(client, world):
    client.force_login(world.leader)
    page = client.post(reverse("capture:tokens"), {"name": "Celular de la cocina"}).content.decode()
    token = ApiToken.objects.get(user=world.leader)
    assert "Cópiela ahora" in page and token.prefix in page
    assert len(token.key_hash) == 64
    assert "Cópiela ahora" not in client.get(reverse("capture:tokens")).content.decode()
    client.post(reverse("capture:token_revoke", kwargs={"pk": token.pk}))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_leader_cannot_revoke_someone_elses_key(client, world):
    make_token(world.coordinator)
    token = ApiToken.objects.get()
    client.force_login(world.leader)
    assert client.post(reverse("capture:token_revoke", kwargs={"pk": token.pk})).status_code == 404


def test_the_committed_openapi_schema_is_the_generated_one(client):
    committed = json.loads((Path(__file__).parent.parent / "docs" / "openapi.json").read_text())
    served = client.get(reverse("api-v1:openapi-json")).json()
    assert served == committed, "run: ayni openapi --output docs/openapi.json"


def test_old_days_can_be_sent_too(client, world):
    key = make_token(world.leader)
    result = post(client, key, world.kitchen, [item(date=days_ago(3).isoformat())]).json()["results"][0]
    assert result["status"] == "accepted"
