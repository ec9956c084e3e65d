"""Histories and the change log speak Spanish: the field's label, the object's name, values as the
form shows them — never `rations_prepared: 70 · is_closed: False` or `DeliveryReceipt object (4013)`."""

import re

import pytest

from ayni.audit import display
from ayni.audit.models import AuditEntry
from ayni.kitchens import services
from tests.conftest import as_scope
from tests.kitchens import TODAY, kitchen_receipt, report

pytestmark = pytest.mark.django_db

MACHINE_WORDS = re.compile(r"\b(rations_prepared|is_closed|served_\w+|price_per_ration|cash_received|"
                           r"cooks_count|closed_reason|True|False|kitchen\.\w+|\w+ object \(\d+\))\b")


def test_a_days_history_names_each_field_and_marks_what_changed(login, world):
    report(world.kitchen, scope=as_scope(world.leader))
    report(world.kitchen, scope=as_scope(world.leader), version=1, rations_prepared=70, served_paying=50)
    page = login(world.leader).get(f"/cocina/{world.kitchen.pk}/dia/{TODAY.isoformat()}/historial/")
    html = page.content.decode()
    assert page.status_code == 200
    assert not MACHINE_WORDS.search(html), MACHINE_WORDS.search(html)
    assert "Raciones preparadas" in html and "No se cocinó" in html
    # Version 2 marks the two numbers it changed, and only those.
    newest = html.split("Versión 1")[0]
    assert newest.count("(cambió)") == 2
    assert "<strong>70</strong>" in newest and "<strong>50</strong>" in newest
    assert "3.5" in html and "3.50" not in html  # a price as a number, not as stored text


def test_the_change_log_says_what_was_done_to_what_in_words(login, world):
    receipt = kitchen_receipt(world)
    services.delete_receipt(scope=as_scope(world.leader), receipt=receipt)
    report(world.kitchen, scope=as_scope(world.leader), is_closed=True, closed_reason="Sin gas")
    page = login(world.coordinator).get("/auditoria/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Anuló la recepción de una entrega" in html
    assert f"Recepción del {TODAY:%d/%m/%Y}: 10 kg de Arroz" in html
    assert "Guardó el parte diario" in html and "No se cocinó" in html and "Sí" in html
    assert not MACHINE_WORDS.search(html), MACHINE_WORDS.search(html)


def test_every_action_a_service_records_has_words():
    """A new action without a label would reach the page as its code: name it here when you add it."""
    from pathlib import Path

    source = Path(__file__).resolve().parent.parent / "src" / "ayni"
    recorded = set()
    for path in source.rglob("*.py"):
        recorded |= set(re.findall(r'action="([a-z_]+\.[a-z_.]+)"', path.read_text()))
        recorded |= set(re.findall(r'"(account\.(?:activate|deactivate))"', path.read_text()))
    missing = sorted(recorded - set(display.ACTION_LABELS))
    assert recorded and not missing, missing


def test_old_entries_with_a_default_label_are_shown_by_name_and_number(world):
    entry = AuditEntry.objects.create(action="kitchen.receipt.delete", object_type="deliveryreceipt",
                                      object_id="4013", object_label="DeliveryReceipt object (4013)",
                                      org_path=world.kitchen.path)
    assert entry.object_text == "recepción de entrega n.º 4013"
    assert entry.action_text == "Anuló la recepción de una entrega"


def test_values_read_as_the_form_shows_them():
    from ayni.kitchens.models import DailyReport, DeliverySchedule

    rows = display.changes(DailyReport, {"is_closed": False, "price_per_ration": "3.50", "version": 1},
                           {"is_closed": True, "price_per_ration": "3.5", "version": 2})
    assert rows == [("No se cocinó", "No", "Sí", True)]  # 3.50 → 3.5 is no change; version is bookkeeping
    schedule = display.changes(DeliverySchedule, {}, {"item": "arroz", "kind": "state", "due_on": "2026-03-14",
                                                      "kitchen": 7})
    assert ("Alimento", "—", "Arroz (kg)", True) in schedule
    assert ("Fecha de entrega prometida", "—", "14/03/2026", True) in schedule
    assert ("Cocina", "—", "n.º 7", True) in schedule  # another organisation is never named in a change


def test_a_viewer_is_told_why_people_search_shows_no_names(login, world):
    html = login(world.viewer).get("/personas/", {"q": "quispe"}).content.decode()
    assert "Su rol ve solo cifras" in html and "Quispe" not in html
    assert 'name="q"' not in html  # no search box that can only ever come back empty


def test_the_leaders_home_has_her_roll_apart_from_her_organisations_socias(login, world):
    from ayni.rolls.models import Category
    from ayni.rolls.services import register_entry

    register_entry(scope=as_scope(world.leader), kitchen=world.kitchen, person=world.member,
                     category=Category.objects.get(code="otro"), since=TODAY)
    html = login(world.leader).get("/").content.decode()
    assert "Padrón de usuarios: quienes comen aquí" in html and "1 persona en el padrón" in html
    assert f'href="/padron/{world.kitchen.pk}/agregar/"' in html
    assert "Agregar al padrón de usuarios" in html and "Registrar socia de la organización" in html
