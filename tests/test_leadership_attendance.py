"""Attendance at a training session and the completion rule: by list, card, number, paper and
the offline outbox; refusals; nothing counted twice."""

import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from ayni.accounts.scope import Scope
from ayni.capture import inbound
from ayni.capture.models import Inbound
from ayni.leadership import integrity, services
from ayni.leadership.models import Attendance, Enrolment, PaperList
from tests.conftest import as_scope
from tests.leadership_helpers import SYSTEM, at, attend_all, school

pytestmark = pytest.mark.django_db


def _reload(e):
    return Enrolment.objects.get(pk=e.pk)


def test_completion_needs_the_share_of_sessions_and_the_final_module(world):
    s = school(world, sessions_past=5, sessions_future=0)  # 5 sessions: 80 % is 4, the last is the final
    maria, other, third = s["enrolments"]
    for session in s["held"][:4]:  # four sessions, but not the final
        services.mark_attendance(scope=SYSTEM, session=session, numbers=[maria.person_id], how="list")
    assert _reload(maria).sessions_attended == 4 and _reload(maria).completed_on is None
    for session in s["held"][1:]:  # four sessions including the final
        services.mark_attendance(scope=SYSTEM, session=session, numbers=[other.person_id], how="list")
    done = _reload(other)
    assert done.sessions_attended == 4 and done.final_attended
    assert done.completed_on == s["held"][-1].starts_at.date()
    for session in s["held"][3:]:  # two of five: not enough, even with the final
        services.mark_attendance(scope=SYSTEM, session=session, numbers=[third.person_id], how="list")
    assert _reload(third).completed_on is None


def test_without_the_final_module_rule_the_share_is_enough(world):
    s = school(world, sessions_past=5, sessions_future=0, final_required=False)
    maria = s["enrolments"][0]
    for session in s["held"][:4]:
        services.mark_attendance(scope=SYSTEM, session=session, numbers=[maria.person_id], how="list")
    assert _reload(maria).completed_on is not None


def test_a_session_added_later_changes_who_completed(world):
    s = school(world, sessions_past=4, sessions_future=0)
    attend_all(s)
    assert _reload(s["enrolments"][0]).completed_on is not None
    for n in range(2):  # six sessions now: four of six is 66 %
        services.add_session(scope=SYSTEM, programme=s["programme"], module=s["first"], starts_at=at(-1 - n))
    assert _reload(s["enrolments"][0]).completed_on is None
    assert integrity.check_completion() == []


def test_the_same_woman_scanned_twice_counts_once(world):
    s = school(world)
    session, maria = s["held"][0], s["enrolments"][0]
    first = services.mark_attendance(scope=SYSTEM, session=session, numbers=[maria.person_id], how="card")
    again = services.mark_attendance(scope=SYSTEM, session=session, numbers=[maria.person_id, maria.person_id],
                                     how="card")
    assert [p.pk for p in first.marked] == [maria.person_id]
    assert again.marked == [] and [p.pk for p in again.already] == [maria.person_id]
    assert Attendance.objects.filter(session=session).count() == 1
    assert _reload(maria).sessions_attended == 1


def test_a_session_in_the_future_is_refused(world):
    s = school(world)
    with pytest.raises(ValidationError, match="todavía no se realiza"):
        services.mark_attendance(scope=SYSTEM, session=s["coming"][0], numbers=[world.member.pk], how="list")
    assert not Attendance.objects.exists() or Attendance.objects.filter(session=s["coming"][0]).count() == 0


def test_someone_not_enrolled_is_refused_and_nobody_is_half_marked(world):
    s = school(world)
    stranger = world.member_other.pk
    with pytest.raises(ValidationError, match=f"N° {stranger}"):
        services.mark_attendance(scope=SYSTEM, session=s["held"][0], numbers=[world.member.pk, stranger], how="number")
    assert Attendance.objects.count() == 0


def test_an_invited_woman_not_yet_enrolled_cannot_be_marked(world):
    s = school(world, women=1)
    from tests.governance_helpers import socias

    invited = services.invite(scope=SYSTEM, programme=s["programme"], person=socias(world.kitchen, 1)[0])
    assert invited.status == Enrolment.Status.INVITED
    with pytest.raises(ValidationError, match="No están inscritas"):
        services.mark_attendance(scope=SYSTEM, session=s["held"][0], numbers=[invited.person_id], how="list")


