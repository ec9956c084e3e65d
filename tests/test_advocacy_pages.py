"""The organisation's own advocacy pages: the list and a commitment's record (names of who
recorded only for those who see names), the stage form's refusals put back on the form with
nothing saved, a file of the record for those who see its people, one click from an agreement."""

import pytest
from django.urls import reverse

from ayni.advocacy import services
from ayni.advocacy.models import Commitment, Evidence, StageChange
from tests.advocacy_helpers import SYSTEM, adv_agreement, commitment, days, photo
from tests.conftest import as_scope

pytestmark = pytest.mark.django_db


def test_the_list_puts_overdue_first_in_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    for i in range(15):
        commitment(world, text=f"Compromiso {i}", made_on=days(-60), deadline=days(i - 5))
    services.mark_overdue()
    client.force_login(world.coordinator)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("advocacy:commitments", kwargs={"pk": world.ves.pk})).content.decode()
    assert page.index("Compromiso 0") < page.index("Compromiso 14") and "vencido hace 5 días" in page


def test_going_back_on_the_web_without_a_note_is_refused_on_the_form(client, world):
    c = commitment(world)
    services.change_stage(scope=SYSTEM, commitment=c, stage="fulfilled", note="listo")
    client.force_login(world.coordinator)
    url = reverse("advocacy:stage", kwargs={"pk": world.ves.pk, "commitment": c.pk})
    response = client.post(url, {"stage": "partly", "on": days(0).isoformat(), "note": ""})
    assert response.status_code == 200 and "volver atrás" in response.content.decode()
    assert Commitment.objects.get(pk=c.pk).stage == "fulfilled" and StageChange.objects.count() == 2
    response = client.post(
        url, {"stage": "partly", "on": days(0).isoformat(), "note": "Faltó un comedor", "file": photo("green")}
    )
    assert response.status_code == 302 and Commitment.objects.get(pk=c.pk).stage == "partly"
    assert Evidence.objects.get(commitment=c).change.note == "Faltó un comedor"


def test_an_impostor_upload_on_the_web_is_refused_with_its_reason(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.coordinator)
    c = commitment(world)
    url = reverse("advocacy:evidence_add", kwargs={"pk": world.ves.pk, "commitment": c.pk})
    response = client.post(url, {"file": SimpleUploadedFile("foto.jpg", b"MZ\x90\x00" + b"\x00" * 100)})
    assert response.status_code == 200 and not Evidence.objects.exists()
    assert "errors" in response.content.decode()


def test_who_recorded_a_change_is_shown_only_to_those_who_see_names(client, world):
    c = commitment(world)
    services.change_stage(scope=as_scope(world.coordinator), commitment=c, stage="progress", note="Avanza")
    url = reverse("advocacy:commitment", kwargs={"pk": world.ves.pk, "commitment": c.pk})
    client.force_login(world.coordinator)
    assert "(Carmen)" in client.get(url).content.decode()
    client.force_login(world.viewer)
    page = client.get(url).content.decode()
    assert "Avanza" in page and "(Carmen)" not in page


def test_a_link_has_no_file_address(client, world):
    c = commitment(world, link="https://example.org/video")
    evidence = Evidence.objects.get(commitment=c)
    client.force_login(world.coordinator)
    assert (
        client.get(
            reverse("advocacy:evidence_file", kwargs={"pk": world.ves.pk, "commitment": c.pk, "evidence": evidence.pk})
        ).status_code
        == 404
    )


def test_one_click_from_an_agreement(client, world):
    target = adv_agreement(world)
    client.force_login(world.leader)
    page = client.get(reverse("advocacy:commitments", kwargs={"pk": world.kitchen.pk})).content.decode()
    assert "Registrar como compromiso" in page
    response = client.post(reverse("advocacy:from_agreement", kwargs=target))
    c = Commitment.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{c.pk}/")
    assert c.agreement_id == target["agreement"]
