"""Text messages end to end: both gateway formats, the leader known by her phone, replies and
reminders through the task queue with retries, and floods rate-limited. Only the network edge
(`gateways._post`) is replaced."""

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.db.models import F
from django.urls import reverse

from ayni.audit.models import AuditEntry
from ayni.capture import gateways, inbound, messages, outbound
from ayni.capture.gateways import GatewayError, twilio_signature
from ayni.capture.models import Channel, Inbound, OutboundMessage
from ayni.capture.tasks import MAX_ATTEMPTS
from ayni.kitchens.models import DailyReport, StockMovement
from ayni.ops.integrity import message_key_violations, repeat_violations
from tests.conftest import as_scope
from tests.kitchens import TODAY, days_ago, report

pytestmark = pytest.mark.django_db

SECRET = "secreto-de-la-pasarela"
TWILIO = {"AYNI_TWILIO_ACCOUNT_SID": "AC123", "AYNI_TWILIO_AUTH_TOKEN": "tw-token", "AYNI_TWILIO_FROM": "+15550001",
          "AYNI_TWILIO_WHATSAPP_FROM": "+15550002"}
ROSA = "+51912345678"  # world.leader's account phone


@pytest.fixture(autouse=True)
def gateway_settings(settings):
    settings.AYNI_SMS_GATEWAY_SECRET = SECRET
    settings.AYNI_SMS_GATEWAY_URL = "https://gateway.example/message"
    settings.AYNI_SMS_GATEWAY = "android"
    for key, value in TWILIO.items():
        setattr(settings, key, value)


@pytest.fixture
def network(monkeypatch):
    """The network edge: records what would be posted; `fail` makes the next N posts fail."""
    class Sent(list):
        state = {"fail": 0}

    sent = Sent()
    state = sent.state = {"fail": 0}

    def fake_post(url, data, headers):
        if state["fail"]:
            state["fail"] -= 1
            raise GatewayError("timeout")
        sent.append({"url": url, "data": data, "headers": headers})

    monkeypatch.setattr(gateways, "_post", fake_post)
    return sent


def android(client, sender, text, ident="", secret=SECRET):
    return client.post(reverse("capture:webhook", kwargs={"gateway": "android"}),
                       json.dumps({"event": "sms:received", "id": ident,
                                   "payload": {"phoneNumber": sender, "message": text}}),
                       content_type="application/json", HTTP_X_AYNI_SECRET=secret)


def twilio(client, sender, text, sid="SM1", sign=True):
    url = "http://testserver" + reverse("capture:webhook", kwargs={"gateway": "twilio"})
    data = {"From": sender, "To": "+15550001", "Body": text, "MessageSid": sid}
    signature = twilio_signature(url, data, TWILIO["AYNI_TWILIO_AUTH_TOKEN"]) if sign else "wrong"
    return client.post(url, data, HTTP_X_TWILIO_SIGNATURE=signature)


def replies(network):
    return [json.loads(m["data"])["message"] if m["url"].startswith("https://gateway") else m["data"].decode()
            for m in network]


def test_a_leader_reports_todays_rations_by_sms_and_gets_a_confirmation(client, world, network):
    response = android(client, ROSA, "R 120 30 10", ident="a-1")
    assert response.status_code == 204
    saved = DailyReport.objects.get(kitchen=world.kitchen, date=TODAY)
    assert (saved.served_paying, saved.served_subsidised, saved.served_free) == (120, 30, 10)
    assert saved.rations_prepared == 160
    assert saved.updated_by == world.leader
    inbound = Inbound.objects.get()
    assert inbound.channel == Channel.SMS and inbound.payload["text"] == "R 120 30 10"
    assert inbound.status == Inbound.Status.ACCEPTED and inbound.kitchen == world.kitchen
    [sent] = network
    assert json.loads(sent["data"]) == {"phoneNumbers": [ROSA], "message": replies(network)[0]}
    assert "160 raciones" in replies(network)[0] and "Santa Rosa" in replies(network)[0]
    assert OutboundMessage.objects.get().status == OutboundMessage.Status.SENT


