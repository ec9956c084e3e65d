"""Follow-ups kept on the phone without signal (capture's outbox): sent when the signal returns,
stored raw, recorded once however often they are sent or replayed, and refused in plain Spanish
when they cannot be recorded — nothing half-saved."""

import json

import pytest
from django.urls import reverse

from ayni.advocacy.models import Commitment, StageChange
from ayni.advocacy.outbox import apply_follow_up
from ayni.capture import inbound as capture
from ayni.capture.models import Channel, Inbound
from tests.advocacy_helpers import SYSTEM, commitment, days
from tests.conftest import as_scope

pytestmark = pytest.mark.django_db


def batch_url(c):
    return reverse("advocacy:stage_batch", kwargs={"pk": c.organisation_id, "commitment": c.pk})


def send(client, c, *items):
    response = client.post(batch_url(c), json.dumps({"items": list(items)}), content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def item(client_id="a1", **data):
    return {
        "type": "follow_up",
        "client_id": client_id,
        "data": {"stage": "progress", "on": days(-1).isoformat(), "note": "Llegó la primera entrega", **data},
    }


def test_the_follow_up_page_gets_the_outbox(client, world):
    c = commitment(world)
    client.force_login(world.coordinator)
    page = client.get(reverse("advocacy:stage", kwargs={"pk": c.organisation_id, "commitment": c.pk})).content
    assert b'id="outbox"' in page and b'data-kind="follow_up"' in page
    assert batch_url(c).encode() in page
    assert "Sin señal, la foto no se guarda".encode() in page


def test_a_follow_up_kept_offline_is_stored_raw_and_recorded_once(client, world):
    c = commitment(world)
    client.force_login(world.coordinator)
    [result] = send(client, c, item(link="https://noticias.example.org/entrega"))
    assert result["status"] == "accepted", result
    stored = Inbound.objects.get(kind=Inbound.Kind.FOLLOW_UP)
    assert stored.channel == Channel.OUTBOX and stored.status == Inbound.Status.ACCEPTED
    assert stored.payload["note"] == "Llegó la primera entrega" and stored.payload["commitment"] == c.pk
    c.refresh_from_db()
    change = c.changes.latest("pk")
    assert c.stage == Commitment.Stage.IN_PROGRESS and change.on == days(-1)
    assert change.recorded_by == world.coordinator and change.by_text == stored.pk
    assert change.evidence.get().link == "https://noticias.example.org/entrega"
    # The phone did not hear the answer and sends it again: the first result, nothing twice.
    [again] = send(client, c, item(link="https://noticias.example.org/entrega"))
    assert again == result
    assert c.changes.count() == 2 and Inbound.objects.filter(kind=Inbound.Kind.FOLLOW_UP).count() == 1
    # The same id with other content is refused, not recorded.
    [reused] = send(client, c, item(note="Otra cosa"))
    assert reused["status"] == "id_reused" and c.changes.count() == 2


def test_a_follow_up_stored_before_a_crash_is_finished_once_by_the_replay(world):
    c = commitment(world)
    stored, _created = capture.store(
        channel=Channel.OUTBOX,
        kind=Inbound.Kind.FOLLOW_UP,
        user=world.coordinator,
        kitchen=c.organisation,
        client_id="crash-1",
        payload={"stage": "partly", "on": days(0).isoformat(), "note": "Mitad", "commitment": c.pk},
    )
    assert stored.status == Inbound.Status.RECEIVED and c.changes.count() == 1  # the server died here
    assert capture.replay() == {Inbound.Status.ACCEPTED: 1}
    assert capture.replay() == {}
    c.refresh_from_db()
    assert c.stage == Commitment.Stage.PARTLY and c.changes.count() == 2
    # Even a handler called again for the same item (its result lost) records nothing twice.
    stored.refresh_from_db()
    apply_follow_up(stored, as_scope(world.coordinator))
    assert c.changes.count() == 2 and StageChange.objects.filter(by_text=stored.pk).count() == 1


@pytest.mark.parametrize(
    "data,words",
    [
        ({"stage": "registered", "note": ""}, "volver atrás: escriba en la nota por qué"),
        ({"stage": "nonsense"}, "Escoja una opción válida"),
        ({"on": days(3).isoformat()}, "no puede ser futura"),
        ({"on": "ayer"}, "fecha"),
        ({"link": "javascript:alert(1)"}, "URL"),
    ],
)
def test_a_bad_follow_up_is_refused_in_spanish_and_nothing_is_saved(client, world, data, words):
    c = commitment(world)
    from ayni.advocacy import services

    services.change_stage(scope=SYSTEM, commitment=c, stage="progress", note="Empezó", on=days(-2))
    client.force_login(world.coordinator)
    [result] = send(client, c, item(**data))
    assert result["status"] == "invalid" and result["code"] == 422
    said = " ".join([result["message"], *[m for ms in result["errors"].values() for m in ms]])
    assert words.lower() in said.lower(), said
    assert c.changes.count() == 2
    assert Inbound.objects.get(kind=Inbound.Kind.FOLLOW_UP).status == Inbound.Status.REJECTED


def test_a_follow_up_for_a_commitment_out_of_her_sight_does_not_exist(client, world):
    c = commitment(world)
    client.force_login(world.coordinator_other)
    assert (
        client.post(batch_url(c), json.dumps({"items": [item()]}), content_type="application/json").status_code == 404
    )
    # Stored for her and replayed under her own scope, it is still refused as not there.
    stored, _ = capture.store(
        channel=Channel.OUTBOX,
        kind=Inbound.Kind.FOLLOW_UP,
        user=world.coordinator_other,
        kitchen=c.organisation,
        client_id="x",
        payload={**item()["data"], "commitment": c.pk},
    )
    done = capture.process(stored)
    assert done.status == Inbound.Status.REJECTED
    assert f"No hay un compromiso N° {c.pk} de su organización" in done.error
    assert c.changes.count() == 1


def test_a_batch_of_the_wrong_shape_is_refused(client, world):
    c = commitment(world)
    client.force_login(world.coordinator)
    bad = client.post(batch_url(c), "no es json", content_type="application/json")
    assert bad.status_code == 400 and "forma esperada" in bad.json()["detail"]
    [result] = send(client, c, {"client_id": "", "data": {}})
    assert result["status"] == "invalid" and "identificador" in result["message"]
