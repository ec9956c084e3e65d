"""The acta: drafted over the assembly's records, approved with the organisation's next number,
frozen and hashed; a locked acta refuses every change; the PDF carries the attendance list in the
registry's form; signed paper is kept as hashed files."""

import datetime
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from ayni.governance import acta as actas
from ayni.governance import services
from ayni.governance.integrity import acta_violations, governance_violations
from ayni.governance.models import Acta, Attendance, DebateSummary, SignedPage
from tests.conftest import build_world
from tests.governance_helpers import SYSTEM, Clock, convene, in_session, socias
from tests.test_kitchens_concurrency import run_at_once


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def photo(colour=(200, 180, 150), name="lista.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), colour).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def held_assembly(org, clock, *, motion_text="Aprobar el informe económico"):
    """An assembly that met with quorum, voted one motion by show of hands and closed."""
    assembly = in_session(convene(org), clock)
    motion = services.add_motion(scope=SYSTEM, item=assembly.agenda.first(), text=motion_text, ballot="hands")
    services.open_motion(scope=SYSTEM, motion=motion)
    present = assembly.electors.count()
    services.record_hand_count(scope=SYSTEM, motion=motion, yes=max(1, present - 1), no=present - max(1, present - 1))
    services.close_motion(scope=SYSTEM, motion=motion)
    clock.at(assembly.starts_at + datetime.timedelta(hours=2))
    services.close_assembly(scope=SYSTEM, assembly=assembly)
    assembly.refresh_from_db()
    return assembly


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_a_draft_reads_the_assembly_and_the_pdf_shows_the_attendance_list(world, clock):
    socias(world.kitchen, 2)
    assembly = held_assembly(world.kitchen, clock)
    acta = actas.start_acta(scope=SYSTEM, assembly=assembly)
    item = assembly.agenda.first()
    actas.save_draft(scope=SYSTEM, acta=acta, debates={item.pk: "La tesorera leyó el informe del semestre."})
    content = actas.content_of(acta)
    assert content["number"] is None and content["assembly"]["place"] == "Local comunal"
    assert [p["name"] for p in content["attendance"]][-1] == "María Elena Quispe Mamani"
    assert content["agenda"][0]["motions"][0]["outcome"] == "Aprobada"
    text = pdf_text(actas.render_pdf(acta, "http://testserver/"))
    assert "En el distrito de Villa El Salvador" in text and "BORRADOR" in text
    assert "45678912" in text and "Firma" in text and "Lista de asistencia" in text
    assert "La tesorera leyó el informe" in text and "2 a favor, 1 en contra" in text


def test_the_attendance_sheet_types_every_person_in_fixed_columns_a_block_to_a_page():
    long_name = "María de los Ángeles Huamán Quispe de la Cruz Ccahuana Mamani Condori"
    roll = [{"number": n, "name": f"Socia Prueba {n}", "dni": f"{40000000 + n}", "delegate_of": "", "weight": 1,
             "present": n % 3 != 0, "proxy_to": 2 if n == 3 else None} for n in range(1, 91)]
    roll[4].update(name=long_name, delegate_of="Comedor Popular Santa Rosa", dni="")
    sheet = actas.attendance_sheet(roll)
    lines = [line for block in sheet["blocks"] for line in block.split("\n")]
    assert all(len(line) <= actas.SHEET_WIDTH for line in [sheet["header"], sheet["rule"], *lines])
    assert all(len(block.split("\n")) <= actas.SHEET_ROWS for block in sheet["blocks"]) and len(sheet["blocks"]) == 3
    assert sheet["header"].split() == ["N.º", "Apellidos", "y", "nombres", "DNI", "Asistió", "Firma"]
    # Everyone once, in order, with her DNI, whether she came (or whom she gave her proxy) and a line to sign.
    starts = [line for line in lines if line.strip() and line.split()[0].isdigit() and line.endswith(actas.SIGN_LINE)]
    assert [int(line.split()[0]) for line in starts] == list(range(1, 91))
    assert "40000001" in starts[0] and " sí " in starts[0] and " no " in starts[5] and "poder a 2" in starts[2]
    # A name longer than its column goes on to the next lines, under the names, nothing cut.
    fifth = lines.index(starts[4])
    words = starts[4].split()
    following = lines[fifth + 1:lines.index(starts[5])]
    assert words[-3:] == ["—", "sí", actas.SIGN_LINE] and len(following) >= 1
    assert words[1:-3] + " ".join(following).split() == f"{long_name} (Comedor Popular Santa Rosa)".split()
    assert actas.attendance_sheet([])["blocks"] == []


def test_approval_numbers_freezes_and_hashes_and_any_edit_is_refused(world, clock):
    first = actas.start_acta(scope=SYSTEM, assembly=held_assembly(world.kitchen, clock))
    first = actas.approve_acta(scope=SYSTEM, acta=first)
    assert first.number == 1 and first.is_locked and len(first.sha256) == 64
    assert actas.sha256_of(first.content) == first.sha256
    with pytest.raises(ValidationError) as exc:
        actas.save_draft(scope=SYSTEM, acta=first, debates={}, observations="Otra cosa")
    assert "ya está aprobada y no se modifica" in str(exc.value) and "acta posterior" in str(exc.value)
    with pytest.raises(ValidationError):
        actas.approve_acta(scope=SYSTEM, acta=first)
    # The records beneath may change afterwards (a name corrected); the approved acta does not.
    world.member.given_names = "María Elenita"
    world.member.save()
    text = pdf_text(actas.render_pdf(Acta.objects.get(pk=first.pk), "http://testserver/"))
    assert "María Elena Quispe" in text and "María Elenita" not in text
    assert first.sha256[:32] in text.replace("\n", "")
    assert acta_violations() == []


def test_numbers_are_correlative_per_organisation_and_a_correction_names_the_earlier(world, clock):
    socias(world.olla, 2)
    one = actas.approve_acta(scope=SYSTEM, acta=actas.start_acta(
        scope=SYSTEM, assembly=held_assembly(world.kitchen, clock)))
    other_org = actas.approve_acta(scope=SYSTEM, acta=actas.start_acta(
        scope=SYSTEM, assembly=held_assembly(world.olla, clock)))
    two = actas.start_acta(scope=SYSTEM, assembly=held_assembly(world.kitchen, clock))
    with pytest.raises(ValidationError) as exc:
        actas.save_draft(scope=SYSTEM, acta=two, debates={}, corrects=one)
    assert "qué se corrige" in str(exc.value)
    with pytest.raises(ValidationError):
        actas.save_draft(scope=SYSTEM, acta=two, debates={}, corrects=other_org, correction="x")
    actas.save_draft(scope=SYSTEM, acta=two, debates={}, corrects=one,
                     correction="Donde dice 3 socias presentes debe decir 4.")
    two = actas.approve_acta(scope=SYSTEM, acta=two)
    assert (one.number, other_org.number, two.number) == (1, 1, 2)
    text = pdf_text(actas.render_pdf(two, "http://testserver/"))
    assert "corrige el acta N.º 1" in text and "debe decir 4" in text


def test_an_acta_is_approved_only_when_the_assembly_has_concluded(world, clock):
    assembly = in_session(convene(world.kitchen), clock)
    acta = actas.start_acta(scope=SYSTEM, assembly=assembly)
    with pytest.raises(ValidationError) as exc:
        actas.approve_acta(scope=SYSTEM, acta=acta)
    assert "Cierre primero la asamblea" in str(exc.value)
    assert Acta.objects.get().number is None
    with pytest.raises(ValidationError):
        actas.start_acta(scope=SYSTEM, assembly=convene(world.olla))


def test_an_assembly_without_quorum_has_an_acta_that_says_so(world, clock):
    socias(world.kitchen, 4)
    services.set_statute_rule(scope=SYSTEM, organisation=world.kitchen, quorum_second="half")
    assembly = convene(world.kitchen)
    clock.at(assembly.starts_at + datetime.timedelta(minutes=5))
    services.record_attendance(scope=SYSTEM, assembly=assembly, numbers=[1], how="tap")
    clock.at(assembly.starts_at + datetime.timedelta(minutes=40))
    services.check_quorum(scope=SYSTEM, assembly=assembly, call="second")
    acta = actas.approve_acta(scope=SYSTEM, acta=actas.start_acta(scope=SYSTEM, assembly=assembly))
    text = pdf_text(actas.render_pdf(acta, "http://testserver/"))
    assert "no se instaló y no adoptó acuerdos" in text and "Asistieron 1 de las 5" in text


def test_the_stored_content_and_its_hash_are_checked_by_integrity(world, clock):
    acta = actas.approve_acta(scope=SYSTEM, acta=actas.start_acta(
        scope=SYSTEM, assembly=held_assembly(world.kitchen, clock)))
    assert governance_violations() == []
    content = json.loads(acta.content)
    content["attendance"] = content["attendance"][:-1]  # someone's name taken off the list
    Acta.objects.filter(pk=acta.pk).update(content=actas.canonical(content))
    problems = acta_violations()
    assert len(problems) == 1 and "acta N.º 1" in problems[0] and "SHA-256" in problems[0]


def test_a_gap_or_a_draft_with_a_number_is_reported(world, clock):
    acta = actas.approve_acta(scope=SYSTEM, acta=actas.start_acta(
        scope=SYSTEM, assembly=held_assembly(world.kitchen, clock)))
    Acta.objects.filter(pk=acta.pk).update(number=3)
    assert any("correlativ" in p for p in acta_violations())


def test_the_paper_list_marks_the_names_tapped_and_keeps_the_photo_hashed(world, clock):
    socias(world.kitchen, 3)
    assembly = convene(world.kitchen)
    clock.at(assembly.starts_at + datetime.timedelta(minutes=10))
    with pytest.raises(ValidationError):
        actas.record_paper_list(scope=SYSTEM, assembly=assembly, numbers=[1, 2], photo=None)
    assert not Attendance.objects.exists()
    bad = SimpleUploadedFile("lista.jpg", b"not an image at all", content_type="image/jpeg")
    with pytest.raises(ValidationError):
        actas.record_paper_list(scope=SYSTEM, assembly=assembly, numbers=[1, 2], photo=bad)
    assert not Attendance.objects.exists() and not SignedPage.objects.exists()
    marked, page = actas.record_paper_list(scope=SYSTEM, assembly=assembly, numbers=[1, 3], photo=photo())
    assert marked == 2 and page.numbers == [1, 3] and len(page.file.sha256) == 64
    assert set(Attendance.objects.values_list("how", flat=True)) == {"paper"}


def test_signed_pages_of_the_acta_are_attached_after_approval_only(world, clock):
    acta = actas.start_acta(scope=SYSTEM, assembly=held_assembly(world.kitchen, clock))
    with pytest.raises(ValidationError):
        actas.attach_signed_acta(scope=SYSTEM, acta=acta, photo=photo())
    acta = actas.approve_acta(scope=SYSTEM, acta=acta)
    page = actas.attach_signed_acta(scope=SYSTEM, acta=acta, photo=photo((10, 20, 30)))
    assert page.kind == SignedPage.Kind.ACTA
    again = actas.attach_signed_acta(scope=SYSTEM, acta=acta, photo=photo((10, 20, 30)))
    assert again.file_id == page.file_id  # the same scan twice is one kept file
    assert acta_violations() == []


def test_the_secretary_writes_approves_and_prints_through_the_pages(client, world, clock):
    assembly = held_assembly(world.kitchen, clock)
    client.force_login(world.leader)
    url = reverse("governance:acta", kwargs={"pk": world.kitchen.pk, "assembly": assembly.pk})
    page = client.get(url)
    assert page.status_code == 200 and "Resumen del debate" in page.content.decode()
    item = assembly.agenda.first()
    client.post(url, {f"debate-{item.pk}": "Se discutió el informe.", "observations": ""})
    assert DebateSummary.objects.get(item=item).text == "Se discutió el informe."
    approve = reverse("governance:acta_approve", kwargs={"pk": world.kitchen.pk, "assembly": assembly.pk})
    html = client.post(approve, follow=True).content.decode()
    assert "Acta N.º 1 aprobada" in html and Acta.objects.get().sha256_spaced in html
    refused = client.post(url, {f"debate-{item.pk}": "Otra versión"}, follow=True).content.decode()
    assert "ya está aprobada y no se modifica" in refused
    assert DebateSummary.objects.get(item=item).text == "Se discutió el informe."
    response = client.get(reverse("governance:acta_pdf", kwargs={"pk": world.kitchen.pk, "assembly": assembly.pk}))
    assert response["Content-Type"] == "application/pdf"
    assert "Lista de asistencia" in pdf_text(response.content)
    client.post(reverse("governance:acta_scan", kwargs={"pk": world.kitchen.pk, "assembly": assembly.pk}),
                {"photo": photo()})
    scan = SignedPage.objects.get()
    shown = client.get(reverse("governance:signed_page", kwargs={"pk": world.kitchen.pk, "assembly": assembly.pk,
                                                                 "page": scan.pk}))
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"


def test_a_viewer_reads_no_names_in_an_acta(client, world, clock):
    assembly = held_assembly(world.kitchen, clock)
    client.force_login(world.viewer)
    kw = {"pk": world.kitchen.pk, "assembly": assembly.pk}
    assert client.get(reverse("governance:acta_pdf", kwargs=kw)).status_code == 403


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers are tested on PostgreSQL")
def test_two_secretaries_approving_at_once_get_consecutive_numbers(monkeypatch):
    world = build_world()
    clock = Clock(monkeypatch)
    drafts = [actas.start_acta(scope=SYSTEM, assembly=held_assembly(world.kitchen, clock, motion_text=f"M{i}"))
              for i in range(4)]
    results = run_at_once(*[(lambda a=a: actas.approve_acta(scope=SYSTEM, acta=a)) for a in drafts])
    assert all(kind == "ok" for kind, _v in results), results
    assert sorted(Acta.objects.values_list("number", flat=True)) == [1, 2, 3, 4]
    assert acta_violations() == []


def test_the_paper_list_page_takes_tapped_names_and_the_photo(client, world, clock):
    socias(world.kitchen, 2)
    assembly = convene(world.kitchen)
    clock.at(assembly.starts_at + datetime.timedelta(minutes=10))
    client.force_login(world.leader)
    kw = {"pk": world.kitchen.pk, "assembly": assembly.pk}
    url = reverse("governance:paper_list", kwargs=kw)
    assert "Socia 2 Prueba002" in client.get(url).content.decode()
    missing = client.post(url, {"n": ["1", "2"]}).content.decode()
    assert "obligatorio" in missing and not Attendance.objects.exists()
    response = client.post(url, {"n": ["1", "2"], "photo": photo()}, follow=True)
    assert "2 asistentes nuevas" in response.content.decode()
    page = SignedPage.objects.get()
    assert page.numbers == [1, 2] and Attendance.objects.filter(how="paper").count() == 2
    assert client.get(reverse("governance:signed_page", kwargs={**kw, "page": page.pk})).status_code == 200


def test_a_consultation_over_days_has_its_acta_with_the_window_and_who_voted(world, clock):
    people = [world.member, *socias(world.kitchen, 2)]
    assembly = convene(world.kitchen, mode="async", window_days=3)
    motion = services.add_motion(scope=SYSTEM, item=assembly.agenda.first(), text="Comprar una cocina",
                                 ballot="secret")
    clock.at(assembly.starts_at + datetime.timedelta(hours=2))
    for person, choice in zip(people, ["yes", "yes", "no"], strict=True):
        services.cast_vote(scope=SYSTEM, motion_id=motion.pk, person=person, choice=choice, channel="sms")
    clock.at(assembly.ends_at + datetime.timedelta(minutes=1))
    services.close_assembly(scope=SYSTEM, assembly=assembly)
    acta = actas.approve_acta(scope=SYSTEM, acta=actas.start_acta(scope=SYSTEM, assembly=assembly))
    content = json.loads(acta.content)
    assert content["assembly"]["is_async"] and len(content["attendance"]) == 3
    # A secret ballot's acta says how many voted what, never who voted how.
    assert "choice" not in acta.content and content["agenda"][0]["motions"][0]["yes"] == 2
    text = pdf_text(actas.render_pdf(acta, "http://testserver/"))
    assert "consulta a distancia" in text and "2 a favor, 1 en contra" in text