def test_the_android_gateway_form_format_works_too(client, world, network):
    response = client.post(reverse("capture:webhook", kwargs={"gateway": "android"}),
                           {"from": "912345678", "message": "S ARROZ 50", "message_id": "9", "secret": SECRET})
    assert response.status_code == 204
    line = StockMovement.objects.get(kitchen=world.kitchen)
    assert (line.item_id, line.delta, line.kind) == ("arroz", 50, "state")
    assert "recibido" in replies(network)[0] and "50 kg de arroz" in replies(network)[0]


def test_a_webhook_without_the_secret_is_refused_and_stores_nothing(client, world, network, settings):
    assert android(client, ROSA, "R 1 1 1", secret="otro").status_code == 403
    settings.AYNI_SMS_GATEWAY_SECRET = ""
    assert android(client, ROSA, "R 1 1 1", secret="").status_code == 403
    assert not Inbound.objects.exists() and not network


def test_twilio_sms_with_a_valid_signature(client, world, network):
    response = twilio(client, ROSA, "U aceite 3")
    assert response.status_code == 200 and response["Content-Type"] == "text/xml"
    assert b"<Response></Response>" in response.content
    assert StockMovement.objects.get().kind == "used"
    [sent] = network
    assert sent["url"] == "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json"
    assert b"From=%2B15550001" in sent["data"] and b"To=%2B51912345678" in sent["data"]


def test_twilio_whatsapp_replies_on_whatsapp(client, world, network):
    twilio(client, "whatsapp:" + ROSA, "C sin gas", sid="SM2")
    saved = DailyReport.objects.get(kitchen=world.kitchen, date=TODAY)
    assert saved.is_closed and saved.closed_reason == "sin gas"
    assert Inbound.objects.get().channel == Channel.WHATSAPP
    [sent] = network
    assert b"From=whatsapp%3A%2B15550002" in sent["data"] and b"To=whatsapp%3A%2B51912345678" in sent["data"]


def test_a_bad_twilio_signature_is_refused(client, world, network):
    assert twilio(client, ROSA, "R 1 1 1", sign=False).status_code == 403
    assert not Inbound.objects.exists()


def test_a_gateway_retrying_its_webhook_does_not_record_twice(client, world, network):
    twilio(client, ROSA, "S arroz 10", sid="SM9")
    twilio(client, ROSA, "S arroz 10", sid="SM9")
    assert Inbound.objects.count() == 1 and StockMovement.objects.count() == 1 and len(network) == 1


def test_an_unknown_number_is_stored_and_told_what_to_do(client, world, network):
    android(client, "+51999888777", "R 120 30 10")
    inbound = Inbound.objects.get()
    assert inbound.status == Inbound.Status.REJECTED and inbound.kitchen is None
    assert "no está registrado" in replies(network)[0]
    assert not DailyReport.objects.exists()


def test_a_board_member_without_an_account_is_known_by_her_phone(client, world, network):
    android(client, "987654321", "R 40 10 2")  # María Elena, presidenta, Person.phone only
    saved = DailyReport.objects.get(kitchen=world.kitchen, date=TODAY)
    assert saved.served_paying == 40 and saved.updated_by is None
    # Authorised by her registered phone, not by an account: the audit trail says so.
    entry = AuditEntry.objects.get(action="kitchen.report")
    assert entry.actor is None and "987654321" in entry.reason and world.kitchen.name in entry.reason


def test_a_garbled_text_gets_told_exactly_what_was_wrong(client, world, network):
    android(client, ROSA, "R 120 30")
    assert "Faltan números" in replies(network)[0]
    assert Inbound.objects.get().status == Inbound.Status.REJECTED


def test_help_by_sms(client, world, network):
    android(client, ROSA, "?")
    assert "R 120 30 10" in replies(network)[0]


def test_a_second_report_the_same_day_corrects_it_and_keeps_the_history(client, world, network, monkeypatch):
    monkeypatch.setattr(messages, "REPLY_GAP", datetime.timedelta(0))
    android(client, ROSA, "R 120 30 10")
    android(client, ROSA, "R 100 30 10")
    saved = DailyReport.objects.get(kitchen=world.kitchen, date=TODAY)
    assert saved.served_paying == 100 and saved.version == 2 and saved.revisions.count() == 2


