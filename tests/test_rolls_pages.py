"""The roll's pages: the kitchen's list, adding and exiting on a phone, print, history, counts."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from ayni.rolls.models import ExitReason, RollEntry
from tests.rolls_helpers import put_on_roll

pytestmark = pytest.mark.django_db


def add_form(**extra):
    today = timezone.localdate().isoformat()
    data = {"given_names": "Dionisia", "paternal_surname": "Quispe", "maternal_surname": "Huamán",
            "birth_date": "1948-02-10", "sex": "F", "category": "adulto-mayor", "ration": "subsidised",
            "since": today, "consent_method": "signed", "consent_on": today}
    data.update(extra)
    return data


def test_a_leader_adds_a_person_and_finds_her_on_the_roll(login, world):
    client = login(world.leader)
    response = client.post(reverse("rolls:add", kwargs={"pk": world.kitchen.pk}), add_form(dni="41234567"))
    assert response.status_code == 302
    assert response["Location"] == reverse("rolls:roll", kwargs={"pk": world.kitchen.pk})
    entry = RollEntry.objects.get(person__dni="41234567")
    assert entry.kitchen == world.kitchen and entry.consent_recorded_by == world.leader
    page = client.get(response["Location"]).content.decode()
    assert "Quispe Huamán, Dionisia" in page and "41234567" in page


def test_save_and_add_another_returns_to_an_empty_form(login, world):
    response = login(world.leader).post(reverse("rolls:add", kwargs={"pk": world.kitchen.pk}),
                                        add_form(otra="1"))
    assert response["Location"] == reverse("rolls:add", kwargs={"pk": world.kitchen.pk})


def test_the_add_form_shows_errors_in_spanish(login, world):
    client = login(world.leader)
    page = client.post(reverse("rolls:add", kwargs={"pk": world.kitchen.pk}),
                       add_form(dni="4123456", ration="free", consent_method="verbal")).content.decode()
    assert "El DNI debe tener 8 dígitos" in page
    assert "Indique el motivo del caso social" in page
    assert "quien lo presenció" in page
    assert not RollEntry.objects.exists()


def test_an_age_that_does_not_fit_the_category_is_refused(login, world):
    page = login(world.leader).post(reverse("rolls:add", kwargs={"pk": world.kitchen.pk}),
                                    add_form(category="nino-menor-6")).content.decode()
    assert "no corresponde a esa edad" in page


def test_a_known_dni_adds_the_existing_person(login, world):
    login(world.leader).post(reverse("rolls:add", kwargs={"pk": world.kitchen.pk}),
                             add_form(dni="45678912", given_names="María Elena", paternal_surname="Quispe",
                                      maternal_surname="Mamani", birth_date="1975-03-14", category="otro"))
    entry = RollEntry.objects.get()
    assert entry.person == world.member


def test_before_creating_it_asks_if_she_is_the_same_as_a_similar_person(login, world):
    other = put_on_roll(world.olla, given_names="Dionisia", paternal_surname="Quispe", maternal_surname="Huaman",
                        birth_date=datetime.date(1948, 2, 10))
    client = login(world.coordinator)
    url = reverse("rolls:add", kwargs={"pk": world.kitchen.pk})
    page = client.post(url, add_form(given_names="Dionicia")).content.decode()
    assert "¿Es la misma persona que alguna de estas?" in page and "Olla Común Los Jardines" in page
    assert not RollEntry.objects.filter(kitchen=world.kitchen).exists()

    client.post(url, add_form(given_names="Dionicia", misma=str(other.person.pk)))
    assert RollEntry.objects.get(kitchen=world.kitchen).person == other.person


def test_she_may_answer_that_it_is_another_person(login, world):
    other = put_on_roll(world.olla, given_names="Dionisia", paternal_surname="Quispe", maternal_surname="Huaman",
                        birth_date=datetime.date(1948, 2, 10))
    login(world.coordinator).post(reverse("rolls:add", kwargs={"pk": world.kitchen.pk}), add_form(misma="nueva"))
    assert RollEntry.objects.get(kitchen=world.kitchen).person != other.person


def test_a_leader_is_not_asked_about_people_she_cannot_see(login, world):
    put_on_roll(world.olla, given_names="Dionisia", paternal_surname="Quispe", maternal_surname="Huaman",
                birth_date=datetime.date(1948, 2, 10))
    response = login(world.leader).post(reverse("rolls:add", kwargs={"pk": world.kitchen.pk}), add_form())
    assert response.status_code == 302


def test_exit_from_the_roll(login, world):
    entry = put_on_roll(world.kitchen)
    client = login(world.leader)
    response = client.post(reverse("rolls:exit", kwargs={"pk": entry.pk}),
                           {"until": timezone.localdate().isoformat(), "reason": ExitReason.MOVED, "note": "A Ica"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.until == timezone.localdate() and entry.exit_note == "A Ica"
    page = client.get(reverse("rolls:roll", kwargs={"pk": world.kitchen.pk})).content.decode()
    assert "Condori Apaza, Teodosia" not in page and "El padrón está vacío" in page


def test_edit_an_entry(login, world):
    entry = put_on_roll(world.kitchen)
    response = login(world.leader).post(reverse("rolls:edit", kwargs={"pk": entry.pk}), {
        "category": "discapacidad", "ration": "free", "social_case_reason": "Abandono", "since": entry.since,
        "consent_method": "signed", "consent_on": entry.consent_on, "notes": ""})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.ration == "free" and entry.category_id == "discapacidad"


def test_the_roll_filters_by_category_and_shows_counts(login, world):
    put_on_roll(world.kitchen, "discapacidad", given_names="Aurelia")
    put_on_roll(world.kitchen, "adulto-mayor", given_names="Benita")
    page = login(world.leader).get(reverse("rolls:roll", kwargs={"pk": world.kitchen.pk}),
                                   {"categoria": "discapacidad"}).content.decode()
    assert "Aurelia" in page and "Benita" not in page
    assert "Por categoría" in page and "Por tipo de ración" in page


def test_the_roll_page_does_not_grow_queries_with_people(login, world, django_assert_max_num_queries):
    for i in range(30):
        put_on_roll(world.kitchen, given_names=f"Persona {i}")
    client = login(world.leader)
    with django_assert_max_num_queries(16):
        assert client.get(reverse("rolls:roll", kwargs={"pk": world.kitchen.pk})).status_code == 200


def test_the_print_view_has_a_signature_column(login, world):
    put_on_roll(world.kitchen, dni="10293847")
    page = login(world.leader).get(reverse("rolls:print", kwargs={"pk": world.kitchen.pk})).content.decode()
    assert "Firma o huella" in page and "10293847" in page and "rolls/print.css" in page


def test_a_viewer_reads_the_counts_but_never_a_name(login, world):
    put_on_roll(world.kitchen, dni="10293847")
    client = login(world.viewer)
    page = client.get(reverse("rolls:summary", kwargs={"pk": world.ves.pk})).content.decode()
    assert "personas en el padrón" in page and "Teodosia" not in page and "10293847" not in page
    assert client.get(reverse("rolls:roll", kwargs={"pk": world.kitchen.pk})).status_code == 403
    detail = client.get(reverse("orgs:detail", kwargs={"pk": world.kitchen.pk})).content.decode()
    assert reverse("rolls:summary", kwargs={"pk": world.kitchen.pk}) in detail


def test_the_kitchen_page_links_to_its_roll(login, world):
    page = login(world.leader).get(reverse("orgs:detail", kwargs={"pk": world.kitchen.pk})).content.decode()
    assert reverse("rolls:roll", kwargs={"pk": world.kitchen.pk}) in page


def test_a_federation_has_no_roll_of_its_own(login, world):
    assert login(world.coordinator).get(reverse("rolls:roll", kwargs={"pk": world.ves.pk})).status_code == 404


def test_a_person_history_page(login, world):
    entry = put_on_roll(world.kitchen, since=timezone.localdate() - datetime.timedelta(days=40))
    RollEntry.objects.filter(pk=entry.pk).update(until=timezone.localdate() - datetime.timedelta(days=5),
                                                 exit_reason=ExitReason.OTHER_KITCHEN)
    put_on_roll(world.olla, person=entry.person)
    page = login(world.coordinator).get(reverse("rolls:person", kwargs={"pk": entry.person_id})).content.decode()
    assert "Comedor Popular Santa Rosa" in page and "Olla Común Los Jardines" in page and "Pasó a otro comedor" in page
