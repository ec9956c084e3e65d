"""Attendance at a leadership school's training session as an ODK form (`ayni_asistencia`): listed
for whoever takes attendance at a session, with her sessions and their enrolled women as CSV
lists in the form's manifest; a submission stored raw and handed to leadership's own attendance
service (`leadership.services.apply_inbound`); resends and edits (`deprecatedID`); refusals.
Specifications: OpenRosa Form List API (https://docs.getodk.org/openrosa-form-list/), ODK XForms
`select_multiple_from_file` and `meta/deprecatedID` (https://getodk.github.io/xforms-spec/)."""

import csv
import io

import pytest

from ayni.capture.models import Inbound
from ayni.leadership.models import Attendance
from tests.leadership_helpers import school
from tests.reach_helpers import basic, instance, submit, xml_of

pytestmark = pytest.mark.django_db

LIST = "{http://openrosa.org/xforms/xformsList}"
MANIFEST = "{http://openrosa.org/xforms/xformsManifest}"
RESPONSE = "{http://openrosa.org/http/response}"


def message(response) -> str:
    return xml_of(response.content).find(f"{RESPONSE}message").text


def listed(client, auth) -> list[str]:
    root = xml_of(client.get("/odk/formList", **auth).content)
    return [x.find(f"{LIST}formID").text for x in root.findall(f"{LIST}xform")]


def attendance(session, numbers=(), typed="", **kwargs) -> bytes:
    return instance(
        "ayni_asistencia", session=session.pk, numbers=" ".join(str(n) for n in numbers), typed=typed, **kwargs
    )


def test_the_form_is_listed_for_a_facilitator_with_her_sessions_and_their_women(client, world):
    assert "ayni_asistencia" not in listed(client, basic())  # a leader who facilitates nothing
    s = school(world, facilitator=world.leader)
    assert "ayni_asistencia" in listed(client, basic())
    manifest = xml_of(client.get("/odk/forms/ayni_asistencia/manifest", **basic()).content)
    names = {m.find(f"{MANIFEST}filename").text for m in manifest.findall(f"{MANIFEST}mediaFile")}
    assert names == {"sessions.csv", "people.csv"}
    sessions = list(
        csv.DictReader(
            io.StringIO(client.get("/odk/forms/ayni_asistencia/media/sessions.csv", **basic()).content.decode())
        )
    )
    assert {int(r["name"]) for r in sessions} == {x.pk for x in s["held"]}  # not the sessions still to come
    people = list(
        csv.DictReader(
            io.StringIO(client.get("/odk/forms/ayni_asistencia/media/people.csv", **basic()).content.decode())
        )
    )
    first = [r for r in people if r["session"] == str(s["held"][0].pk)]
    assert {int(r["name"]) for r in first} == {p.pk for p in s["people"]}
    assert any("María Elena" in r["label"] for r in first)  # her own session's list, by name


def test_an_attendance_list_from_collect_marks_the_women_once(client, world):
    s = school(world, facilitator=world.leader)
    session, (a, b, c) = s["held"][0], s["people"]
    xml = attendance(session, [a.pk, b.pk], typed=f"N° {c.pk}")
    response = submit(client, xml)
    assert response.status_code == 201, message(response)
    assert set(Attendance.objects.filter(session=session).values_list("enrolment__person_id", flat=True)) == {
        a.pk,
        b.pk,
        c.pk,
    }
    stored = Inbound.objects.get()
    assert stored.kind == Inbound.Kind.ATTENDANCE and stored.payload["xml"] == xml.decode()
    assert submit(client, xml).status_code == 201  # sent again: answered, nothing stored or marked twice
    assert Inbound.objects.count() == 1 and Attendance.objects.filter(session=session).count() == 3


def test_an_edit_adds_women_and_cannot_take_anyone_off(client, world):
    s = school(world, facilitator=world.leader)
    session, (a, b, c) = s["held"][1], s["people"]
    original = attendance(session, [a.pk], instance_id="uuid:11111111-1111-4111-8111-111111111111")
    assert submit(client, original).status_code == 201
    more = attendance(
        session,
        [a.pk, b.pk],
        instance_id="uuid:22222222-2222-4222-8222-222222222222",
        deprecated_id="uuid:11111111-1111-4111-8111-111111111111",
    )
    assert submit(client, more).status_code == 201
    assert Attendance.objects.filter(session=session).count() == 2
    fewer = attendance(
        session,
        [c.pk],
        instance_id="uuid:33333333-3333-4333-8333-333333333333",
        deprecated_id="uuid:22222222-2222-4222-8222-222222222222",
    )
    response = submit(client, fewer)
    assert response.status_code == 400 and "quita de la lista" in message(response)
    assert str(a.pk) in message(response) and Attendance.objects.filter(session=session).count() == 2
    assert Inbound.objects.filter(status=Inbound.Status.REJECTED).count() == 1  # kept, refused in words


def test_an_edit_of_a_list_ayni_does_not_have_is_refused(client, world):
    s = school(world, facilitator=world.leader)
    xml = attendance(s["held"][0], [s["people"][0].pk], deprecated_id="uuid:44444444-4444-4444-8444-444444444444")
    response = submit(client, xml)
    assert response.status_code == 400 and "envíe primero el original" in message(response)


def test_a_session_that_is_not_hers_is_refused_and_kept(client, world):
    s = school(world)  # nobody facilitates it; the leader organises nothing in Lima
    response = submit(client, attendance(s["held"][0], [s["people"][0].pk]))
    assert response.status_code == 400 and "no es suya" in message(response)
    assert Inbound.objects.get().status == Inbound.Status.REJECTED and not Attendance.objects.exists()


def test_a_number_not_enrolled_is_refused_by_leadership_and_nobody_is_marked(client, world):
    s = school(world, facilitator=world.leader)
    response = submit(client, attendance(s["held"][0], [s["people"][0].pk], typed="999999"))
    assert response.status_code == 400 and "999999" in message(response)
    assert not Attendance.objects.exists()


def test_an_organiser_takes_attendance_with_her_own_scope(client, world):
    s = school(world)
    auth = basic("carmen")
    assert "ayni_asistencia" in listed(client, auth)
    response = submit(client, attendance(s["held"][0], [p.pk for p in s["people"]]), auth=auth)
    assert response.status_code == 201 and Attendance.objects.count() == 3
