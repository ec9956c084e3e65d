"""The OpenRosa server, request by request as ODK Collect talks to it: form list, form download,
manifest and its CSV lists, the HEAD before a submission, multipart submissions with
attachments, resubmissions, `deprecatedID` edits, split submissions and every bad input of
issue 20. Specifications: OpenRosa Form List API, Form Submission API and HTTP Request API
(https://docs.getodk.org/openrosa/), ODK XForms (https://getodk.github.io/xforms-spec/#metadata)."""

import gzip
import hashlib
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ayni.capture.models import Channel, Inbound
from ayni.kitchens.models import DailyReport, DeliveryReceipt, StockMovement
from ayni.people.models import Language, Person
from ayni.reach.models import SubmissionFile
from tests.capture_helpers import make_token
from tests.conftest import as_scope
from tests.kitchens import TODAY, days_ago, item, report
from tests.reach_helpers import COLLECT, basic, instance, instance_id_of, jpeg, submit, xml_of

pytestmark = pytest.mark.django_db

LIST = "{http://openrosa.org/xforms/xformsList}"
MANIFEST = "{http://openrosa.org/xforms/xformsManifest}"
RESPONSE = "{http://openrosa.org/http/response}"


def daily(world, **values):
    fields = {"kitchen": world.kitchen.pk, "date": TODAY.isoformat(), "is_closed": "no", "rations_prepared": 90,
              "served_paying": 60, "served_subsidised": 20, "served_free": 10, "price_per_ration": "3.5",
              "cash_received": "210", "cooks_count": 2}
    return instance("ayni_parte_diario", **{**fields, **values})


def message(response) -> str:
    return xml_of(response.content).find(f"{RESPONSE}message").text


# --- Form list, form, manifest, lists ---------------------------------------------------------

def test_collect_without_credentials_is_challenged_for_basic(client, world):
    response = client.get("/odk/formList", **COLLECT)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Basic realm="Ayni"')
    assert response["X-OpenRosa-Version"] == "1.0"
    assert "contraseña" in message(response)


def test_the_form_list_has_her_forms_with_hashes_and_manifests(client, world):
    response = client.get("/odk/formList", **basic())
    assert response.status_code == 200 and response["X-OpenRosa-Version"] == "1.0"
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    forms = {f.find(f"{LIST}formID").text: f for f in xml_of(response.content)}
    assert set(forms) == {"ayni_parte_diario", "ayni_movimiento", "ayni_recepcion"}
    daily_form = forms["ayni_parte_diario"]
    assert daily_form.find(f"{LIST}name").text == "Parte diario"
    assert daily_form.find(f"{LIST}hash").text.startswith("md5:")
    assert daily_form.find(f"{LIST}downloadUrl").text == "http://testserver/odk/forms/ayni_parte_diario.xml"
    assert daily_form.find(f"{LIST}manifestUrl").text == "http://testserver/odk/forms/ayni_parte_diario/manifest"
    download = client.get(daily_form.find(f"{LIST}downloadUrl").text, **basic())
    assert download.status_code == 200 and b'id="ayni_parte_diario"' in download.content
    assert "md5:" + hashlib.md5(download.content).hexdigest() == daily_form.find(f"{LIST}hash").text  # noqa: S324
    assert b"Runasimi (qu)" in download.content and b"Yanusqa raciones" in download.content
    one = client.get("/odk/formList?formID=ayni_movimiento", **basic())
    assert [f.find(f"{LIST}formID").text for f in xml_of(one.content)] == ["ayni_movimiento"]


def test_the_form_list_is_gzipped_for_collect(client, world):
    response = client.get("/odk/formList", HTTP_ACCEPT_ENCODING="gzip", **basic())
    assert response["Content-Encoding"] == "gzip"
    assert b"ayni_parte_diario" in gzip.decompress(response.content)


