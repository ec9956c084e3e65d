"""Safety in the interface and at start-up: pages never cached, a short idle session, quick exit,
neutral titles and texts, POST data kept out of error reports, and a wrong or missing master
key locking protection alone."""

import datetime

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from ayni.protection import keys
from ayni.protection.models import Case
from tests.protection_helpers import PLANTED_ALIAS, a_case, protection_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def pw(world):
    return protection_world(world)


def test_protection_pages_are_never_cached_and_titles_say_nothing(client, pw):
    case = a_case(pw)
    client.force_login(pw.dora)
    for url in (reverse("protection:index"), reverse("protection:case", kwargs={"pk": case.pk})):
        response = client.get(url)
        assert "no-store" in response["Cache-Control"]
        title = response.content.decode().split("<title>")[1].split("</title>")[0]
        assert PLANTED_ALIAS not in title and "Caso" not in title and "violencia" not in title.lower()
        assert 'id="quick-exit"' in response.content.decode()


def test_an_idle_protection_session_signs_out(client, pw, settings):
    settings.PROTECTION_IDLE_SECONDS = 60
    case = a_case(pw)
    client.force_login(pw.dora)
    url = reverse("protection:case", kwargs={"pk": case.pk})
    assert client.get(url).status_code == 200
    session = client.session
    session["protection_seen"] = timezone.now().timestamp() - 61
    session.save()
    response = client.get(url)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert client.get(reverse("core:home")).status_code == 302  # signed out everywhere


def test_quick_exit_ends_the_session_and_lands_on_a_neutral_page(client, pw):
    case = a_case(pw)
    client.force_login(pw.dora)
    response = client.post(reverse("protection:exit"))
    assert response.status_code == 302 and response["Location"] == django_settings.PROTECTION_EXIT_URL
    back = client.get(reverse("protection:case", kwargs={"pk": case.pk}))
    assert back.status_code == 302 and PLANTED_ALIAS not in back.content.decode()


def test_flash_messages_are_neutral(client, pw):
    client.force_login(pw.dora)
    response = client.post(reverse("protection:case_new"), {
        "organisation": pw.kitchen.pk, "kind": "violence", "problem": "physical", "alias": PLANTED_ALIAS,
        "age_band": "30-44", "district": "150142", "risk": "severe",
        "opened_on": timezone.localdate().strftime("%d/%m/%Y")}, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["Guardado."]


def test_error_reports_hide_what_was_posted(client, pw, rf):
    from django.views.debug import SafeExceptionReporterFilter

    from ayni.protection import views

    request = rf.post("/proteccion/nuevo/", {"alias": PLANTED_ALIAS})
    request.user, request.session = pw.dora, client.session
    request.scope = __import__("ayni.accounts.scope", fromlist=["Scope"]).Scope.for_user(pw.dora)
    views.case_new(request)
    cleaned = SafeExceptionReporterFilter().get_post_parameters(request)
    assert PLANTED_ALIAS not in str(dict(cleaned))


def test_a_missing_key_locks_protection_and_nothing_else(client, pw, settings, tmp_path):
    case = a_case(pw)
    settings.PROTECTION_KEY_FILE = tmp_path / "none.key"
    client.force_login(pw.dora)
    response = client.get(reverse("protection:case", kwargs={"pk": case.pk}))
    assert response.status_code == 503 and "Cuaderno cerrado" in response.content.decode()
    assert PLANTED_ALIAS not in response.content.decode()
    assert client.get(reverse("core:home")).status_code == 200
    client.force_login(pw.coordinator)
    assert client.get(reverse("orgs:detail", kwargs={"pk": pw.kitchen.pk})).status_code == 200


def test_a_wrong_key_locks_protection_and_writes_nothing(client, pw, settings, tmp_path):
    case = a_case(pw)
    wrong = tmp_path / "wrong.key"
    keys.write_keyfile(wrong, [keys.new_key()])
    settings.PROTECTION_KEY_FILE = wrong
    client.force_login(pw.dora)
    assert client.get(reverse("protection:index")).status_code == 503
    before = Case.objects.count()
    response = client.post(reverse("protection:case_new"), {
        "organisation": pw.kitchen.pk, "kind": "violence", "problem": "physical", "alias": "Otra",
        "age_band": "30-44", "district": "150142", "risk": "low", "opened_on": "01/11/2026"})
    assert response.status_code == 503 and Case.objects.count() == before
    assert case.pk  # the case is still there, sealed, waiting for the right key


def test_a_defensora_phone_hears_of_a_follow_up_without_a_word_of_the_case(pw):
    from ayni.accounts.scope import Scope
    from ayni.capture.models import OutboundMessage
    from ayni.protection.services import add_referral, send_follow_up_reminders

    case = a_case(pw)
    add_referral(scope=Scope.for_user(pw.dora), case=case, kind="police", referred_on=timezone.localdate(),
                 follow_up_on=timezone.localdate())
    assert send_follow_up_reminders(now=timezone.now() + datetime.timedelta(hours=1)) == 1
    assert send_follow_up_reminders() == 0  # once
    body = OutboundMessage.objects.get(to="911111111").body
    assert PLANTED_ALIAS not in body and "comisar" not in body.lower() and "caso" not in body.lower()