def test_a_web_save_just_before_the_text_is_corrected_by_it_not_reported_as_a_conflict(client, world, network,
                                                                                        monkeypatch):
    """The text reads the day under the lock its save takes: a web save that lands just before
    it (made here the moment the day's lock is asked for) is read, never someone else's conflict."""
    from ayni.kitchens import services as kitchens

    report(world.kitchen, TODAY)
    lock = kitchens._lock_open_month
    web = []

    def web_save_first(kitchen, day):
        if not web:  # the coordinator edits the day on the web, and her save commits first
            web.append("saving")
            report(world.kitchen, TODAY, scope=as_scope(world.coordinator), version=1, menu="Sopa de quinua")
        return lock(kitchen, day)

    monkeypatch.setattr(kitchens, "_lock_open_month", web_save_first)
    android(client, ROSA, "R 120 30 10")
    assert web and Inbound.objects.get().status == Inbound.Status.ACCEPTED
    assert "160 raciones" in replies(network)[0]
    saved = DailyReport.objects.get(kitchen=world.kitchen, date=TODAY)
    assert (saved.version, saved.served_paying, saved.menu) == (3, 120, "Sopa de quinua")


def test_unusual_numbers_are_confirmed_with_ok(client, world, network, monkeypatch):
    monkeypatch.setattr(messages, "REPLY_GAP", datetime.timedelta(0))
    android(client, ROSA, "R 1500 0 0")
    assert not DailyReport.objects.exists()
    assert "OK al final" in replies(network)[0]
    android(client, ROSA, "R 1500 0 0 OK")
    assert DailyReport.objects.get().served_paying == 1500


def test_ten_identical_texts_in_a_second_are_recorded_and_answered_once(client, world, network):
    for _i in range(10):
        android(client, ROSA, "S ARROZ 50")
    assert Inbound.objects.count() == 10  # every one stored
    assert StockMovement.objects.count() == 1
    assert len(network) == 1


def test_a_flood_of_different_texts_is_throttled_answered_once_and_replayable(client, world, network):
    for n in range(10):
        android(client, ROSA, f"U arroz {n + 1}")
    statuses = list(Inbound.objects.order_by("id").values_list("status", flat=True))
    assert statuses == ["accepted"] * messages.RATE_LIMIT + ["throttled"] * (10 - messages.RATE_LIMIT)
    assert len(network) == 1
    out = io.StringIO()
    call_command("replay-inbound", "--status", "throttled", stdout=out)
    assert f"accepted={10 - messages.RATE_LIMIT}" in out.getvalue()
    assert StockMovement.objects.count() == 10


def test_a_reply_is_retried_when_the_gateway_fails(client, world, network):
    network.state["fail"] = 2
    android(client, ROSA, "R 120 30 10")
    message = OutboundMessage.objects.get()
    assert message.status == OutboundMessage.Status.SENT and message.attempts == 3
    assert len(network) == 1


def test_a_reply_that_never_goes_out_is_marked_failed_for_the_coordination(client, world, network):
    network.state["fail"] = 100
    android(client, ROSA, "R 120 30 10")
    message = OutboundMessage.objects.get()
    assert message.status == OutboundMessage.Status.FAILED and message.attempts == MAX_ATTEMPTS
    assert message.last_error == "timeout"
    assert DailyReport.objects.exists()  # the report itself is safe


def test_kitchens_without_a_report_for_two_days_get_one_reminder(world, network):
    out = io.StringIO()
    call_command("send-reminders", stdout=out)
    assert "reminders=1" in out.getvalue()
    reminder = OutboundMessage.objects.get(purpose=OutboundMessage.Purpose.REMINDER)
    assert reminder.kitchen == world.kitchen and reminder.to == ROSA and reminder.status == "sent"
    assert "no tiene parte diario" in replies(network)[0]
    call_command("send-reminders", stdout=io.StringIO())  # the same day again: no second reminder
    assert OutboundMessage.objects.filter(purpose=OutboundMessage.Purpose.REMINDER).count() == 1


