"""The public scorecard is drawn once per edition: a second visitor gets the kept page (one
query), a return visit is a 304, and any change the page shows — a commitment, a stage, a file
published or unpublished, an authority elected, a rating, the overdue sweep — is on the page at
once; nothing of a signed-in visitor is kept for the next one."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ayni.advocacy import services
from ayni.advocacy.models import Evidence
from tests.advocacy_helpers import SYSTEM, commitment, days, mayor, photo, schedule

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def url(w):
    return reverse("advocacy:public", kwargs={"kind": "federacion", "key": w.ves.pk})


def full_page(w):
    """Commitments of every sort on one page: overdue, food ones tied to deliveries, evidence
    published, a law with its milestones, a round of ratings."""
    authority = mayor()
    for i in range(25):
        commitment(w, authority=authority, text=f"Compromiso {i:02d}", kind="other", deadline=days(i + 1))
    food = commitment(
        w,
        authority=authority,
        text="Alimentos",
        delivery_from=days(-40),
        delivery_to=days(-1),
        municipality=w.kitchen.district,
        made_on=days(-50),
        deadline=days(-5),
        files=[photo("blue", "acta.jpg")],
    )
    services.publish_evidence(scope=SYSTEM, evidence=Evidence.objects.get(commitment=food), published=True)
    schedule(w, due=days(-20), quantity=10, received=6)
    schedule(w, due=days(-10), quantity=10)
    law = services.follow_law(scope=SYSTEM, organisation=w.ves, kind="law", title="Ley 31458")
    services.add_milestone(scope=SYSTEM, law=law, on=days(-100), text="Publicada", reached=True)
    rnd = services.open_round(scope=SYSTEM, organisation=w.ves, service="PCA", opens_on=days(-3), closes_on=days(3))
    services.rate(scope=SYSTEM, score_round=rnd, kitchen=w.kitchen, timeliness=2, quantity=3, quality=4, treatment=5)
    services.mark_overdue()
    return food


def test_the_first_visit_reads_nine_queries_and_the_next_one_reads_one(client, world):
    full_page(world)
    with CaptureQueriesContext(connection) as first:
        drawn = client.get(url(world))
    page = drawn.content.decode()
    assert drawn.status_code == 200 and "Alimentos" in page and "vencido hace 5 días" in page
    assert "Ley 31458" in page and "Publicada" in page and "Calificación comunitaria" in page
    assert "2 entregas programadas" in page
    assert len(first) <= 9, [q["sql"][:80] for q in first.captured_queries]
    with CaptureQueriesContext(connection) as second:
        again = client.get(url(world))
    assert len(second) == 1  # the edition's token
    assert again.content.decode().count("Alimentos") == 1 and "Ley 31458" in again.content.decode()
    with CaptureQueriesContext(connection) as country:
        client.get(reverse("advocacy:public_country"))
    assert len(country) <= 7


def test_a_return_visit_is_a_304_without_a_body(client, world):
    commitment(world, text="Compromiso de vuelta")
    first = client.get(url(world))
    assert first["ETag"] and first["Last-Modified"] and first["Cache-Control"] == "public, no-cache"
    assert "Cookie" in first["Vary"]
    again = client.get(url(world), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    by_date = client.get(url(world), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert by_date.status_code == 304
    # Another page of the same list is another page.
    assert client.get(url(world), {"pagina": 2}, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


@pytest.mark.parametrize("change", ["stage", "publish", "unpublish", "elected", "new", "rate", "overdue", "law"])
def test_every_change_the_page_shows_is_on_it_at_once(client, world, change):
    food = full_page(world)
    evidence = Evidence.objects.get(commitment=food)
    first = client.get(url(world))
    body = first.content.decode()
    if change == "stage":
        services.change_stage(scope=SYSTEM, commitment=food, stage="partly", note="Llegó la mitad del arroz")
        expect = "Llegó la mitad del arroz"
    elif change == "publish":
        services.publish_evidence(scope=SYSTEM, evidence=evidence, published=False)
        services.add_evidence(
            scope=SYSTEM,
            commitment=food,
            link="https://noticias.example.org/1",
            caption="Nota de prensa",
            published=True,
        )
        expect = "Nota de prensa"
    elif change == "unpublish":
        public = reverse("advocacy:public_file", kwargs={"evidence": evidence.pk})
        assert public in body
        services.publish_evidence(scope=SYSTEM, evidence=evidence, published=False)
        again = client.get(url(world), HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 200 and public not in again.content.decode()
        return
    elif change == "elected":
        candidate = mayor(name="Rosa Candidata", is_candidate=True)
        commitment(world, authority=candidate, text="Promesa de campaña", kind="other", deadline=days(0))
        assert "candidata(o)" in client.get(url(world)).content.decode()
        services.mark_elected(scope=SYSTEM, authority=candidate, on=days(0))
        assert "candidata(o)" not in client.get(url(world)).content.decode()
        return
    elif change == "new":
        commitment(world, text="Un compromiso nuevo", kind="other", deadline=None)
        expect = "27 compromisos"
    elif change == "rate":
        rnd = services.open_round(
            scope=SYSTEM, organisation=world.ves, service="Vaso de Leche", opens_on=days(-1), closes_on=days(1)
        )
        services.rate(
            scope=SYSTEM, score_round=rnd, kitchen=world.kitchen, timeliness=1, quantity=1, quality=1, treatment=1
        )
        expect = "Vaso de Leche"
    elif change == "overdue":
        from ayni.advocacy.models import Commitment

        late = commitment(world, text="Vence pronto", kind="other", made_on=days(-9), deadline=days(1))
        Commitment.objects.filter(pk=late.pk).update(deadline=days(-3))  # as if three days had passed
        assert "2 vencidos" not in client.get(url(world)).content.decode()
        services.mark_overdue()
        expect = "2 vencidos"
    elif change == "law":
        law = services.follow_law(scope=SYSTEM, organisation=world.ves, kind="law", title="Ley 31071")
        services.add_milestone(scope=SYSTEM, law=law, on=days(-10), text="Reglamentada")
        expect = "Reglamentada"
    assert expect not in body
    again = client.get(url(world), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and expect in again.content.decode()


def test_nothing_of_a_signed_in_visitor_is_kept_for_the_next_one(client, world):
    commitment(world, text="Compromiso visto por la coordinadora")
    client.force_login(world.coordinator)
    hers = client.get(url(world))
    name = world.coordinator.get_full_name() or world.coordinator.username
    assert name in hers.content.decode()
    client.logout()
    anonymous = client.get(url(world))
    assert "Compromiso visto por la coordinadora" in anonymous.content.decode()
    assert name not in anonymous.content.decode()
    assert anonymous["ETag"] != hers["ETag"]
    assert client.get(url(world), HTTP_IF_NONE_MATCH=hers["ETag"]).status_code == 200


def test_a_page_not_found_is_not_kept(client, world):
    missing = reverse("advocacy:public", kwargs={"kind": "autoridad", "key": 424242})
    assert client.get(missing).status_code == 404
    assert client.get(missing).status_code == 404


def test_the_days_overdue_count_up_with_the_day():
    from ayni.advocacy.publication import page_key

    assert page_key("t", "pais", "peru", 1, "es", days(0)) != page_key("t", "pais", "peru", 1, "es", days(1))
    assert page_key("t", "pais", "peru", 1, "es", days(0)) != page_key("t", "pais", "peru", 1, "qu", days(0))
