"""On a 360-px phone in real Chromium: a facilitator takes attendance without signal and it
syncs when the signal returns; a certificate is verified, with no login, from the address its QR
holds; a coordinator sees who is ready to take over boards whose term is ending."""

import re

import pytest
import segno

from ayni.capture.models import Inbound
from ayni.leadership import services
from ayni.leadership.models import Attendance
from ayni.leadership.views import certificate_html, qr_svg
from tests.browser import checked_page, log_in
from tests.conftest import PASSWORD, build_world
from tests.leadership_helpers import SYSTEM, attend_all, school
from tests.phone_checks import assert_fits_the_phone
from tests.test_browser_capture import until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser, live_server):
    with checked_page(browser, live_server) as page:
        yield page.context, page


def test_a_facilitator_takes_attendance_without_signal_and_it_syncs(phone):
    context, page = phone
    world = build_world()
    s = school(world, women=3, facilitator=world.leader_other)  # Juana facilitates; she has no role in Lima
    session = s["held"][0]
    url = f"/formacion/sesion/{session.pk}/"
    log_in(page, "juana", PASSWORD)
    page.goto(url)
    until(page, "navigator.serviceWorker.controller !== null")
    page.goto(url)
    until(page, f"caches.open('ayni-1').then(c => c.match('{url}')).then(r => !!r)")
    assert_fits_the_phone(page)

    context.set_offline(True)
    page.goto(url)  # the list opens from the phone
    page.get_by_label("María Elena Quispe Mamani", exact=False).check()
    page.get_by_label("O escriba su número de socia").fill(str(s["people"][1].pk))
    page.get_by_role("button", name="Anotar").click()
    page.get_by_text("guardado en el teléfono, se enviará").wait_for()
    page.get_by_text("Esperando para enviar: 1").wait_for()
    assert Attendance.objects.count() == 0

    context.set_offline(False)
    page.get_by_text("Se envió lo guardado en el teléfono: 1").wait_for()
    marked = set(Attendance.objects.filter(session=session).values_list("enrolment__person_id", flat=True))
    assert marked == {world.member.pk, s["people"][1].pk}
    assert Inbound.objects.get(kind=Inbound.Kind.ATTENDANCE).status == Inbound.Status.ACCEPTED
    page.reload()
    page.locator("#present").get_by_text("María Elena Quispe Mamani").wait_for()


def test_a_certificate_is_verified_from_its_qr_on_the_public_page(phone):
    context, page = phone
    world = build_world()
    s = school(world, women=1, sessions_future=0)
    attend_all(s)
    certificate = services.issue_certificate(scope=SYSTEM, enrolment=s["enrolments"][0], show_name=True)
    target = services.public_url("verify:code", code=certificate.code)
    # The QR printed on the certificate holds exactly this address.
    html = certificate_html(certificate, target)
    assert qr_svg(target, scale=3) in html
    assert segno.make(target, error="m").designator
    path = re.sub(r"^https?://[^/]+", "", target)
    page.goto(path)  # nobody is logged in
    page.locator("#verdict").get_by_text("Certificado válido").wait_for()
    page.get_by_text("María Elena Quispe Mamani").wait_for()
    assert_fits_the_phone(page)
    services.revoke_certificate(scope=SYSTEM, certificate=certificate, reason="Error")
    page.reload()
    page.get_by_text("Certificado revocado").wait_for()


def test_a_coordinator_sees_the_succession_list_on_her_home_page(phone):
    _context, page = phone
    world = build_world()
    s = school(world, women=2)
    attend_all(s)
    log_in(page, "carmen", PASSWORD)
    section = page.locator("#succession")
    section.get_by_text("Presidenta").wait_for()
    assert "Socia 1 Prueba001" in section.inner_text()
    assert_fits_the_phone(page)
