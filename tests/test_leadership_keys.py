"""The signing keys are wrapped under a key-encryption key kept outside the database: SECRET_KEY
no longer touches them, keys made before are wrapped again by `ayni leadership-keys`, the key
itself rotates, and `ayni check-integrity` names an active key that does not open."""

import io
import stat

import pytest
from django.core.management import call_command
from django.test import override_settings

from ayni.leadership import integrity, keys, services, verification
from ayni.leadership.models import IssuerKey
from ayni.lib import keyfile
from tests.leadership_helpers import SYSTEM, certified

pytestmark = pytest.mark.django_db


@pytest.fixture
def keyfile_path(tmp_path, settings, monkeypatch):
    monkeypatch.delenv(keys.ENV, raising=False)
    settings.LEADERSHIP_KEY_FILE = tmp_path / "leadership" / "signing.key"
    return settings.LEADERSHIP_KEY_FILE


def _run(*args) -> str:
    out = io.StringIO()
    call_command("leadership-keys", *args, stdout=out)
    return out.getvalue()


def _legacy(key: IssuerKey) -> None:
    """Wrap the key as it was before the key-encryption key: under SECRET_KEY."""
    raw = keys._unwrap(key)
    IssuerKey.objects.filter(pk=key.pk).update(private_key=keys._legacy_box().encrypt(raw), wrapped_by=keys.LEGACY)
    key.refresh_from_db()


def test_with_nothing_set_the_first_key_writes_a_key_file_only_its_owner_reads(world, keyfile_path):
    assert not keyfile_path.exists()
    c = certified(world)["certificate"]
    assert keyfile_path.exists() and stat.S_IMODE(keyfile_path.stat().st_mode) == 0o600
    assert c.key.wrapped_by == keys.kek_id(keys.keyring()[0])
    assert keys.ensure_keyring() is False  # never a second one over it


def test_changing_secret_key_does_not_touch_the_signing_keys(world, keyfile_path, client):
    c = certified(world)["certificate"]
    with override_settings(SECRET_KEY="a-completely-different-secret-key-for-this-test"):
        key = IssuerKey.objects.get(pk=c.key_id)
        assert keys.opens(key) == ""
        services.revoke_certificate(scope=SYSTEM, certificate=c, reason="Prueba")
        assert client.get(f"/verificar/emisora/{world.lima.pk}/estado/").status_code == 200
    assert integrity.check_signing_keys() == []


def test_keys_made_under_secret_key_are_wrapped_again_and_then_survive_its_change(world, keyfile_path):
    c = certified(world)["certificate"]
    _legacy(c.key)
    problems = integrity.check_signing_keys()
    assert len(problems) == 1 and "SECRET_KEY" in problems[0]
    assert "1 claves de firma reenvueltas" in _run()
    assert "0 claves de firma reenvueltas" in _run()  # resumable: done is done
    with override_settings(SECRET_KEY="another-secret-key-after-the-upgrade-0123456789"):
        key = IssuerKey.objects.get(pk=c.key_id)
        assert key.wrapped_by == keys.kek_id(keys.keyring()[0]) and keys.opens(key) == ""
        assert integrity.check_signing_keys() == []
        assert verification.by_credential(c.credential).state == "valid"
    from ayni.audit.models import AuditEntry

    assert AuditEntry.objects.filter(action="leadership.keys_rewrap").count() == 1


def test_a_wrong_or_missing_key_encryption_key_is_named_by_the_integrity_check(world, keyfile_path, monkeypatch):
    certified(world)
    assert integrity.check_signing_keys() == []
    monkeypatch.setenv(keys.ENV, keyfile.encode_key(keys.new_kek()))
    problems = integrity.check_signing_keys()
    assert len(problems) == 1 and "no se puede abrir" in problems[0]
    monkeypatch.setenv(keys.ENV, "not-a-key")
    assert "no se puede abrir" in integrity.check_signing_keys()[0]


def test_the_key_encryption_key_rotates_and_the_old_one_is_retired(world, keyfile_path):
    c = certified(world)["certificate"]
    old = keys.keyring()
    assert "1 claves de firma reenvueltas" in _run("--rotate")
    ring = keys.keyring()
    assert len(ring) == 2 and ring[1] == old[0]
    assert "1 claves antiguas retiradas" in _run("--retire")
    assert keys.keyring() == ring[:1]
    key = IssuerKey.objects.get(pk=c.key_id)
    assert key.wrapped_by == keys.kek_id(ring[0]) and keys.opens(key) == ""


def test_a_wrapped_key_copied_onto_another_key_row_does_not_open(world, keyfile_path):
    certified(world)
    other = services.active_key(world.kitchen)
    mine = IssuerKey.objects.get(organisation=world.lima)
    IssuerKey.objects.filter(pk=other.pk).update(private_key=mine.private_key, wrapped_by=mine.wrapped_by)
    other.refresh_from_db()
    assert "does not open" in keys.opens(other)