def test_the_manifest_lists_her_kitchens_only_and_the_hash_matches_the_file(client, world):
    manifest = xml_of(client.get("/odk/forms/ayni_recepcion/manifest", **basic()).content)
    media = {m.find(f"{MANIFEST}filename").text: m for m in manifest}
    assert set(media) == {"kitchens.csv", "schedules.csv"}
    kitchens = client.get(media["kitchens.csv"].find(f"{MANIFEST}downloadUrl").text, **basic())
    assert kitchens.content.decode() == f"name,label\n{world.kitchen.pk},Comedor Popular Santa Rosa\n"
    assert media["kitchens.csv"].find(f"{MANIFEST}hash").text == "md5:" + hashlib.md5(kitchens.content).hexdigest()  # noqa: S324
    coordinator = client.get("/odk/forms/ayni_recepcion/media/kitchens.csv", **basic("carmen")).content.decode()
    assert "Santa Rosa" in coordinator and "Los Jardines" in coordinator and "Belén" not in coordinator
    items = client.get("/odk/forms/ayni_movimiento/media/items.csv", **basic()).content.decode()
    assert "arroz,Arroz (kg)" in items
    assert client.get("/odk/forms/ayni_movimiento/media/schedules.csv", **basic()).status_code == 404


def test_someone_who_records_for_no_kitchen_sees_no_forms(client, world):
    assert list(xml_of(client.get("/odk/formList", **basic("vera")).content)) == []
    assert client.get("/odk/forms/ayni_parte_diario.xml", **basic("vera")).status_code == 404
    assert client.get("/odk/forms/ayni_otro.xml", **basic()).status_code == 404


def test_a_phone_key_in_the_address_works_like_her_password_and_a_wrong_one_is_not_found(client, world):
    key = make_token(world.leader, "celular de Rosa")
    response = client.get(f"/odk/key/{key}/formList", **COLLECT)
    urls = [f.find(f"{LIST}downloadUrl").text for f in xml_of(response.content)]
    assert f"http://testserver/odk/key/{key}/forms/ayni_parte_diario.xml" in urls
    assert client.get(f"/odk/key/{key}x/formList", **COLLECT).status_code == 404
    assert submit(client, daily(world), url=f"/odk/key/{key}/submission", auth=COLLECT).status_code == 201
    assert Inbound.objects.get().user == world.leader


def test_a_wrong_password_is_counted_and_too_many_lock_the_door(client, world, settings):
    for _n in range(settings.AYNI_LOGIN_MAX_FAILURES if hasattr(settings, "AYNI_LOGIN_MAX_FAILURES") else 5):
        assert client.get("/odk/formList", **basic(password="mala")).status_code == 401
    locked = None
    for _n in range(10):
        locked = client.get("/odk/formList", **basic())
        if locked.status_code == 429:
            break
    assert locked.status_code == 429 and "intentos" in message(locked)


def test_over_plain_http_the_password_is_refused_when_the_install_is_https(client, world, settings):
    settings.SECURE = True
    response = client.get("/odk/formList", **basic())
    assert response.status_code == 403 and "HTTPS" in message(response)
    assert client.get("/odk/formList", secure=True, **basic()).status_code == 200


