"""Commitments of authorities and candidates: recorded with their source evidence (hashed, kind
from the bytes, kept once), from an assembly's agreement with one click, moved through their
stages with every change recorded, and made overdue by the nightly sweep."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from ayni.advocacy import services
from ayni.advocacy.models import Commitment, Evidence, StageChange
from ayni.audit.models import AuditEntry
from ayni.files.models import StoredFile, digest
from ayni.governance.models import Agreement
from tests.advocacy_helpers import SYSTEM, adv_agreement, commitment, days, mayor, photo
from tests.conftest import as_scope

pytestmark = pytest.mark.django_db
S = Commitment.Stage


def test_a_commitment_keeps_its_acta_with_its_hash_and_when_it_arrived(world):
    upload = photo()
    content = upload.read()
    upload.seek(0)
    c = commitment(world, scope=as_scope(world.coordinator), files=[upload], caption="Acta firmada")
    evidence = Evidence.objects.get(commitment=c)
    assert evidence.file.sha256 == digest(content) and evidence.file.kind == "jpeg"
    assert evidence.received_at is not None and evidence.recorded_by == world.coordinator
    assert not evidence.published  # the organisation decides, per file
    assert c.stage == S.REGISTERED and c.changes.get().stage_to == S.REGISTERED
    assert AuditEntry.objects.filter(action="advocacy.commit", object_id=str(c.pk)).exists()


def test_the_same_file_twice_is_stored_once_and_linked(world):
    first = commitment(world, files=[photo()])
    second = commitment(world, files=[photo()], text="Otro compromiso")
    services.add_evidence(scope=SYSTEM, commitment=first, files=[photo()])  # the same photo again, same commitment
    assert StoredFile.objects.count() == 1
    assert Evidence.objects.filter(commitment=first).count() == 1
    assert Evidence.objects.get(commitment=second).file_id == Evidence.objects.get(commitment=first).file_id


@pytest.mark.parametrize(
    "content,word",
    [
        (b"MZ\x90\x00" + b"\x00" * 200, "archivo"),  # an executable called acta.jpg
        (b"<html><script>alert(1)</script></html>", "archivo"),
    ],
)
def test_an_impostor_file_is_refused_and_nothing_is_saved(world, content, word):
    with pytest.raises(ValidationError) as refused:
        commitment(world, files=[SimpleUploadedFile("acta.jpg", content, content_type="image/jpeg")])
    assert refused.value.messages
    assert not Commitment.objects.exists() and not StoredFile.objects.exists() and not StageChange.objects.exists()


def _zip_bomb() -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (50 * 1024 * 1024))
    return out.getvalue()


def _pixel_bomb() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(out, "PNG")  # a few KB that unfold into 50 megapixels
    return out.getvalue()


@pytest.mark.parametrize("name,make", [("acta.jpg", _zip_bomb), ("acta.docx", _zip_bomb), ("acta.png", _pixel_bomb)])
def test_a_bomb_dressed_as_an_acta_is_refused_and_nothing_is_saved(world, name, make):
    with pytest.raises(ValidationError) as refused:
        commitment(world, files=[SimpleUploadedFile(name, make(), content_type="image/jpeg")])
    assert refused.value.messages
    assert not Commitment.objects.exists() and not StoredFile.objects.exists() and not StageChange.objects.exists()


def test_a_file_over_the_limit_is_refused(world, settings):
    big = SimpleUploadedFile("acta.pdf", b"%PDF-1.7\n" + b"0" * (11 * 1024 * 1024), content_type="application/pdf")
    with pytest.raises(ValidationError, match="MB"):
        commitment(world, files=[big])
    assert not Commitment.objects.exists()


def test_a_deadline_before_the_day_it_was_made_is_refused(world):
    with pytest.raises(ValidationError) as refused:
        commitment(world, made_on=days(-10), deadline=days(-20))
    assert "plazo" in str(refused.value.message_dict["deadline"])
    assert not Commitment.objects.exists()


def test_no_date_is_a_deadline_too(world):
    c = commitment(world, deadline=None)
    assert services.mark_overdue(days(400)) == 0 and not Commitment.objects.get(pk=c.pk).overdue


def test_only_who_may_edit_the_organisation_records_commitments(world):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    with pytest.raises(Http404):
        commitment(world, scope=as_scope(world.coordinator_other))
    with pytest.raises(PermissionDenied):
        commitment(world, scope=as_scope(world.viewer))


def test_an_agreement_that_involves_an_authority_becomes_a_commitment_with_one_click(world):
    agreement = Agreement.objects.get(pk=adv_agreement(world)["agreement"])
    c = services.commitment_from_agreement(scope=as_scope(world.leader), agreement=agreement)
    assert c.agreement == agreement and c.text == agreement.text and c.organisation == world.kitchen
    assert c.authority.name == "Alcalde de VES" and c.deadline == agreement.deadline
    with pytest.raises(ValidationError, match="ya está registrado"):
        services.commitment_from_agreement(scope=as_scope(world.leader), agreement=agreement)


def test_a_candidate_elected_keeps_her_pledges(world):
    candidate = mayor(is_candidate=True, name="Rosa Candidata")
    c = commitment(world, authority=candidate)
    services.mark_elected(scope=SYSTEM, authority=candidate, on=days(0))
    candidate.refresh_from_db()
    assert not candidate.is_candidate and candidate.elected_on == days(0)
    assert list(candidate.commitments.all()) == [c]


def test_an_unknown_territory_is_refused(world):
    with pytest.raises(ValidationError, match="UBIGEO"):
        mayor(territory="999999")


# --- Stages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        [S.IN_PROGRESS, S.PARTLY, S.FULFILLED],
        [S.IN_PROGRESS, S.NOT_FULFILLED],
        [S.PARTLY],
        [S.FULFILLED],
        [S.NOT_FULFILLED],
    ],
)
def test_every_forward_change_is_recorded_with_date_who_and_note(world, path):
    c = commitment(world)
    for i, stage in enumerate(path):
        services.change_stage(
            scope=as_scope(world.coordinator), commitment=c, stage=stage, note=f"paso {i}", on=days(-10 + i)
        )
    c.refresh_from_db()
    assert c.stage == path[-1]
    changes = list(c.changes.order_by("pk"))
    assert [ch.stage_to for ch in changes] == [S.REGISTERED, *path]
    assert [ch.stage_from for ch in changes[1:]] == [S.REGISTERED, *path[:-1]]
    assert all(ch.recorded_by == world.coordinator for ch in changes[1:])
    assert AuditEntry.objects.filter(action="advocacy.stage", object_id=str(c.pk)).count() == len(path)


@pytest.mark.parametrize(
    "start,back",
    [
        ([S.FULFILLED], S.PARTLY),
        ([S.PARTLY], S.IN_PROGRESS),
        ([S.IN_PROGRESS], S.REGISTERED),
        ([S.NOT_FULFILLED], S.IN_PROGRESS),
        ([S.FULFILLED], S.NOT_FULFILLED),
        ([S.NOT_FULFILLED], S.FULFILLED),
    ],
)
def test_going_back_needs_a_note_saying_why(world, start, back):
    c = commitment(world)
    for stage in start:
        services.change_stage(scope=SYSTEM, commitment=c, stage=stage, note="avance")
    with pytest.raises(ValidationError, match="volver atrás"):
        services.change_stage(scope=SYSTEM, commitment=c, stage=back)
    c.refresh_from_db()
    assert c.stage == start[-1] and c.changes.count() == 1 + len(start)
    services.change_stage(scope=SYSTEM, commitment=c, stage=back, note="La entrega no llegó completa")
    assert Commitment.objects.get(pk=c.pk).stage == back


def test_a_follow_up_in_the_same_stage_needs_a_note_and_may_carry_evidence(world):
    c = commitment(world)
    with pytest.raises(ValidationError, match="seguimiento"):
        services.change_stage(scope=SYSTEM, commitment=c, stage=S.REGISTERED)
    change = services.change_stage(
        scope=SYSTEM,
        commitment=c,
        stage=S.REGISTERED,
        note="Reunión con el alcalde",
        files=[photo("blue")],
        link="https://example.org/noticia",
    )
    assert change.evidence.count() == 2 and c.evidence.count() == 2


def test_a_change_dated_before_the_commitment_is_refused(world):
    c = commitment(world)
    with pytest.raises(ValidationError):
        services.change_stage(scope=SYSTEM, commitment=c, stage=S.IN_PROGRESS, on=c.made_on - datetime.timedelta(1))


# --- Overdue ----------------------------------------------------------------------------------------


def test_the_sweep_makes_open_commitments_past_their_deadline_overdue_with_days_overdue(world):
    late = commitment(world, made_on=days(-40), deadline=days(-10))
    partly = commitment(world, made_on=days(-40), deadline=days(-3), text="parcial")
    services.change_stage(scope=SYSTEM, commitment=partly, stage=S.PARTLY, note="la mitad")
    done = commitment(world, made_on=days(-40), deadline=days(-10), text="cumplido")
    services.change_stage(scope=SYSTEM, commitment=done, stage=S.FULFILLED, note="listo")
    future = commitment(world, made_on=days(-40), deadline=days(5), text="a tiempo")
    today_due = commitment(world, made_on=days(-40), deadline=days(0), text="vence hoy")
    # The partial one moved after its deadline: overdue at once, not only after the sweep.
    assert Commitment.objects.get(pk=partly.pk).overdue
    assert services.mark_overdue() == 1
    assert {c.pk for c in Commitment.objects.filter(overdue=True)} == {late.pk, partly.pk}
    assert Commitment.objects.get(pk=late.pk).days_overdue() == 10
    assert Commitment.objects.get(pk=partly.pk).days_overdue(days(7)) == 10
    assert not Commitment.objects.filter(pk__in=[done.pk, future.pk, today_due.pk], overdue=True).exists()
    assert AuditEntry.objects.filter(action="advocacy.overdue").count() == 1
    assert services.mark_overdue() == 0  # once


def test_fulfilling_an_overdue_commitment_clears_it_and_reopening_it_makes_it_overdue_again(world):
    c = commitment(world, made_on=days(-40), deadline=days(-10))
    services.mark_overdue()
    services.change_stage(scope=SYSTEM, commitment=c, stage=S.FULFILLED, note="llegó todo")
    assert not Commitment.objects.get(pk=c.pk).overdue
    services.change_stage(scope=SYSTEM, commitment=c, stage=S.PARTLY, note="faltaron 3 comedores")
    assert Commitment.objects.get(pk=c.pk).overdue


def test_runperiodic_and_the_command_run_the_sweep(world, capsys):
    commitment(world, made_on=days(-40), deadline=days(-10))
    call_command("mark-overdue")
    assert "commitments_overdue=1" in capsys.readouterr().out
    commitment(world, made_on=days(-40), deadline=days(-5), text="otro")
    call_command("runperiodic")
    assert "commitments_overdue=1" in capsys.readouterr().out