def test_a_facilitator_without_a_role_may_take_her_session_and_nobody_else(world):
    s = school(world, facilitator=world.leader_other)
    services.mark_attendance(scope=as_scope(world.leader_other), session=s["held"][0],
                             numbers=[world.member.pk], how="list")
    with pytest.raises(PermissionDenied):
        services.mark_attendance(scope=as_scope(world.leader), session=s["held"][0], numbers=[world.member.pk],
                                 how="list")


def test_places_are_limited(world):
    s = school(world, women=1)
    s["programme"].places = 1
    s["programme"].save()
    from tests.governance_helpers import socias

    with pytest.raises(ValidationError, match="vacantes"):
        services.invite(scope=SYSTEM, programme=s["programme"], person=socias(world.kitchen, 1)[0], enrol=True)


def test_the_page_marks_by_list_and_by_typed_number(world, login):
    s = school(world)
    client = login(world.coordinator)
    url = reverse("leadership:attendance", kwargs={"session": s["held"][0].pk})
    page = client.get(url)
    assert page.status_code == 200 and "María Elena" in page.content.decode()
    a, b, c = s["enrolments"]
    client.post(url, {"numbers": [a.person_id], "typed": f"N° {b.person_id}", "how": "list"})
    assert set(Attendance.objects.values_list("enrolment_id", flat=True)) == {a.pk, b.pk}
    response = client.post(url, {"typed": str(world.member_other.pk)}, follow=True)
    assert "No están inscritas" in response.content.decode()