def test_the_nightly_job_sends_the_reminders(world, network):
    out = io.StringIO()
    call_command("runperiodic", stdout=out)  # deploy/systemd/ayni-periodic.timer runs it every night
    assert "reminders=1" in out.getvalue()
    reminder = OutboundMessage.objects.get(purpose=OutboundMessage.Purpose.REMINDER)
    assert reminder.kitchen == world.kitchen and reminder.status == "sent"
    call_command("runperiodic", stdout=io.StringIO())
    assert OutboundMessage.objects.filter(purpose=OutboundMessage.Purpose.REMINDER).count() == 1


def at_lima(hour, minute=0, day=TODAY):
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def test_reminders_worked_out_at_night_wait_for_the_morning():
    tomorrow = TODAY + datetime.timedelta(days=1)
    assert outbound.waking_hours(at_lima(3, 15)) == at_lima(8)
    assert outbound.waking_hours(at_lima(22, 15)) == at_lima(8, day=tomorrow)
    assert outbound.waking_hours(at_lima(10)) is None
    assert outbound.waking_hours(at_lima(19, 59)) is None


def test_a_queue_that_can_wait_holds_a_night_reminder_until_the_morning(world, monkeypatch):
    import django_tasks

    from ayni.capture import tasks

    class Queue:
        supports_defer = True

    calls = []

    class Task:
        def using(self, **options):
            calls.append(options)
            return self

        def enqueue(self, pk):
            calls.append(pk)

    monkeypatch.setattr(django_tasks, "default_task_backend", Queue())
    monkeypatch.setattr(tasks, "send_message", Task())
    monkeypatch.setattr(outbound, "waking_hours", lambda: at_lima(8, day=TODAY + datetime.timedelta(days=1)))
    assert outbound.send_reminders() == 1
    message = OutboundMessage.objects.get()
    assert calls == [{"run_after": at_lima(8, day=TODAY + datetime.timedelta(days=1))}, message.pk]
    assert message.status == OutboundMessage.Status.QUEUED


def test_a_kitchen_that_reported_yesterday_is_not_reminded(world, network):
    report(world.kitchen, days_ago(1))
    assert outbound.send_reminders() == 0


def test_the_reminder_goes_on_the_channel_she_last_used(client, world, network):
    twilio(client, "whatsapp:" + ROSA, "?", sid="SM5")
    OutboundMessage.objects.all().delete()
    assert outbound.send_reminders() == 1
    assert OutboundMessage.objects.get().channel == Channel.WHATSAPP


def test_a_leader_with_another_role_elsewhere_is_reminded_only_for_her_kitchen(world, network):
    from ayni.accounts.models import Role, RoleGrant

    RoleGrant.objects.create(user=world.leader, organisation=world.ves, role=Role.VIEWER)
    assert outbound.send_reminders() == 1
    assert OutboundMessage.objects.get().kitchen == world.kitchen


def test_the_same_text_posted_again_under_new_ids_is_stored_but_recorded_once(client, world, network, monkeypatch):
    monkeypatch.setattr(messages, "REPLY_GAP", datetime.timedelta(0))  # every copy gets its answer
    for ident in ("a-1", "a-2", "a-3"):
        assert android(client, ROSA, "S ARROZ 50", ident=ident).status_code == 204
    first, *repeats = Inbound.objects.order_by("id")
    assert first.status == Inbound.Status.ACCEPTED and StockMovement.objects.count() == 1
    assert [(r.status, r.result["repeat_of"], r.payload["id"]) for r in repeats] == [
        (Inbound.Status.DUPLICATE, first.pk, "a-2"), (Inbound.Status.DUPLICATE, first.pk, "a-3")]
    assert all("ya estaba anotado" in reply and "OK al final" in reply for reply in replies(network)[1:])
    assert repeat_violations() == []
    Inbound.objects.filter(pk=first.pk).update(status=Inbound.Status.FAILED)  # as a bad hand-made fix would
    assert len(repeat_violations()) == 2


