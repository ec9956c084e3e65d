"""The library of experiences: written in five steps, reviewed by the federation, published to
the network or to everyone, found by topic, place and words, read on a cheap phone."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse

from ayni.accounts.scope import Scope
from ayni.audit.models import AuditEntry
from ayni.files.models import StoredFile
from ayni.geo.models import District
from ayni.memory import selectors, services
from ayni.memory.integrity import experience_violations
from ayni.memory.models import Experience, ExperienceFile, ExperienceReview
from tests.memory_helpers import SYSTEM, experience_for, png, published

pytestmark = pytest.mark.django_db


def test_a_draft_goes_to_review_only_with_its_five_steps(world):
    experience = experience_for(world, scope=Scope.for_user(world.leader), reflection="")
    with pytest.raises(ValidationError, match="reflexión"):
        services.submit_experience(scope=Scope.for_user(world.leader), experience=experience)
    services.edit_experience(scope=Scope.for_user(world.leader), experience=experience,
                             reflection="Funcionó porque fuimos juntas.")
    services.submit_experience(scope=Scope.for_user(world.leader), experience=experience)
    experience.refresh_from_db()
    assert experience.status == Experience.Status.IN_REVIEW
    with pytest.raises(ValidationError):  # what is in review is not changed under the reviewer
        services.edit_experience(scope=Scope.for_user(world.leader), experience=experience, title="Otro")


def test_the_federation_reviews_and_whoever_wrote_it_does_not(world):
    carmen = Scope.for_user(world.coordinator)
    experience = experience_for(world, org=world.ves, scope=carmen)
    services.submit_experience(scope=carmen, experience=experience)
    with pytest.raises(ValidationError, match="no la revisa"):
        services.review_experience(scope=carmen, experience=experience, decision="publish", audience="network")
    with pytest.raises(Http404):  # a kitchen leader does not review; the district federation is out of her sight
        services.review_experience(scope=Scope.for_user(world.leader), experience=experience, decision="publish",
                                   audience="network")
    services.review_experience(scope=Scope.for_user(world.national), experience=experience, decision="publish",
                               audience="network")
    experience.refresh_from_db()
    assert experience.status == "published" and experience.audience == "network" and experience.published_at
    assert ExperienceReview.objects.get(experience=experience).by == world.national
    assert AuditEntry.objects.filter(action="experience.review", object_id=str(experience.pk)).exists()


def test_returned_with_observations_needs_them_and_can_be_edited_again(world):
    experience = experience_for(world)
    services.submit_experience(scope=SYSTEM, experience=experience)
    with pytest.raises(ValidationError):
        services.review_experience(scope=Scope.for_user(world.coordinator), experience=experience, decision="return")
    services.review_experience(scope=Scope.for_user(world.coordinator), experience=experience, decision="return",
                               note="Falta contar quiénes participaron.")
    experience.refresh_from_db()
    assert experience.status == "returned"
    services.edit_experience(scope=Scope.for_user(world.leader), experience=experience,
                             recovery="Participaron 40 socias y la federación distrital.")


def test_who_reads_what(world, client):
    network = published(world, audience="network", title="Huerto en época seca")
    public = published(world, audience="public", title="Gas pagado por la municipalidad")
    draft = experience_for(world, title="Borrador del comedor")
    seen = {
        "anon": Scope(user_id=None),
        "outsider": Scope.for_user(world.outsider),
        "juana": Scope.for_user(world.leader_other),
        "rosa": Scope.for_user(world.leader),
        "vera": Scope.for_user(world.viewer),
        "elena": Scope.for_user(world.coordinator_other),
    }
    visible = {who: set(selectors.visible_experiences(s).values_list("pk", flat=True)) for who, s in seen.items()}
    assert visible["anon"] == visible["outsider"] == {public.pk}
    assert visible["juana"] == visible["vera"] == visible["elena"] == {public.pk, network.pk}
    assert visible["rosa"] == {public.pk, network.pk, draft.pk}
    assert client.get(reverse("memory:experience", kwargs={"exp": network.pk})).status_code == 404
    assert client.get(reverse("memory:experience", kwargs={"exp": public.pk})).status_code == 200


def test_script_in_the_text_is_shown_as_text(world, client):
    experience = published(world, title="<script>alert(1)</script>Ollas",
                           recovery='Fuimos <img src=x onerror="alert(2)"> al concejo.\n\nY ganamos.')
    page = client.get(reverse("memory:experience", kwargs={"exp": experience.pk})).content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;Ollas" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=" in page
    assert "<p>Y ganamos.</p>" in page  # paragraphs kept, nothing else


def test_a_file_that_is_not_what_it_claims_is_refused_and_nothing_is_kept(world):
    experience = experience_for(world)
    fake = SimpleUploadedFile("foto.jpg", b"<html><script>alert(1)</script></html>", content_type="image/jpeg")
    with pytest.raises(ValidationError):
        services.attach_file(scope=SYSTEM, experience=experience, upload=fake)
    assert not ExperienceFile.objects.exists() and not StoredFile.objects.exists()


def test_a_photo_is_served_only_where_its_experience_is_read(world, client, login):
    experience = experience_for(world)
    photo = services.attach_file(scope=Scope.for_user(world.leader), experience=experience,
                                 upload=SimpleUploadedFile("olla.png", png()), caption="La olla común")
    url = reverse("memory:experience_file", kwargs={"exp": experience.pk, "file": photo.pk})
    assert client.get(url).status_code == 404  # a draft's photo is not public
    response = login(world.leader).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    client.logout()
    services.submit_experience(scope=SYSTEM, experience=experience)
    services.review_experience(scope=SYSTEM, experience=experience, decision="publish", audience="public")
    assert client.get(url).status_code == 200
    other = published(world, title="Otra")
    assert client.get(reverse("memory:experience_file", kwargs={"exp": other.pk, "file": photo.pk})).status_code == 404


def test_search_by_words_topic_and_place(world):
    gas = published(world, title="El gas lo paga la Municipalidad", topics="gas, incidencia municipal")
    huerto = published(world, title="Un huerto en la época seca", topics="huerto",
                       districts=[District.objects.get(code="080108")], recovery="Sembramos quinua y habas.")
    anon = Scope(user_id=None)

    def found(**query):
        return set(selectors.search_experiences(anon, **query).values_list("pk", flat=True))

    assert found(words="CONCEJO") == {gas.pk}
    assert found(words="época") == found(words="epoca") == {huerto.pk}
    assert found(words="sembr quinua") == {huerto.pk}  # a word's start finds it
    assert found(words="quinua concejo") == set()  # every word must be there
    assert found(topic="huerto") == {huerto.pk}
    assert found(place="08") == found(place="0801") == found(place="080108") == {huerto.pk}
    assert found(place="15") == {gas.pk}
    assert found() == {gas.pk, huerto.pk}


def test_the_library_page_searches_in_few_queries(world, client, django_assert_max_num_queries):
    for i in range(8):
        published(world, title=f"Experiencia {i}", topics=f"tema {i % 3}, gas")
    with django_assert_max_num_queries(8):
        page = client.get(reverse("memory:experiences"), {"q": "gas"}).content.decode()
    assert page.count('href="/experiencias/') >= 8


def test_the_experience_page_is_light(world, client, django_assert_max_num_queries):
    experience = published(world)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("memory:experience", kwargs={"exp": experience.pk}))
    assert len(response.content) < 14_000


def test_a_withdrawn_publication_is_told_to_harvesters_and_can_be_revised(world):
    experience = published(world)
    stamped = experience.oai_stamp
    with pytest.raises(ValidationError):
        services.withdraw_experience(scope=Scope.for_user(world.coordinator), experience=experience, reason="")
    services.withdraw_experience(scope=Scope.for_user(world.coordinator), experience=experience,
                                 reason="Nombra a una menor de edad")
    experience.refresh_from_db()
    assert experience.status == "returned" and experience.harvested and experience.oai_stamp >= stamped
    services.edit_experience(scope=Scope.for_user(world.leader), experience=experience, title="Corregida")


def test_the_pages_write_submit_review_and_publish(world, login):
    client = login(world.leader)
    response = client.post(reverse("memory:experience_new", kwargs={"pk": world.kitchen.pk}), {
        "title": "Cocina mejorada", "language": "quechua", "topics": "leña, salud",
        "districts": "150142 999999", "starting_point": "x"})
    assert response.status_code == 200 and "999999" in response.content.decode()
    assert not Experience.objects.exists()
    response = client.post(reverse("memory:experience_new", kwargs={"pk": world.kitchen.pk}), {
        "title": "Cocina mejorada", "language": "quechua", "topics": "leña, salud", "districts": "150142",
        "organisations": [world.ves.pk], "starting_point": "Humo en la cocina", "initial_questions": "¿Cómo?",
        "recovery": "Construimos.", "reflection": "Sirvió.", "arrival": "Menos humo."})
    experience = Experience.objects.get()
    assert response.status_code == 302 and {t.slug for t in experience.topics.all()} == {"lena", "salud"}
    assert list(experience.organisations.all()) == [world.ves]
    client.post(reverse("memory:experience_submit", kwargs={"exp": experience.pk}))
    client = login(world.coordinator)
    assert "Cocina mejorada" in client.get(reverse("memory:review_queue")).content.decode()
    client.post(reverse("memory:experience_review", kwargs={"exp": experience.pk}),
                {"decision": "publish", "audience": "public"})
    experience.refresh_from_db()
    assert experience.is_public and experience.oai_stamp is not None


def test_integrity_names_an_experience_published_without_review(world):
    experience = experience_for(world)
    assert experience_violations() == []
    Experience.objects.filter(pk=experience.pk).update(status="published", audience="public")
    problems = experience_violations()
    assert any("sin revisión" in p for p in problems) and any("OAI-PMH" in p for p in problems)


def test_the_register_page_reads_in_few_queries(world, login, django_assert_max_num_queries):
    from ayni.people.services import register_person
    from tests.memory_helpers import memorial_for

    for i in range(6):
        person = register_person(scope=SYSTEM, organisation=world.kitchen, given_names=f"Lideresa {i}",
                                 paternal_surname=f"Recordada{i}")
        memorial_for(world, person=person)
    client = login(world.coordinator)
    with django_assert_max_num_queries(16):
        page = client.get(reverse("memory:memorial", kwargs={"pk": world.lima.pk})).content.decode()
    assert page.count("/memoria/registro/") == 6