def test_the_card_qr_carries_her_number(world, login):
    page = login(world.coordinator).get(reverse("leadership:card", kwargs={"person": world.member.pk}))
    body = page.content.decode()
    assert page.status_code == 200 and "<svg" in body and f"N° de socia: {world.member.pk}" in body
    assert services.parse_numbers(services.card_text(world.member)) == [world.member.pk]


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "JPEG")
    return SimpleUploadedFile("lista.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_a_photographed_paper_list_is_kept_and_its_numbers_marked(world, login):
    s = school(world)
    client = login(world.coordinator)
    numbers = " ".join(str(e.person_id) for e in s["enrolments"][:2])
    client.post(reverse("leadership:paper", kwargs={"session": s["held"][1].pk}), {"photo": _photo(),
                                                                                   "numbers": numbers})
    paper = PaperList.objects.get()
    assert paper.file.kind == "jpeg"
    assert set(Attendance.objects.filter(paper=paper, how="paper").values_list("enrolment__person_id", flat=True)) \
        == {e.person_id for e in s["enrolments"][:2]}


def test_a_file_that_is_not_a_photo_is_refused_and_nothing_marked(world, login):
    s = school(world)
    fake = SimpleUploadedFile("lista.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    response = login(world.coordinator).post(reverse("leadership:paper", kwargs={"session": s["held"][1].pk}),
                                             {"photo": fake, "numbers": str(world.member.pk)}, follow=True)
    assert PaperList.objects.count() == 0 and Attendance.objects.count() == 0
    assert response.status_code == 200


def _batch(client, session, items):
    return client.post(reverse("leadership:batch", kwargs={"session": session.pk}), json.dumps({"items": items}),
                       content_type="application/json")


def test_the_outbox_batch_is_stored_raw_and_processed_once(world, login):
    s = school(world)
    client = login(world.coordinator)
    session = s["held"][0]
    a, b, _c = s["enrolments"]
    item = {"type": "attendance", "client_id": "c-1", "data": {"numbers": f"{a.person_id},{b.person_id}",
                                                                "how": "list"}}
    first = _batch(client, session, [item]).json()
    assert first["results"][0]["status"] == "accepted"
    again = _batch(client, session, [item]).json()  # the phone did not hear the answer and sent it again
    assert again["results"][0] == first["results"][0]
    stored = Inbound.objects.get(kind=Inbound.Kind.ATTENDANCE)
    assert stored.payload["session"] == session.pk and stored.status == Inbound.Status.ACCEPTED
    assert Attendance.objects.filter(session=session).count() == 2


def test_an_outbox_item_refused_stays_visible_with_its_reason(world, login):
    s = school(world)
    client = login(world.coordinator)
    result = _batch(client, s["coming"][0], [{"type": "attendance", "client_id": "c-2",
                                              "data": {"numbers": str(world.member.pk)}}]).json()["results"][0]
    assert result["status"] == "invalid" and "todavía no se realiza" in " ".join(sum(result["errors"].values(), []))
    assert Inbound.objects.get(client_id="c-2").status == Inbound.Status.REJECTED


def test_a_crash_between_storing_and_processing_is_finished_by_replay(world):
    s = school(world)
    stored, _created = inbound.store(channel="outbox", kind=Inbound.Kind.ATTENDANCE, user=world.coordinator,
                                     kitchen=world.lima, client_id="c-3",
                                     payload={"session": s["held"][2].pk, "numbers": str(world.member.pk)})
    assert Attendance.objects.count() == 0
    inbound.replay()
    inbound.replay()
    assert Attendance.objects.filter(session=s["held"][2]).count() == 1
    assert Inbound.objects.get(pk=stored.pk).status == Inbound.Status.ACCEPTED


def test_someone_outside_the_school_gets_not_found(world, login):
    s = school(world)
    client = login(world.coordinator_other)
    assert client.get(reverse("leadership:attendance", kwargs={"session": s["held"][0].pk})).status_code == 404
    assert _batch(client, s["held"][0], []).status_code == 404


def test_integrity_names_a_drifted_completion(world):
    s = school(world)
    attend_all(s)
    Enrolment.objects.filter(pk=s["enrolments"][0].pk).update(sessions_attended=1)
    problems = integrity.check_completion()
    assert len(problems) == 1 and "María Elena" in problems[0]


def test_system_scope_marks_are_audited(world):
    s = school(world)
    services.mark_attendance(scope=Scope.system("prueba"), session=s["held"][0], numbers=[world.member.pk],
                             how="list")
    from ayni.audit.models import AuditEntry

    assert AuditEntry.objects.filter(action="leadership.attendance").count() == 1


def test_the_school_and_session_pages_do_not_grow_with_the_number_of_women(world, login):
    s = school(world, women=2)
    attend_all(s)
    client = login(world.coordinator)
    programme = reverse("leadership:programme", kwargs={"programme": s["programme"].pk})
    session = reverse("leadership:attendance", kwargs={"session": s["held"][0].pk})
    client.get(programme), client.get(session)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = (count(programme), count(session))
    more = school(world, women=0)  # another school; then eight more women in the first
    from tests.governance_helpers import socias

    for person in socias(world.kitchen, 8):
        services.invite(scope=SYSTEM, programme=s["programme"], person=person, enrol=True)
    attend_all(s)
    assert (count(programme), count(session)) == before and more


def test_a_school_for_some_organisations_invites_only_their_women(world, login):
    client = login(world.coordinator)
    response = client.post(reverse("leadership:create", kwargs={"pk": world.lima.pk}), {
        "name": "Taller de Villa El Salvador", "mode": "in_person", "places": 20, "starts_on": "2026-01-10",
        "ends_on": "2026-03-10", "min_attendance_pct": 75, "for_organisations": [world.ves.pk]})
    assert response.status_code == 302
    from ayni.leadership.models import Programme

    programme = Programme.objects.get(name="Taller de Villa El Salvador")
    assert list(programme.for_organisations.all()) == [world.ves]
    services.invite(scope=SYSTEM, programme=programme, person=world.member)  # Santa Rosa is in Villa El Salvador
    other = services.create_programme(scope=SYSTEM, organisation=world.confed, name="Solo Cusco",
                                      starts_on=programme.starts_on, ends_on=programme.ends_on,
                                      for_organisations=[world.cusco])
    with pytest.raises(ValidationError, match="no está entre las organizaciones"):
        services.invite(scope=SYSTEM, programme=other, person=world.member)
    with pytest.raises(ValidationError, match="antes del inicio"):
        services.create_programme(scope=SYSTEM, organisation=world.lima, name="Al revés",
                                  starts_on=programme.ends_on, ends_on=programme.starts_on)