# Every persona with her own password: the forms she sees, the kitchens in her list, and a report
# for the Lima kitchen (Santa Rosa), as in the access matrix (tests/test_access.py).
PERSONAS = {  # persona: (forms listed, Santa Rosa in her kitchens.csv, status of a report for it)
    "leader": (3, True, 201), "leader_other": (3, False, 403), "coordinator": (3, True, 201),
    "coordinator_other": (3, False, 403), "national": (3, True, 201), "viewer": (0, False, 403),
    "platform": (3, True, 201), "outsider": (0, False, 403),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_sees_and_sends_only_within_her_scope(client, world, persona):
    forms, lists_it, status = PERSONAS[persona]
    auth = basic(getattr(world, persona).username)
    assert len(xml_of(client.get("/odk/formList", **auth).content)) == forms
    media = client.get("/odk/forms/ayni_parte_diario/media/kitchens.csv", **auth)
    assert (media.status_code == 200 and "Santa Rosa" in media.content.decode()) is lists_it
    assert submit(client, daily(world), auth=auth).status_code == status
    assert DailyReport.objects.filter(kitchen=world.kitchen).exists() is (status == 201)


# --- Submissions ------------------------------------------------------------------------------

def test_head_before_a_submission_answers_204_with_the_accepted_length(client, world):
    response = client.head("/odk/submission", **basic())
    assert response.status_code == 204
    assert int(response["X-OpenRosa-Accept-Content-Length"]) >= 10 * 1024 * 1024
    assert response["X-OpenRosa-Version"] == "1.0"
    assert client.head("/odk/submission", **COLLECT).status_code == 401


def test_a_daily_report_from_collect_is_stored_raw_and_saved_by_the_kitchen_service(client, world):
    xml = daily(world)
    response = submit(client, xml)
    assert response.status_code == 201 and response["X-OpenRosa-Version"] == "1.0"
    root = xml_of(response.content)
    assert root.tag == f"{RESPONSE}OpenRosaResponse"
    assert root.find(f"{RESPONSE}message").get("nature") == "submit_success"
    saved = DailyReport.objects.get(kitchen=world.kitchen, date=TODAY)
    assert (saved.rations_prepared, saved.served_paying, saved.cash_received) == (90, 60, Decimal("210"))
    assert saved.updated_by == world.leader
    stored = Inbound.objects.get()
    assert stored.channel == Channel.ODK and stored.kind == Inbound.Kind.REPORT
    assert stored.payload["xml"] == xml.decode() and stored.status == Inbound.Status.ACCEPTED
    assert stored.client_id.startswith(instance_id_of(xml) + "/")


def test_the_same_instance_sent_again_is_answered_without_storing_twice(client, world):
    xml = daily(world)
    assert submit(client, xml).status_code == 201
    again = submit(client, xml)
    assert again.status_code == 201 and Inbound.objects.count() == 1 and DailyReport.objects.count() == 1


def test_a_movement_and_a_receipt_with_its_photo(client, world):
    movement = instance("ayni_movimiento", kitchen=world.kitchen.pk, date=TODAY.isoformat(), kind="purchase",
                        item="arroz", quantity="25", unit_price="3.80", party="Mercado Unicachi")
    assert submit(client, movement).status_code == 201
    line = StockMovement.objects.get()
    assert (line.kind, line.item_id, line.delta, line.unit_price) == ("purchase", "arroz", 25, Decimal("3.80"))

    from ayni.kitchens import services
    schedule = services.create_schedule(scope=as_scope(None), kitchen=world.kitchen,
                                        municipality=world.kitchen.district, item=item("aceite"),
                                        quantity=Decimal(20), period_start=days_ago(30), period_end=TODAY,
                                        due_on=days_ago(2))
    lists = client.get("/odk/forms/ayni_recepcion/media/schedules.csv", **basic()).content.decode()
    assert f"{schedule.pk}," in lists and f",{world.kitchen.pk}\n" in lists
    receipt = instance("ayni_recepcion", kitchen=world.kitchen.pk, schedule=schedule.pk,
                       received_on=TODAY.isoformat(), quantity="18", condition="partial", photo="1764410000000.jpg")
    response = submit(client, receipt, jpeg())
    assert response.status_code == 201, message(response)
    saved = DeliveryReceipt.objects.get()
    assert (saved.schedule, saved.quantity, saved.condition) == (schedule, 18, "partial")
    kept = SubmissionFile.objects.get()
    assert kept.name == "1764410000000.jpg" and kept.file.kind == "jpeg"
    assert kept.inbound.kind == Inbound.Kind.RECEIPT


def test_a_split_submission_joins_its_files_to_one_stored_submission(client, world):
    schedule_xml = daily(world, notes="con fotos")
    first = submit(client, schedule_xml, jpeg("a.jpg"), incomplete=True)
    second = submit(client, schedule_xml, jpeg("b.jpg", size=(50, 30)))
    assert (first.status_code, second.status_code) == (201, 201)
    assert Inbound.objects.count() == 1 and DailyReport.objects.count() == 1
    assert sorted(SubmissionFile.objects.values_list("name", flat=True)) == ["a.jpg", "b.jpg"]


def test_an_edit_in_collect_replaces_her_report_and_an_edit_after_a_web_change_is_a_conflict(client, world):
    original = daily(world)
    submit(client, original)
    edit = daily(world, served_paying=70, rations_prepared=100, deprecated_id=instance_id_of(original))
    assert submit(client, edit).status_code == 201
    saved = DailyReport.objects.get()
    assert (saved.served_paying, saved.version) == (70, 2)

    report(world.kitchen, TODAY, served_paying=75, rations_prepared=110)  # the coordinator corrects it on the web
    late = daily(world, served_paying=72, rations_prepared=100, deprecated_id=instance_id_of(edit))
    response = submit(client, late)
    assert response.status_code == 409 and "Otra persona" in message(response)
    assert DailyReport.objects.get().served_paying == 75  # the web's change stands
    assert Inbound.objects.filter(status=Inbound.Status.CONFLICT).count() == 1  # and hers is kept


def test_a_resubmission_after_a_web_edit_changes_nothing_and_stores_nothing(client, world):
    xml = daily(world)
    submit(client, xml)
    report(world.kitchen, TODAY, served_paying=75, rations_prepared=110)
    assert submit(client, xml).status_code == 201
    assert DailyReport.objects.get().served_paying == 75 and Inbound.objects.count() == 1


def test_unusual_numbers_ask_her_to_confirm_in_the_form_and_the_corrected_instance_is_taken(client, world):
    xml = daily(world, rations_prepared=9000, served_paying=9000, served_subsidised=0, served_free=0)
    response = submit(client, xml)
    assert response.status_code == 400 and "Sí, las cifras están bien" in message(response)
    assert not DailyReport.objects.exists()
    # Collect keeps the instanceID when a form that failed to send is edited and sent again.
    confirmed = daily(world, rations_prepared=9000, served_paying=9000, served_subsidised=0, served_free=0,
                      confirm="yes", instance_id=instance_id_of(xml))
    assert submit(client, confirmed).status_code == 201
    assert DailyReport.objects.get().rations_prepared == 9000 and Inbound.objects.count() == 2
    # Accepted once, other content under that instanceID is refused, as ODK Central does.
    other = daily(world, served_paying=1, instance_id=instance_id_of(xml))
    assert submit(client, other).status_code == 409 and Inbound.objects.count() == 2


# --- Bad input --------------------------------------------------------------------------------

def test_an_old_form_version_with_the_same_fields_is_taken(client, world):
    assert submit(client, daily(world, version="2026010101")).status_code == 201
    assert DailyReport.objects.exists()


def test_an_old_form_version_whose_fields_changed_is_kept_for_correction(client, world):
    xml = daily(world, version="2025010101", racion_extra="5")
    response = submit(client, xml)
    assert response.status_code == 400
    assert "versión anterior" in message(response) and "racion_extra" in message(response)
    stored = Inbound.objects.get()
    assert stored.status == Inbound.Status.REJECTED and stored.payload["xml"] == xml.decode()
    assert not DailyReport.objects.exists()


def test_malformed_xml_is_stored_as_it_came_and_refused_in_words(client, world):
    xml = b"<parte_diario id='ayni_parte_diario'><kitchen>1</kitch"
    response = submit(client, xml)
    assert response.status_code == 400 and "dañado" in message(response)
    assert Inbound.objects.get().payload["xml"] == xml.decode()
    assert submit(client, xml).status_code == 400 and Inbound.objects.count() == 1  # resent: kept once


def test_an_entity_bomb_is_refused_without_expanding_it(client, world):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            b"<parte_diario id='ayni_parte_diario'><notes>&lol2;</notes></parte_diario>")
    response = submit(client, bomb)
    assert response.status_code == 400 and not DailyReport.objects.exists()