def test_a_repeat_is_known_however_the_phone_and_the_text_are_written(client, world, network):
    android(client, "+51912345678", "S ARROZ 50", ident="b-1")
    android(client, "912 345 678", "s arroz 50kg", ident="b-2")
    android(client, "912345678", "S  Arroz  50", ident="b-3")
    assert StockMovement.objects.count() == 1
    assert Inbound.objects.filter(status=Inbound.Status.DUPLICATE).count() == 2


def test_the_same_text_later_or_with_ok_is_recorded_again(client, world, network, monkeypatch):
    monkeypatch.setattr(messages, "REPLY_GAP", datetime.timedelta(0))
    android(client, ROSA, "U ACEITE 3", ident="c-1")
    android(client, ROSA, "U ACEITE 3 OK", ident="c-2")  # she says it really is a second one
    assert StockMovement.objects.count() == 2
    Inbound.objects.update(received_at=F("received_at") - datetime.timedelta(minutes=11))
    android(client, ROSA, "U ACEITE 3", ident="c-3")  # the afternoon's, past the window
    assert StockMovement.objects.count() == 3
    assert not Inbound.objects.filter(status=Inbound.Status.DUPLICATE).exists()


def test_a_report_sent_again_is_a_repeat_but_going_back_to_an_earlier_one_is_a_correction(client, world, network,
                                                                                         monkeypatch):
    monkeypatch.setattr(messages, "REPLY_GAP", datetime.timedelta(0))
    for ident, text in enumerate(["R 120 30 10", "R 120 30 10", "R 100 30 10", "R 120 30 10"]):
        android(client, ROSA, text, ident=f"e-{ident}")
    statuses = list(Inbound.objects.order_by("id").values_list("status", flat=True))
    assert statuses == ["accepted", "duplicate", "accepted", "accepted"]
    assert DailyReport.objects.get(kitchen=world.kitchen, date=TODAY).served_paying == 120


def test_twilio_signs_its_ids_so_a_new_id_is_a_new_message(client, world, network, monkeypatch):
    monkeypatch.setattr(messages, "REPLY_GAP", datetime.timedelta(0))
    twilio(client, ROSA, "U aceite 3", sid="SM21")
    twilio(client, ROSA, "U aceite 3", sid="SM22")
    assert StockMovement.objects.count() == 2


def test_copies_throttled_then_replayed_are_still_recorded_once(client, world, network):
    for n in range(messages.RATE_LIMIT + 3):
        android(client, ROSA, "S ARROZ 50", ident=f"d-{n}")
    call_command("replay-inbound", "--status", "throttled", stdout=io.StringIO())
    assert StockMovement.objects.count() == 1
    assert Inbound.objects.filter(status=Inbound.Status.DUPLICATE).count() == messages.RATE_LIMIT + 2


def test_a_reply_never_echoes_control_characters(client, world, network, monkeypatch):
    from ayni.lib.text import strip_controls

    monkeypatch.setattr(messages, "REPLY_GAP", datetime.timedelta(0))
    android(client, ROSA, "\x1b[2J\x07HOLA 5")  # an unknown word, quoted back
    android(client, ROSA, "S \u202eZORRA\u202c 5")  # an unknown food, quoted back
    android(client, ROSA, "C sin\x00 gas\x9b\u2066")  # her reason, quoted back
    sent = replies(network)
    assert "«[2JHOLA»" in sent[0] and "«ZORRA»" in sent[1] and "(sin\ufffd gas)" in sent[2]
    for body in sent + [m.result["reply"] for m in Inbound.objects.all()]:
        assert body == strip_controls(body)
    texts = [m.payload["text"] for m in Inbound.objects.order_by("id")]
    # Stored as it came, but for NUL, which PostgreSQL cannot store (the whole text was lost).
    assert texts == ["\x1b[2J\x07HOLA 5", "S \u202eZORRA\u202c 5", "C sin\ufffd gas\x9b\u2066"]
    assert DailyReport.objects.get(kitchen=world.kitchen).closed_reason == "sin\ufffd gas"
    assert strip_controls("a\tb\r\nc\x1b\u202ed\x85e") == "a b cd e"


