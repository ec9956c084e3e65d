"""The public scorecard: no login, overdue first with its days, only published evidence (an
unpublished file is never reachable by its address), the delivery figures beside a food
promise, light and paged, text escaped, and the same as open data (CSV, JSON) and a PDF brief."""

import json
import re

import pytest
from django.urls import reverse

from ayni.advocacy import services
from ayni.advocacy.models import Commitment, Evidence
from tests.advocacy_helpers import SYSTEM, commitment, days, mayor, photo, schedule

pytestmark = pytest.mark.django_db


def federation_page(client, w, **params):
    return client.get(reverse("advocacy:public", kwargs={"kind": "federacion", "key": w.ves.pk}), params)


def test_anyone_sees_the_page_overdue_first_with_days_overdue(client, world):
    commitment(world, text="Compromiso a tiempo", deadline=days(20))
    commitment(world, text="Compromiso vencido", made_on=days(-50), deadline=days(-12))
    services.mark_overdue()
    response = federation_page(client, world)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("Compromiso vencido") < page.index("Compromiso a tiempo")
    assert "vencido hace 12 días" in page
    assert "2 compromisos" in page and "1 vencido" in page


def test_one_page_per_authority_municipality_and_the_country(client, world):
    kevin = mayor()
    other = mayor(name="Otra Autoridad", territory="080108")
    commitment(world, authority=kevin, text="De Kevin")
    commitment(world, authority=other, text="De la otra", municipality=None, organisation=world.santiago)
    by_authority = client.get(reverse("advocacy:public", kwargs={"kind": "autoridad", "key": kevin.pk})).content
    assert b"De Kevin" in by_authority and b"De la otra" not in by_authority
    by_muni = client.get(reverse("advocacy:public", kwargs={"kind": "municipio", "key": "080108"})).content
    assert b"De la otra" in by_muni and b"De Kevin" not in by_muni
    country = client.get(reverse("advocacy:public_country")).content
    assert b"De Kevin" in country and b"De la otra" in country
    for kind, key in [("autoridad", 99999), ("municipio", "999999"), ("federacion", world.kitchen.pk), ("otro", 1)]:
        assert client.get(reverse("advocacy:public", kwargs={"kind": kind, "key": key})).status_code == 404


def test_a_commitment_the_organisation_does_not_publish_is_not_shown(client, world):
    commitment(world, text="Reservado", is_public=False)
    assert b"Reservado" not in federation_page(client, world).content


def test_only_published_files_are_shown_and_an_unpublished_one_is_never_reachable(client, world):
    c = commitment(world, files=[photo("red", "acta.jpg")], caption="Acta firmada")
    evidence = Evidence.objects.get(commitment=c)
    url = reverse("advocacy:public_file", kwargs={"evidence": evidence.pk})
    assert url not in federation_page(client, world).content.decode()
    assert client.get(url).status_code == 404
    services.publish_evidence(scope=SYSTEM, evidence=evidence, published=True)
    assert url in federation_page(client, world).content.decode()
    served = client.get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff" and "no-cache" in served["Cache-Control"]
    services.publish_evidence(scope=SYSTEM, evidence=evidence, published=False)
    assert client.get(url).status_code == 404
    # A published file of a commitment the organisation stopped publishing is gone too.
    services.publish_evidence(scope=SYSTEM, evidence=evidence, published=True)
    Commitment.objects.filter(pk=c.pk).update(is_public=False)
    assert client.get(url).status_code == 404
    # The organisation's own page still serves it to those who see its people, never to the viewer.
    private = reverse(
        "advocacy:evidence_file", kwargs={"pk": world.ves.pk, "commitment": c.pk, "evidence": evidence.pk}
    )
    client.force_login(world.coordinator)
    assert client.get(private).status_code == 200
    client.force_login(world.viewer)
    assert client.get(private).status_code == 403