def test_a_missing_instance_id_is_refused_and_kept(client, world):
    xml = daily(world).replace(b"<instanceID>", b"<otro>").replace(b"</instanceID>", b"</otro>")
    response = submit(client, xml)
    assert response.status_code == 400 and "instanceID" in message(response)
    assert Inbound.objects.get().status == Inbound.Status.REJECTED and not DailyReport.objects.exists()


def test_a_submission_without_the_xml_part_is_refused(client, world):
    response = client.post("/odk/submission", {"foto.jpg": jpeg()}, **basic())
    assert response.status_code == 400 and "xml_submission_file" in message(response)


def test_an_attachment_over_the_limit_is_refused_and_the_form_kept(client, world, monkeypatch):
    from ayni.reach import services
    monkeypatch.setattr(services, "MAX_ATTACHMENT_BYTES", 1000)
    response = submit(client, daily(world), jpeg(size=(400, 400)))
    assert response.status_code == 400
    assert "no se aceptó" in message(response) and "se guardaron" in message(response)
    assert DailyReport.objects.exists() and not SubmissionFile.objects.exists()


def test_a_zip_bomb_dressed_as_a_photo_is_refused(client, world):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"0" * 50_000_000)
        archive.writestr("[Content_Types].xml", b"<Types/>")
    bomb = SimpleUploadedFile("1764410000000.jpg", out.getvalue(), content_type="image/jpeg")
    response = submit(client, daily(world), bomb)
    assert response.status_code == 400 and "1764410000000.jpg" in message(response)
    assert not SubmissionFile.objects.exists()