def test_an_android_id_used_again_for_another_text_is_stored_and_recorded(client, world, network, monkeypatch):
    # The gateway app reinstalled starts its ids again: "7" was yesterday's rice, now it is today's oil.
    monkeypatch.setattr(messages, "REPLY_GAP", datetime.timedelta(0))
    android(client, ROSA, "S ARROZ 50", ident="7")
    android(client, ROSA, "U ACEITE 3", ident="7")  # another text under the same id
    android(client, "987654321", "R 40 10 2", ident="7")  # another phone under the same id
    assert list(Inbound.objects.order_by("id").values_list("status", flat=True)) == ["accepted"] * 3
    assert StockMovement.objects.filter(kitchen=world.kitchen).count() == 2
    assert DailyReport.objects.get(kitchen=world.kitchen, date=TODAY).served_paying == 40
    assert len(network) == 3 and "usado" in replies(network)[1]
    assert message_key_violations() == []
    first = Inbound.objects.order_by("id").first()
    Inbound.objects.filter(pk=first.pk).update(payload={**first.payload, "text": "S ARROZ 5"})  # a hand-made fix
    assert len(message_key_violations()) == 1


def test_an_android_id_used_again_with_the_same_text_is_a_resend(client, world, network, monkeypatch):
    monkeypatch.setattr(messages, "REPLY_GAP", datetime.timedelta(0))
    android(client, ROSA, "U ACEITE 3", ident="8")
    android(client, ROSA, "S ARROZ 50", ident="8")
    first = Inbound.objects.order_by("id").last()
    again = inbound.receive_text(gateway="android", channel=Channel.SMS, sender=ROSA, text="S ARROZ 50",
                                  external_id="8")  # the app posting its webhook again
    assert again.pk == first.pk and again.result == first.result  # the first one's result, not stored twice
    assert Inbound.objects.count() == 2 and StockMovement.objects.count() == 2 and len(network) == 2
    # The same id with the same instruction written otherwise is stored, and known as a repeat.
    android(client, "912 345 678", "s arroz 50kg", ident="8")
    repeat = Inbound.objects.order_by("id").last()
    assert repeat.status == Inbound.Status.DUPLICATE and repeat.result["repeat_of"] == first.pk
    assert StockMovement.objects.count() == 2


def test_twilio_keeps_one_message_per_signed_id(client, world, network):
    twilio(client, ROSA, "S arroz 10", sid="SM30")
    twilio(client, ROSA, "U aceite 3", sid="SM30")  # a signed id names one message: never a second
    assert Inbound.objects.count() == 1 and StockMovement.objects.get().kind == "state"


def test_the_flood_limit_counts_one_phone_however_the_gateway_writes_it(client, world, network):
    writings = ["+51912345678", "912345678", "51 912 345 678", "912 345 678", "+51 912-345-678", "912345678"]
    for n, sender in enumerate(writings):
        android(client, sender, f"U arroz {n + 1}", ident=f"f-{n}")
    statuses = list(Inbound.objects.order_by("id").values_list("status", flat=True))
    assert statuses == ["accepted"] * messages.RATE_LIMIT + ["throttled"]
    assert StockMovement.objects.count() == messages.RATE_LIMIT
    assert set(Inbound.objects.values_list("phone", flat=True)) == {"912345678"}
    assert message_key_violations() == []
    Inbound.objects.filter(sender="912 345 678").update(phone="912 345 678")  # as a bad hand-made fix would
    assert len(message_key_violations()) == 1


def test_half_an_emoji_is_kept_as_a_mark_and_the_text_is_stored(client, world, network):
    # A long text cut between two parts can end in half an emoji, which JSON carries as a lone
    # \ud83d; no database stores it, and the whole text was refused (a 500) and lost.
    body = '{"id": "g-1", "payload": {"phoneNumber": "+51912345678", "message": "C sin gas \\ud83d"}}'
    response = client.post(reverse("capture:webhook", kwargs={"gateway": "android"}), body,
                           content_type="application/json", HTTP_X_AYNI_SECRET=SECRET)
    assert response.status_code == 204
    assert Inbound.objects.get().payload["text"] == "C sin gas \ufffd"
    assert DailyReport.objects.get(kitchen=world.kitchen).closed_reason == "sin gas \ufffd"
    assert message_key_violations() == []
