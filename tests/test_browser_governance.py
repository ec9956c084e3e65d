"""On a 360-px phone: a secretary convenes an assembly, takes attendance by tapping names,
verifies the quorum, records a show-of-hands vote, writes and approves the acta, whose PDF opens
and shows the attendance list; a socia votes in a consultation from the link on her home page.
Every page fits the phone (tap targets, nothing sideways) and passes axe-core."""

import datetime
import io

import pytest
from django.utils import timezone

from ayni.governance import services
from ayni.governance.models import Acta, Assembly, Motion
from tests.browser import log_in
from tests.conftest import PASSWORD, build_world, make_user
from tests.governance_helpers import SYSTEM, Clock, convene, socias
from tests.phone_checks import assert_fits_the_phone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_secretary_convenes_takes_attendance_and_records_a_show_of_hands(page, monkeypatch):
    world = build_world()
    socias(world.kitchen, 3)
    log_in(page, "rosa", PASSWORD)
    page.get_by_role("link", name="Asambleas").first.click()
    page.get_by_role("link", name="Comedor Popular Santa Rosa").click()
    page.get_by_role("link", name="Convocar a asamblea").click()
    assert_fits_the_phone(page)
    day = timezone.localdate() + datetime.timedelta(days=8)
    page.get_by_label("Presencial", exact=True).check()
    page.get_by_label("Fecha", exact=True).fill(day.isoformat())
    page.get_by_label("Lugar", exact=True).fill("Local comunal")
    page.get_by_label("Agenda: un punto por línea").fill("Informe\nCuotas")
    page.get_by_role("button", name="Guardar").click()
    page.get_by_text("Asamblea convocada").wait_for()
    assembly = Assembly.objects.get()
    Clock(monkeypatch).at(assembly.starts_at + datetime.timedelta(minutes=5))
    page.get_by_role("link", name="Asistencia").click()
    assert_fits_the_phone(page)
    for name in ("Socia 1 Prueba001", "Socia 2 Prueba002", "María Elena Quispe Mamani"):
        page.get_by_label(name, exact=False).check()
    page.get_by_role("button", name="Anotar marcadas").click()
    page.get_by_text("3 asistentes nuevas anotadas").wait_for()
    assert_fits_the_phone(page)
    page.goto(f"/asambleas/{world.kitchen.pk}/{assembly.pk}/")
    page.get_by_role("button", name="Verificar quórum: primera convocatoria").click()
    page.get_by_text("Hay quórum: 3 de 4").wait_for()
    page.get_by_role("link", name="Nueva moción").click()
    page.get_by_label("Moción", exact=True).fill("Aprobar el informe")
    page.get_by_label("A mano alzada (conteo de la secretaria)").check()
    page.get_by_role("button", name="Guardar").click()
    page.get_by_role("button", name="Poner a votación").click()
    page.get_by_role("link", name="Anotar conteo").click()
    page.get_by_label("A favor").fill("2")
    page.get_by_label("En contra").fill("1")
    page.get_by_role("button", name="Guardar").click()
    page.get_by_role("button", name="Cerrar votación").click()
    page.get_by_text("Aprobada").first.wait_for()
    assert_fits_the_phone(page)
    assert Motion.objects.get().outcome == Motion.Outcome.ADOPTED
    page.get_by_role("button", name="Cerrar la asamblea").click()
    page.get_by_text("Asamblea cerrada").wait_for()
    page.get_by_role("link", name="Acta", exact=True).click()
    assert_fits_the_phone(page)
    page.get_by_label("Resumen del debate: punto 1, Informe").fill("La presidenta leyó el informe; hubo dos preguntas.")
    page.get_by_role("button", name="Guardar borrador").click()
    page.get_by_text("Se guardó el borrador del acta").wait_for()
    page.get_by_role("button", name="Aprobar el acta").click()
    page.get_by_text("Acta N.º 1 aprobada y cerrada").wait_for()
    assert_fits_the_phone(page)
    acta = Acta.objects.get()
    assert acta.number == 1 and page.get_by_text(acta.sha256_spaced).first.is_visible()
    response = page.request.get(f"/asambleas/{world.kitchen.pk}/{assembly.pk}/acta.pdf")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    assert "ACTA N.º 1" in text and "Lista de asistencia" in text
    assert "María Elena Quispe Mamani" in text and "45678912" in text and "hubo dos preguntas" in text


def test_a_socia_votes_from_her_phone_in_a_consultation(page, monkeypatch):
    world = build_world()
    assembly = convene(world.kitchen, mode=Assembly.Mode.ASYNC)
    motion = services.add_motion(scope=SYSTEM, item=assembly.agenda.first(), text="¿Compramos una cocina?",
                                 ballot="secret")
    make_user("maria", person=world.member)
    Clock(monkeypatch).at(assembly.starts_at + datetime.timedelta(hours=3))
    log_in(page, "maria", PASSWORD)
    page.get_by_text("Asambleas a las que está convocada").wait_for()
    assert_fits_the_phone(page)
    page.get_by_role("link", name=f"Votar la moción {motion.pk}").click()
    assert_fits_the_phone(page)
    page.get_by_label("A favor").check()
    page.get_by_role("button", name="Votar").click()
    page.get_by_text("quedó registrado").wait_for()
    assert_fits_the_phone(page)
    motion.refresh_from_db()
    assert (motion.yes, motion.voters) == (1, 1)