def test_a_kitchen_outside_her_scope_is_refused_and_the_submission_kept(client, world):
    response = submit(client, daily(world, kitchen=world.kitchen_other.pk))
    assert response.status_code == 403 and "permiso" in message(response)
    stored = Inbound.objects.get()
    assert stored.kitchen is None and stored.status == Inbound.Status.REJECTED
    assert not DailyReport.objects.exists()


def test_an_unknown_form_is_refused_and_kept(client, world):
    xml = daily(world).replace(b'id="ayni_parte_diario"', b'id="kobo_encuesta"')
    response = submit(client, xml)
    assert response.status_code == 400 and "kobo_encuesta" in message(response)
    assert Inbound.objects.count() == 1


def test_answers_are_in_quechua_for_a_leader_who_speaks_quechua_only(client, world):
    person = Person.objects.create(given_names="Rosa", paternal_surname="Quispe")
    person.languages.set([Language.objects.get(code="quechua")])
    world.leader.person = person
    world.leader.save()
    response = submit(client, daily(world, kitchen=world.kitchen_other.pk))
    assert "permisoyuq" in message(response)


def test_a_failed_submission_is_replayed_by_capture_with_the_same_reader(client, world, monkeypatch):
    from ayni.capture import inbound
    from ayni.kitchens import services

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "save_daily_report", broken)
    monkeypatch.setattr(inbound, "save_daily_reports", broken)
    # A new day's report is answered once stored; the batch that saves it breaks, and it waits.
    response = submit(client, daily(world))
    assert response.status_code == 201 and Inbound.objects.get().status == Inbound.Status.FAILED
    monkeypatch.undo()
    assert inbound.replay() == {Inbound.Status.ACCEPTED: 1}
    assert DailyReport.objects.get().served_paying == 60


def test_check_integrity_finds_an_instance_applied_twice(client, world):
    from ayni.reach.integrity import submission_violations

    xml = daily(world)
    submit(client, xml)
    submit(client, xml)
    submit(client, daily(world, date=days_ago(1).isoformat()))
    assert submission_violations() == []
    first = Inbound.objects.order_by("pk").first()
    Inbound.objects.create(channel=Channel.ODK, kind=first.kind, payload=first.payload, payload_hash="x" * 64,
                           user=first.user, client_id=first.client_id.split("/")[0] + "/otro", status="accepted")
    assert submission_violations() == [f"instancia ODK {instance_id_of(xml)} aplicada 2 veces"]