def test_html_and_script_in_any_text_are_shown_as_text(client, world):
    commitment(
        world,
        text='<script>alert("x")</script>',
        place="<b>Local</b>",
        authority=mayor(name="<img src=x onerror=alert(1)>"),
    )
    page = federation_page(client, world).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "<img src=x" not in page and "<b>Local" not in page


def test_a_food_promise_shows_the_deliveries_promised_and_not_received(client, world):
    c = commitment(world, delivery_from=days(-40), delivery_to=days(-1), municipality=world.kitchen.district)
    schedule(world, due=days(-30), quantity=10, received=10)  # on time, complete
    schedule(world, due=days(-20), quantity=10, received=6, received_on=days(-15))  # 5 days late, 4 short
    schedule(world, due=days(-10), quantity=10)  # never arrived
    schedule(world, due=days(-10), quantity=10, kitchen=world.kitchen_other)  # another federation's kitchen
    from ayni.advocacy.selectors import delivery_figures

    figures = delivery_figures(c)
    assert figures["deliveries"] == 3 and figures["not_received"] == 1
    assert figures["late"] == 2 and figures["days_late"] == 5 + 10 and figures["short"] == 2
    assert figures["rows"][0]["shortfall"] == 14
    page = federation_page(client, world).content.decode()
    assert "3 entregas programadas" in page and "1 sin recibir" in page and "2 con retraso" in page


def test_the_page_is_light_and_paged(client, world, django_assert_max_num_queries):
    authority = mayor()
    for i in range(45):
        commitment(world, authority=authority, text=f"Compromiso número {i:02d}", deadline=days(i + 1))
    with django_assert_max_num_queries(10):
        first = federation_page(client, world)
    assert len(first.content) <= 25 * 1024
    assert first.content.decode().count('class="card" id="c') == 20
    assert "Página 1 de 3" in first.content.decode()
    third = federation_page(client, world, pagina=3).content.decode()
    assert third.count('class="card" id="c') == 5 and "Compromiso número 44" in third


def test_open_data_csv_and_json_neutralise_formulas_and_hold_nothing_personal(client, world):
    commitment(world, text='=HYPERLINK("http://mal")', made_on=days(-50), deadline=days(-12))
    services.mark_overdue()
    csv_response = client.get(
        reverse("advocacy:public_data", kwargs={"kind": "federacion", "key": world.ves.pk, "fmt": "csv"})
    )
    body = csv_response.content.decode("utf-8-sig")
    assert csv_response["Content-Type"].startswith("text/csv")
    header, row = body.splitlines()[:2]
    assert header.startswith("id,autoridad,cargo") and "'=HYPERLINK" in row and row.endswith(",True,12")
    data = json.loads(
        client.get(
            reverse("advocacy:public_data", kwargs={"kind": "federacion", "key": world.ves.pk, "fmt": "json"})
        ).content
    )
    item = data["compromisos"][0]
    assert item["compromiso"].startswith("'=") and item["dias_vencido"] == 12 and item["vencido"] is True
    assert item["plazo"] == days(-12).isoformat()
    assert "Quispe" not in body and "45678912" not in body and "carmen" not in body.lower()
    assert (
        client.get(reverse("advocacy:public_data", kwargs={"kind": "pais", "key": "peru", "fmt": "xml"})).status_code
        == 404
    )


def test_the_printable_brief_is_a_pdf(client, world):
    commitment(world, text="Compromiso para imprimir")
    response = client.get(reverse("advocacy:public_brief", kwargs={"kind": "federacion", "key": world.ves.pk}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_history_notes_are_public_but_never_who_recorded_them(client, world):
    c = commitment(world)
    from tests.conftest import as_scope

    services.change_stage(
        scope=as_scope(world.coordinator), commitment=c, stage="progress", note="Primera entrega recibida"
    )
    page = federation_page(client, world).content.decode()
    assert "Primera entrega recibida" in page
    assert not re.search(r"Carmen", page)
