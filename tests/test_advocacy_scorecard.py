"""Laws and demands with their milestones and commitments; the community score card: rounds set
by a federation, each kitchen rating 1–5 by web or text, results by municipality and over time
with the count of kitchens that rated."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ayni.advocacy import selectors, services
from ayni.advocacy.models import Rating, ScoreRound
from ayni.capture.inbound import receive_text
from ayni.capture.models import Channel, Inbound
from ayni.orgs.services import create_organisation
from tests.advocacy_helpers import SYSTEM, commitment, days
from tests.conftest import as_scope, kind

pytestmark = pytest.mark.django_db
GOOD = {"timeliness": 4, "quantity": 3, "quality": 5, "treatment": 4}


def a_round(w, opens=-5, closes=5, service="Entregas del PCA"):
    return services.open_round(
        scope=SYSTEM, organisation=w.ves, service=service, opens_on=days(opens), closes_on=days(closes)
    )


def test_a_law_keeps_its_milestones_and_commitments(client, world):
    law = services.follow_law(
        scope=as_scope(world.coordinator),
        organisation=world.ves,
        kind="law",
        title="Ley 31458",
        summary="Reconoce a las ollas comunes",
    )
    services.add_milestone(scope=SYSTEM, law=law, on=datetime.date(2022, 5, 14), text="Publicada", reached=True)
    services.add_milestone(scope=SYSTEM, law=law, on=days(60), text="Reglamento aplicado")
    commitment(world, kind="law", law=law, text="Aplicar el reglamento")
    client.force_login(world.leader)  # the kitchen reads the laws its federation follows for it
    page = client.get(reverse("advocacy:laws", kwargs={"pk": world.kitchen.pk})).content.decode()
    assert "Ley 31458" in page and "Publicada" in page and "Reglamento aplicado" in page
    assert "1 compromiso vinculado" in page
    with pytest.raises(ValidationError):
        commitment(world, organisation=world.santiago, law=law, municipality=None)  # Cusco does not follow it


def test_a_round_is_set_by_a_federation_not_a_kitchen(world):
    with pytest.raises(ValidationError, match="federación"):
        services.open_round(scope=SYSTEM, organisation=world.kitchen, service="x", opens_on=days(0), closes_on=days(1))
    with pytest.raises(ValidationError):
        services.open_round(scope=SYSTEM, organisation=world.ves, service="x", opens_on=days(2), closes_on=days(1))


def test_a_kitchen_rates_on_the_web_and_again_replaces_its_rating(client, world):
    r = a_round(world)
    client.force_login(world.leader)
    url = reverse("advocacy:rate", kwargs={"pk": world.kitchen.pk, "round": r.pk})
    assert client.post(url, GOOD).status_code == 302
    assert client.post(url, {**GOOD, "quantity": 1}).status_code == 302
    rating = Rating.objects.get()
    assert rating.quantity == 1 and rating.kitchen == world.kitchen
    bad = client.post(url, {**GOOD, "quality": 7})
    assert bad.status_code == 200 and Rating.objects.get().quality == 5


def test_a_rating_outside_its_dates_or_from_another_federation_is_refused(world):
    closed = a_round(world, opens=-20, closes=-10)
    with pytest.raises(ValidationError, match="va del"):
        services.rate(scope=SYSTEM, score_round=closed, kitchen=world.kitchen, **GOOD)
    with pytest.raises(ValidationError, match="federación"):
        services.rate(scope=SYSTEM, score_round=a_round(world), kitchen=world.kitchen_other, **GOOD)
    with pytest.raises(ValidationError):
        services.rate(scope=SYSTEM, score_round=a_round(world), kitchen=world.kitchen, **{**GOOD, "treatment": 0})


def test_a_kitchen_rates_by_text_message(world):
    r = a_round(world)
    inbound = receive_text(
        gateway="android", channel=Channel.SMS, sender="+51912345678", text=f"CAL {r.pk} 4 3 5 4", external_id="x"
    )
    assert inbound.status == Inbound.Status.ACCEPTED, inbound.error
    assert Rating.objects.get().kitchen == world.kitchen and Rating.objects.get().quality == 5
    wrong = receive_text(
        gateway="android", channel=Channel.SMS, sender="+51912345678", text=f"CAL {r.pk} 4 3", external_id="y"
    )
    assert wrong.status == Inbound.Status.REJECTED and "Ejemplo: CAL" in wrong.error


def test_results_by_municipality_and_over_time_with_the_count_of_kitchens(world):
    other = create_organisation(
        scope=SYSTEM, kind=kind("comedor-popular"), parent=world.ves, name="Comedor Lurín", district=world.lima.district
    )
    first = a_round(world, service="Entregas del PCA")
    ScoreRound.objects.filter(pk=first.pk).update(opens_on=days(-200), closes_on=days(-190))
    first.refresh_from_db()
    Rating.objects.create(round=first, kitchen=world.kitchen, timeliness=2, quantity=2, quality=3, treatment=4)
    Rating.objects.create(round=first, kitchen=world.olla, timeliness=4, quantity=2, quality=3, treatment=5)
    second = a_round(world, service="Entregas del PCA")
    services.rate(scope=SYSTEM, score_round=second, kitchen=world.kitchen, **GOOD)
    services.rate(scope=SYSTEM, score_round=second, kitchen=other, timeliness=1, quantity=1, quality=1, treatment=1)
    results = selectors.score_results(ScoreRound.objects.all())
    ves = [r for r in results if r["ubigeo"] == "150142"]
    assert [(r["round"], r["kitchens"], r["timeliness"], r["treatment"]) for r in ves] == [
        (first.pk, 2, 3.0, 4.5),
        (second.pk, 1, 4.0, 4.0),
    ]
    lima = [r for r in results if r["ubigeo"] == world.lima.district_id]
    assert [(r["round"], r["kitchens"], r["quality"]) for r in lima] == [(second.pk, 1, 1.0)]


def test_the_public_page_shows_the_score_card(client, world):
    r = a_round(world)
    services.rate(scope=SYSTEM, score_round=r, kitchen=world.kitchen, **GOOD)
    page = client.get(reverse("advocacy:public", kwargs={"kind": "federacion", "key": world.ves.pk})).content.decode()
    assert "Calificación comunitaria" in page and "Entregas del PCA" in page and "Villa El Salvador" in page


def test_the_federation_page_lists_its_laws_and_the_municipality_page_only_its_own_ratings(client, world):
    law = services.follow_law(scope=SYSTEM, organisation=world.lima, kind="law", title="Ley 31071")
    services.add_milestone(scope=SYSTEM, law=law, on=days(-30), text="Reglamento", reached=True)
    other = create_organisation(
        scope=SYSTEM, kind=kind("comedor-popular"), parent=world.ves, name="Comedor Lurín", district=world.lima.district
    )
    r = a_round(world)
    services.rate(scope=SYSTEM, score_round=r, kitchen=world.kitchen, **GOOD)
    services.rate(scope=SYSTEM, score_round=r, kitchen=other, **GOOD)
    page = client.get(reverse("advocacy:public", kwargs={"kind": "federacion", "key": world.ves.pk})).content.decode()
    assert "Ley 31071" in page and "Reglamento" in page
    muni = client.get(reverse("advocacy:public", kwargs={"kind": "municipio", "key": "150142"})).content.decode()
    assert f"{world.kitchen.district.name}</td>" in muni and f"{world.lima.district.name}</td>" not in muni
