"""`ayni check-integrity` for advocacy: the stage is the last in its history, the overdue flag
is what the sweep would set, and every kept evidence file still matches its SHA-256."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ayni.advocacy import services
from ayni.advocacy.integrity import advocacy_violations
from ayni.advocacy.models import Commitment
from ayni.files.models import StoredFile
from tests.advocacy_helpers import commitment, days, photo

pytestmark = pytest.mark.django_db


def test_a_clean_record_has_no_violations(world):
    commitment(world, files=[photo()])
    commitment(world, made_on=days(-40), deadline=days(-10), text="vencido")
    services.mark_overdue()
    assert advocacy_violations() == []


def test_a_stage_changed_behind_the_history_is_named(world):
    c = commitment(world)
    Commitment.objects.filter(pk=c.pk).update(stage="fulfilled")
    assert any(f"compromiso {c.pk}" in p and "historia" in p for p in advocacy_violations())


def test_a_wrong_or_missed_overdue_flag_is_named(world):
    wrong = commitment(world, deadline=days(10))
    Commitment.objects.filter(pk=wrong.pk).update(overdue=True)
    missed = commitment(world, made_on=days(-40), deadline=days(-10), text="no barrido")
    problems = advocacy_violations()
    assert any(f"compromiso {wrong.pk}: marcado vencido" in p for p in problems)
    assert any(f"compromiso {missed.pk}: abierto" in p for p in problems)


def test_an_evidence_file_altered_in_storage_fails_the_command(world):
    commitment(world, files=[photo()])
    StoredFile.objects.update(content=b"\xff\xd8\xff altered")
    with pytest.raises(CommandError):
        call_command("check-integrity")
