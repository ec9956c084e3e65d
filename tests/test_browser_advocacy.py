"""On a 360-px phone: a coordinator records a commitment with the photo of the signed acta and
publishes it, a follow-up arrives by text message, the deadline passes (the clock moves) and the
public page — no login — shows it overdue beside the deliveries promised and not received."""

import datetime
import io

import pytest
from django.utils import timezone
from PIL import Image

from ayni.advocacy.models import Commitment, Evidence
from ayni.advocacy.services import mark_overdue
from ayni.capture.inbound import receive_text
from ayni.capture.models import Channel, Inbound
from tests.advocacy_helpers import days, mayor, schedule
from tests.browser import log_in
from tests.conftest import PASSWORD, build_world
from tests.governance_helpers import Clock
from tests.phone_checks import assert_fits_the_phone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def acta_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(out, "JPEG")
    return out.getvalue()


def test_a_commitment_with_its_acta_followed_up_by_text_falls_overdue_on_the_public_page(page, monkeypatch):
    world = build_world()
    world.coordinator.phone = "987111222"
    world.coordinator.save(update_fields=["phone"])
    authority = mayor()
    schedule(world, due=days(-10), quantity=20, received=20)  # arrived
    schedule(world, due=days(5), quantity=20)  # promised, never arrives

    log_in(page, "carmen", PASSWORD)
    page.goto(f"/incidencia/{world.ves.pk}/")
    page.get_by_role("link", name="Registrar un compromiso").click()
    assert_fits_the_phone(page)
    page.get_by_label("Autoridad o candidata(o)").select_option(str(authority.pk))
    page.get_by_label("Tipo").select_option("food")
    page.get_by_label("Qué se comprometió").fill("Entregar los alimentos del PCA completos y a tiempo")
    page.get_by_label("Fecha del compromiso").fill(days(-30).isoformat())
    page.get_by_label("Plazo").fill(days(10).isoformat())
    page.get_by_label("Municipio").fill("150142")
    page.get_by_label("Entregas de alimentos desde").fill(days(-30).isoformat())
    page.get_by_label("Entregas hasta").fill(days(20).isoformat())
    page.get_by_label("Archivo (foto o escaneo del acta, audio, video, PDF)").set_input_files(
        {"name": "acta.jpg", "mimeType": "image/jpeg", "buffer": acta_photo()}
    )
    page.get_by_label("Descripción").fill("Acta firmada con el alcalde")
    page.get_by_role("button", name="Guardar").click()
    page.get_by_text("Compromiso registrado").wait_for()
    assert_fits_the_phone(page)
    page.get_by_role("button", name="Publicar").click()
    page.get_by_text("Publicado.").wait_for()
    c = Commitment.objects.get()
    assert Evidence.objects.get(commitment=c).published

    inbound = receive_text(
        gateway="android", channel=Channel.SMS, sender="+51987111222", text=f"K {c.pk} AVANCE llegó la primera entrega"
    )
    assert inbound.status == Inbound.Status.ACCEPTED, inbound.error

    later = timezone.now() + datetime.timedelta(days=15)
    Clock(monkeypatch).at(later)
    assert mark_overdue() == 1  # the nightly sweep, under the moved clock

    page.context.clear_cookies()  # the public page: nobody signed in
    page.goto(f"/compromisos/federacion/{world.ves.pk}/")
    assert_fits_the_phone(page)
    card = page.locator(f"#c{c.pk}")
    card.get_by_text("vencido hace 5 días").wait_for()
    card.get_by_text("llegó la primera entrega").wait_for()
    text = card.inner_text()
    assert "2 entregas programadas" in text and "1 sin recibir" in text and "1 con retraso" in text
    photo = card.get_by_role("link", name="Acta firmada con el alcalde")
    assert page.request.get(photo.get_attribute("href")).headers["content-type"] == "image/jpeg"


def test_a_follow_up_recorded_without_signal_is_sent_once_when_the_signal_returns(page):
    from tests.advocacy_helpers import commitment
    from tests.test_browser_capture import until

    world = build_world()
    c = commitment(world, kind="other", text="Construir el local comunal del comedor")
    url = f"/incidencia/{world.ves.pk}/{c.pk}/etapa/"
    log_in(page, "carmen", PASSWORD)
    page.goto(url)
    until(page, "navigator.serviceWorker.controller !== null")
    page.goto(url)
    until(page, f"caches.open('ayni-1').then(c => c.match('{url}')).then(r => !!r)")
    assert_fits_the_phone(page)

    page.context.set_offline(True)
    page.goto(url)  # the form opens from the phone
    page.get_by_label("Etapa").select_option("progress")
    page.get_by_label("Nota").fill("Ya pusieron los cimientos")
    page.get_by_label("Enlace (video, noticia)").fill("https://noticias.example.org/cimientos")
    page.get_by_role("button", name="Guardar").click()
    page.get_by_text("guardado en el teléfono, se enviará").wait_for()
    page.get_by_text("Esperando para enviar: 1").wait_for()
    assert_fits_the_phone(page)
    assert c.changes.count() == 1

    page.context.set_offline(False)
    page.get_by_text("Se envió lo guardado en el teléfono: 1").wait_for()
    c.refresh_from_db()
    assert c.stage == Commitment.Stage.IN_PROGRESS and c.changes.count() == 2
    change = c.changes.latest("pk")
    assert change.note == "Ya pusieron los cimientos" and change.recorded_by == world.coordinator
    assert change.evidence.get().link == "https://noticias.example.org/cimientos"
    assert Inbound.objects.get(kind=Inbound.Kind.FOLLOW_UP).status == Inbound.Status.ACCEPTED

    # A step back without a note, kept offline, comes back refused in words, and can be discarded.
    page.context.set_offline(True)
    page.goto(url)
    page.get_by_label("Etapa").select_option("registered")
    page.get_by_role("button", name="Guardar").click()
    page.get_by_text("Esperando para enviar: 1").wait_for()
    page.context.set_offline(False)
    page.get_by_text("es volver atrás: escriba en la nota por qué").wait_for()
    assert c.changes.count() == 2
    page.get_by_role("button", name="Descartar el mío").click()
    page.get_by_text("es volver atrás").wait_for(state="detached")
