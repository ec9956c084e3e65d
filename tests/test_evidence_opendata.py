"""Open data: opt-in, no login, aggregates only, no figure from fewer than 5 people or 3 kitchens.
Only months that have ended are published, so the activity here is put in last month."""

import csv
import datetime
import io
import json

import pytest
from django.urls import reverse

from ayni.audit.models import AuditEntry
from ayni.evidence import opendata
from ayni.orgs.services import create_organisation
from ayni.rolls.models import RollEntry
from tests.conftest import as_scope, kind
from tests.evidence_helpers import add_activity, publish
from tests.kitchens import TODAY, last_month, report
from tests.rolls_helpers import put_on_roll

pytestmark = pytest.mark.django_db


def more_lima_kitchens(w, n=2):
    kitchens = []
    for i in range(n):
        k = create_organisation(scope=as_scope(None), kind=kind("comedor-popular"), parent=w.ves,
                                name=f"Comedor Lima {i}", district=w.kitchen.district)
        for d in range(5):
            report(k, last_month() + datetime.timedelta(days=d))
        kitchens.append(k)
    return kitchens


def figures(client, org):
    return json.loads(client.get(reverse("evidence:public_data", args=[org.pk, "json"])).content)


def test_the_page_exists_only_once_the_federation_switches_it_on(world, client):
    url = reverse("evidence:public", args=[world.lima.pk])
    assert client.get(url).status_code == 404
    publish(world.lima)
    assert client.get(url).status_code == 200
    publish(world.lima, enabled=False)
    assert client.get(url).status_code == 404
    assert client.get(reverse("evidence:public_data", args=[world.lima.pk, "json"])).status_code == 404


def test_figures_from_fewer_than_3_kitchens_are_suppressed(world, client):
    add_activity(world)
    publish(world.lima)
    data = figures(client, world.lima)  # two kitchens in Lima
    assert data["totals"]["active_kitchens"] is None and data["totals"]["rations_served"] is None
    assert all(m["rations_served"] is None for m in data["months"])
    assert all(p["rations_served"] is None and p["active_kitchens"] is None for p in data["places"])
    more_lima_kitchens(world)
    data = figures(client, world.lima)
    assert data["totals"]["active_kitchens"] == 4 and data["totals"]["rations_served"] > 0
    assert data["places"] == [p for p in data["places"] if p["code"] == "15"]
    assert data["places"][0]["rations_served"] == data["totals"]["rations_served"]


def test_people_are_counted_only_from_5_people_and_3_kitchens(world, client):
    add_activity(world)
    kitchens = more_lima_kitchens(world)
    publish(world.lima)
    assert figures(client, world.lima)["totals"]["people_fed"] is None  # 2 people, 2 kitchens
    for i, k in enumerate(kitchens * 2):
        put_on_roll(k, given_names=f"Persona {i}", paternal_surname="Flores", maternal_surname="Inga",
                    since=last_month())
    RollEntry.objects.update(since=last_month())  # on the rolls in a month that has ended
    assert figures(client, world.lima)["totals"]["people_fed"] == 6


def test_the_public_sees_no_name_of_a_person_or_a_kitchen(world, client):
    add_activity(world)
    more_lima_kitchens(world)
    publish(world.lima)
    bodies = [client.get(reverse("evidence:public", args=[world.lima.pk])).content.decode(),
              client.get(reverse("evidence:public_data", args=[world.lima.pk, "json"])).content.decode(),
              client.get(reverse("evidence:public_data", args=[world.lima.pk, "csv"])).content.decode("utf-8-sig")]
    for body in bodies:
        for name in (world.kitchen.name, world.olla.name, "Comedor Lima", "Condori", "Ramos", "Quispe",
                     world.kitchen_other.name, world.cusco.name):
            assert name not in body, name


def test_csv_and_json_hold_the_same_figures(world, client):
    add_activity(world)
    more_lima_kitchens(world)
    publish(world.lima)
    data = figures(client, world.lima)
    body = client.get(reverse("evidence:public_data", args=[world.lima.pk, "csv"])).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert list(rows[0]) == list(opendata.CSV_COLUMNS)
    total = rows[0]
    assert total["kind"] == "total" and int(total["rations_served"]) == data["totals"]["rations_served"]
    assert len(rows) == 1 + len(data["months"]) + len(data["places"])
    assert data["schema_version"] == 1 and data["suppression"] == {"min_people": 5, "min_kitchens": 3,
                                                                   "method": "fixed-periods+complementary"}


def test_the_map_leaves_blank_a_place_with_one_or_two_kitchens(world):
    publish(world.confed)
    data = opendata.public_figures(world.confed, last_month().year, "departamento", today=TODAY)
    _need, coverage = opendata.coverage_map(world.confed, "departamento", data)
    assert coverage.values["08"] is None  # one kitchen in Cusco
    assert coverage.values["15"] is None  # two in Lima
    assert coverage.values["01"] == 0  # none is not a small cell


def test_a_coordinator_publishes_her_federation_and_it_is_audited(world, login):
    client = login(world.coordinator)
    url = reverse("evidence:public_settings", args=[world.lima.pk])
    assert client.post(url, {"enabled": "on", "note": "Hola"}).status_code == 302
    assert opendata.published(world.lima.pk) == world.lima
    assert AuditEntry.objects.filter(action="evidence.public_profile", org_path=world.lima.path).exists()
    assert login(world.viewer).post(url, {"enabled": "on"}).status_code == 403
    assert login(world.leader).get(reverse("evidence:public_settings", args=[world.kitchen.pk])).status_code == 404
