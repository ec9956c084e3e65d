"""An OpenRosa submission in, the capture way: stored raw first (`capture.inbound.store`, the XML
as it came, channel `odk`), then applied once by capture's own processing with the kitchens'
services — the same write path as the web form, the JSON API and the outbox. How the XML becomes
those fields is `read_submission`, registered as capture's reader for the `openrosa` format.

Idempotency is ODK's own: an instance keeps its `meta/instanceID` through every resend, so the
instanceID and a hash of the content are the capture client id. The same XML sent again finds
the first submission and gets its answer; an instance refused and corrected on the phone (same
instanceID, new content) is stored as a new attempt; once one attempt was accepted, different
content under that instanceID is refused (409), as ODK Central does. An edit made in ODK carries
`meta/deprecatedID` (the instance it replaces): it saves over the report that instance made, and
only if nobody changed it since — a report edited on the web meanwhile is a conflict to settle,
never overwritten."""

import datetime
import threading
import time
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import default_task_backend

from ayni.accounts.scope import Scope
from ayni.capture import inbound as capture
from ayni.capture.inbound import UNSTORABLE, Outcome
from ayni.capture.models import Channel, Inbound, content_hash
from ayni.capture.outbound import queue_message
from ayni.capture.sms import reply_language
from ayni.files.services import keep
from ayni.kitchens.models import DailyReport
from ayni.kitchens.services import next_report
from ayni.leadership.models import Attendance
from ayni.leadership.selectors import get_session
from ayni.leadership.services import may_take_attendance, parse_numbers
from ayni.lib import uploads
from ayni.reach import fast, openrosa, xforms
from ayni.reach.models import SubmissionFile

FORMAT = "openrosa"
MAX_ATTACHMENT_BYTES = uploads.MAX_BYTES
MAX_ATTACHMENTS = 10
ATTACHMENT_KINDS = uploads.DOCUMENTS | uploads.AUDIO
# What Collect may send in one post (`X-OpenRosa-Accept-Content-Length`); it splits a larger
# submission into several posts, which are joined here by instanceID.
ACCEPT_CONTENT_LENGTH = MAX_ATTACHMENT_BYTES + 1024 * 1024


def language_of(user) -> str:
    """Her answers' language, as for her text messages: Quechua when the registry says she speaks
    Quechua and not Spanish."""
    known = getattr(user, "_reach_language", None)  # asked by the view and again by the service
    if known is not None:
        return known
    person = getattr(user, "person", None) if getattr(user, "person_id", None) else None
    spoken = set(person.languages.values_list("code", flat=True)) if person is not None else set()
    language = reply_language("", spoken)
    if user is not None:
        user._reach_language = language
    return language


@dataclass
class Answer:
    status: int
    message: str
    inbound: Inbound | None = None
    file_errors: list[str] = field(default_factory=list)


def _client_id(instance_id: str, payload_hash: str) -> str:
    # "uuid:" + 36 characters + "/" + 12: within capture's 64.
    return f"{instance_id[:50]}/{payload_hash[:12]}" if instance_id else f"sin-id/{payload_hash[:40]}"


def _attempts(user, instance_id: str):
    return Inbound.objects.filter(user=user, channel=Channel.ODK, client_id__startswith=f"{instance_id[:50]}/")


ANSWERS = {  # capture's outcome → the HTTP status Collect reads (201 and 202 are a success)
    Outcome.ACCEPTED: 201, Outcome.INVALID: 400, Outcome.NEEDS_CONFIRMATION: 400, Outcome.CONFLICT: 409,
    Outcome.ID_REUSED: 409, Outcome.FORBIDDEN: 403, Outcome.FAILED: 202,
}


def _answer(inbound: Inbound) -> Answer:
    result = inbound.result or {}
    outcome = result.get("status", Outcome.FAILED)
    if outcome == Outcome.ACCEPTED:
        return Answer(201, _("Recibido y guardado en Ayni. Gracias."), inbound)
    details = [m for messages in (result.get("errors") or {}).values() for m in messages] + result.get("warnings", [])
    message = " ".join([result.get("message", ""), *details]).strip()
    if outcome == Outcome.NEEDS_CONFIRMATION:
        message += " " + _("Si las cifras están bien, marque «Sí, las cifras están bien» en el formulario y envíelo "
                           "de nuevo.")
    return Answer(ANSWERS.get(outcome, 400), message, inbound)


def receive(*, scope: Scope, xml: bytes, files: list = ()) -> Answer:
    """Store one submission raw, process it once, keep its files; the answer for Collect. The
    posts of a split submission (`*isIncomplete*` on all but the last) carry the same XML, so
    they find one stored submission and each adds its files to it."""
    with translation.override(language_of(scope.actor)):
        return _receive(scope, xml, files)


def _later() -> str:
    return _("Recibido en Ayni; se guardará en unos segundos. Si algo no cuadra, le avisaremos por mensaje y lo "
             "verá su coordinadora en Ayni.")


def _receive(scope: Scope, xml: bytes, files) -> Answer:
    """Every query a new report needs: her attempts under this instanceID (the idempotency key)
    with the kitchen and its recent days, in one statement; one INSERT. A resend of what was
    stored: the first alone. Anything out of the ordinary (a file, an edit, a refusal, another form) goes through
    capture's own processing, as before."""
    text = UNSTORABLE.sub("\ufffd", xml.decode("utf-8", errors="replace"))
    try:
        instance = openrosa.parse(xml)
    except openrosa.Malformed:
        instance = None
    form = xforms.FORMS.get(instance.form_id) if instance else None
    payload = {"format": FORMAT, "form": instance.form_id if instance else "",
               "version": instance.version if instance else "", "xml": text}
    payload_hash = content_hash(payload)
    instance_id = instance.instance_id if instance else ""
    client_id = _client_id(instance_id, payload_hash)
    if instance is not None:  # her attempts, and the kitchen a new one will need: one round trip
        earlier, kitchen, days = fast.attempts_and_kitchen(scope, instance, instance_id, client_id)
    else:
        earlier, kitchen, days = fast.attempts(scope.actor, instance_id, client_id), None, None
    if instance_id and any(i.status == Inbound.Status.ACCEPTED and i.payload_hash != payload_hash for i in earlier):
        return Answer(409, _("Este formulario ya se recibió con otros datos y no se cambió. Para corregirlo, "
                             "edítelo en Ayni o envíe una edición del formulario."))
    alone = all(i.payload_hash == payload_hash for i in earlier)  # no other content under its instanceID
    stored = next((i for i in earlier if i.client_id == client_id), None)
    created = False
    if stored is None:
        stored = Inbound(channel=Channel.ODK, kind=form.kind if form else Inbound.Kind.REPORT, payload=payload,
                         payload_hash=payload_hash, user=scope.actor, kitchen=kitchen, client_id=client_id)
        stored._odk_instance = instance  # read once: read_submission takes it from here
        later = not files and alone and _saves_later(stored, instance, form, days, scope)
        stored, created = fast.insert(stored)
        if created and later:
            # Stored (committed) and sure to save: answered now, saved with others in one batch.
            schedule_saving()
            return Answer(201, _later(), stored)
    if not files:
        if stored.status not in Inbound.PENDING:
            return _answer(stored)  # settled: its first answer, as capture.process would give it again
        if not created and stored.status == Inbound.Status.RECEIVED and alone and _waits_for_batch(stored, instance,
                                                                                                   form):
            schedule_saving()  # the same instance again, still waiting for its batch: checked when it came
            return Answer(201, _later(), stored)
    # A split submission's posts all carry the same XML: each adds its files to the one stored;
    # processing is once whatever the part (a final state is never processed again).
    file_errors = _keep_files(stored, files) if files else []
    stored = capture.process(stored, scope)
    answer = _answer(stored)
    if file_errors:
        saved = _("Los datos del formulario se guardaron.") if answer.status < 300 else ""
        answer = Answer(400, " ".join([*file_errors, saved]).strip(), stored, file_errors)
    return answer


# --- New daily reports: answered once stored, saved in batches ---------------------------------
# A day's report saved on its own costs a transaction, the month's lock, the roll-ups above the
# kitchen and an audit entry: twenty-odd milliseconds of the server per form. OpenRosa only asks
# that a submission answered 201 be kept, so a new day's report that is sure to save — read and
# checked here by the same rules the save applies, against the day and its history, writing
# nothing — is answered as soon as it is stored, and saved a moment later with the others by
# `save_pending` (capture's bulk path, `kitchens.services.save_daily_reports`, as the phone's
# outbox sync saves). Anything else (an edit, a day already reported, a refusal, a file) is
# processed as it arrives, so that Collect shows her the answer. Should a report still be refused
# in the batch (someone saved the day on the web in between), the submission is marked in
# trouble — the coordinator's *Estado de sincronización* page lists it with the reason — and she
# gets a text saying so, in her language.

BATCH = 500  # reports per transaction of the worker: the longest it holds SQLite's write lock
BATCH_DELAY = datetime.timedelta(seconds=1)  # while busy, how long a new report may wait for others to join it
_next_batch = [0.0]  # per process: when the batch asked for last will run (time.monotonic)
_schedule_lock = threading.Lock()


def _waits_for_batch(stored: Inbound, instance, form) -> bool:
    return (form is not None and form.kind == Inbound.Kind.REPORT and not instance.deprecated_id
            and stored.kitchen_id is not None)


def _saves_later(stored: Inbound, instance, form, days, scope: Scope) -> bool:
    """Whether a new submission is a new day's report sure to save, by the web form's rules read
    against the day and its history (`days`, read with the kitchen: `fast.kitchen_and_days`)."""
    if not _waits_for_batch(stored, instance, form) or days is None:
        return False
    try:
        item = capture.report_item(stored)  # the web form's rules, as the batch will read it
    except (ValidationError, PermissionDenied, Http404):
        return False
    if item.date != days.date or days.month_closed or any(day == item.date for day, _n, _closed in days.rows):
        return False  # a day already reported (a conflict, or the same numbers again) or a closed month: now
    usual = max((n for _day, n, closed in days.rows if not closed), default=0)
    history = [DailyReport(date=item.date - datetime.timedelta(days=1), rations_prepared=usual)] if usual else []
    try:
        next_report(None, item, kitchen=stored.kitchen, history=history, user=scope.actor)
    except ValidationError:
        return False
    return True


def schedule_saving() -> None:
    """Ask the task worker to save the waiting reports, always in a task that starts after this
    report was stored, so none is left waiting. A lone report (none asked for in the last
    BATCH_DELAY) is saved at once; while reports keep coming, this process asks at most once per
    BATCH_DELAY, so that the worker's batches grow with the queue instead of paying a task per
    report."""
    from ayni.reach import tasks

    if not default_task_backend.supports_defer:  # tests, or tasks run at once: save now
        tasks.save_submissions.enqueue()
        return
    with _schedule_lock:
        now = time.monotonic()
        if now < _next_batch[0]:
            return  # a batch is already asked for, and runs after this report was stored
        # Idle for a while (the last batch ran over BATCH_DELAY ago): this one goes at once.
        delay = BATCH_DELAY.total_seconds() if now - _next_batch[0] < BATCH_DELAY.total_seconds() else 0.0
        _next_batch[0] = now + delay
    tasks.save_submissions.using(run_after=timezone.now() + datetime.timedelta(seconds=delay)).enqueue()


def save_pending(*, batch: int = BATCH) -> int:
    """Save the daily reports answered "received" and not saved yet, oldest first, in batches
    (`capture.inbound.process_reports`) until none is left — those that arrive while it saves
    too, so a deep queue is drained in full batches by one task. Idempotent: each is settled
    once. Returns how many."""
    done, stuck = 0, set()
    while True:
        chunk = list(Inbound.objects.filter(channel=Channel.ODK, kind=Inbound.Kind.REPORT,
                                            status=Inbound.Status.RECEIVED).exclude(pk__in=stuck)
                     .select_related("kitchen__kind", "user").order_by("id")[:batch])
        if not chunk:
            return done
        results = capture.process_reports(chunk)
        # Each one processed leaves "received"; one that did not is not asked for again in this pass.
        stuck.update(i.pk for i in chunk if i.status == Inbound.Status.RECEIVED)
        settled = (Outcome.ACCEPTED, Outcome.FAILED, None)  # a failure is tried again, not refused
        _tell_refused([i for i in chunk if results.get(i.pk, {}).get("status") not in settled], results)
        done += len(chunk)


def _tell_refused(refused: list[Inbound], results: dict) -> None:
    """A report answered "received" and refused afterwards: a text to her phone, in her language,
    saying which day and why (the coordinator sees it on the sync status page)."""
    for inbound in refused:
        user = inbound.user
        if user is None or not user.phone:
            continue
        with translation.override(language_of(user)):
            result = results[inbound.pk]
            why = " ".join([result.get("message", ""), *[m for ms in (result.get("errors") or {}).values()
                                                         for m in ms], *result.get("warnings", [])]).strip()
            try:
                day = openrosa.parse(inbound.payload.get("xml", "")).values.get("date", "")
            except openrosa.Malformed:
                day = ""
            body = _("Ayni: su parte diario del %(day)s enviado con ODK Collect no se guardó. %(why)s Corríjalo en "
                     "Ayni o pida ayuda a su coordinadora.") % {"day": day, "why": why}
        queue_message(to=user.phone, body=body, kitchen=inbound.kitchen, inbound=inbound)


def _keep_files(stored: Inbound, files) -> list[str]:
    """Check and keep each attached file (its kind from its bytes: a zip bomb named .jpg is
    refused), linked to the submission under its name; the refusals, in words."""
    errors = []
    have = set(stored.odk_files.values_list("name", flat=True))
    for n, upload in enumerate(files):
        name = (upload.name or "")[:255]
        if name in have:
            continue
        if n >= MAX_ATTACHMENTS:
            errors.append(_("Se aceptan hasta %(n)s archivos por formulario.") % {"n": MAX_ATTACHMENTS})
            break
        try:
            content = uploads.read(upload, MAX_ATTACHMENT_BYTES)
            with transaction.atomic():
                kept, _new = keep(content, allowed=ATTACHMENT_KINDS, max_bytes=MAX_ATTACHMENT_BYTES)
                SubmissionFile.objects.get_or_create(inbound=stored, name=name, defaults={"file": kept})
        except ValidationError as exc:
            errors.append(_("El archivo «%(name)s» no se aceptó: %(why)s") % {"name": name,
                                                                               "why": " ".join(exc.messages)})
    return errors


# --- Reading a stored submission into the web form's fields (capture.inbound.READERS) ----------

# The form sends yes/no; a text message typed by hand may say it in Spanish or Quechua.
YES_NO = {"yes": True, "no": False, "": False, "true": True, "false": False, "1": True, "0": False, "si": True,
          "sí": True, "ari": True, "arí": True, "manam": False, "mana": False}


def _refuse(message: str):
    raise ValidationError({"xml": [message]})


def _version_of_replaced(inbound: Inbound, deprecated_id: str) -> int:
    """The version of the report that the edited instance saved: the edit applies only over it."""
    original = (_attempts(inbound.user, deprecated_id).filter(status=Inbound.Status.ACCEPTED)
                .exclude(pk=inbound.pk).first())
    if original is None:
        _refuse(_("Es una edición de un formulario que Ayni no tiene aceptado (%(id)s): envíe primero el original.")
                % {"id": deprecated_id})
    return int((original.result or {}).get("version") or 0)


def read_submission(inbound: Inbound) -> dict:
    """The stored XML as the fields of the web form its form maps to. Refusals keep the submission
    (capture marks it rejected, to be corrected from the sync status page)."""
    try:
        instance = getattr(inbound, "_odk_instance", None) or openrosa.parse(inbound.payload.get("xml", ""))
    except openrosa.Malformed:
        _refuse(_("El formulario llegó dañado (no es un XML válido); quedó guardado tal como llegó."))
    form = xforms.FORMS.get(instance.form_id)
    if form is None:
        _refuse(_("Ayni no conoce el formulario «%(id)s».") % {"id": instance.form_id[:60]})
    if not instance.instance_id:
        _refuse(_("Al formulario le falta su identificador (meta/instanceID); quedó guardado para revisarlo."))
    built = xforms.build(form.form_id)
    values = instance.values
    if instance.version != built.version:
        # An old copy of the form on a phone: taken if its fields are still the current ones.
        unknown = sorted(set(values) - set(built.fields))
        missing = sorted(set(built.fields) - set(values) - set(built.uploads) - {"confirm", "note", "notes"})
        if unknown or missing:
            _refuse(_("Este formulario es de una versión anterior (%(old)s; la actual es %(new)s) y sus campos ya "
                      "no coinciden (%(fields)s). Quedó guardado: la coordinación lo corregirá; descargue la versión "
                      "nueva en ODK Collect.") % {"old": instance.version or "?", "new": built.version,
                                                   "fields": ", ".join(unknown + missing)})
    if form.kind == Inbound.Kind.ATTENDANCE:
        return _attendance_fields(inbound, instance, built)
    if inbound.kitchen is None:
        raise PermissionDenied
    fields = {k: v for k, v in values.items() if k in built.fields and k not in built.uploads and v != ""}
    fields.pop("kitchen", None)
    for flag in ("confirm", "is_closed"):
        if flag in fields:
            fields[flag] = YES_NO.get(fields[flag].lower(), False)
    if instance.deprecated_id and form.kind != Inbound.Kind.REPORT:
        _refuse(_("Un movimiento o una recepción ya enviados se corrigen en Ayni (anúlelo y regístrelo de nuevo), "
                  "no con una edición del formulario."))
    if form.kind == Inbound.Kind.REPORT and "day_version" in inbound.payload:  # a text: it corrects the day
        fields["version"] = int(inbound.payload["day_version"])
    elif form.kind == Inbound.Kind.REPORT:
        fields["version"] = _version_of_replaced(inbound, instance.deprecated_id) if instance.deprecated_id else 0
    return fields


def _attendance_fields(inbound: Inbound, instance: openrosa.Instance, built: xforms.Built) -> dict:
    """An attendance list as leadership's offline attendance item (`leadership.services.
    apply_inbound`): the session, the women ticked on the list and the card numbers typed. Marking
    someone twice is one attendance, so a resend or a replay changes nothing. An edit
    (`deprecatedID`) of a list already taken adds whoever it adds; it cannot take anyone off —
    leadership keeps an attendance once marked — and says so rather than pretend."""
    values = instance.values
    scope = inbound.acting_scope()
    try:  # found through leadership's selector: a session she does not see reads as one that does not exist
        session = get_session(scope, (parse_numbers(values.get("session")) or [0])[0])
    except Http404:
        session = None
    if session is None or not may_take_attendance(scope, session):
        _refuse(_("No puede anotar asistencia en esa sesión: no es suya o ya no existe. Actualice los formularios "
                  "en ODK Collect."))
    numbers = parse_numbers(values.get("numbers")) + parse_numbers(values.get("typed"))
    if instance.deprecated_id:
        original = (_attempts(inbound.user, instance.deprecated_id).filter(status=Inbound.Status.ACCEPTED)
                    .exclude(pk=inbound.pk).first())
        if original is None:
            _refuse(_("Es una edición de un formulario que Ayni no tiene aceptado (%(id)s): envíe primero el "
                      "original.") % {"id": instance.deprecated_id})
        before = openrosa.parse(original.payload.get("xml", "")).values
        if parse_numbers(before.get("session")) != parse_numbers(values.get("session")):
            _refuse(_("La edición cambia la sesión de la lista: envíe la lista de la otra sesión como un formulario "
                      "nuevo."))
        removed = sorted(set(parse_numbers(before.get("numbers")) + parse_numbers(before.get("typed")))
                         - set(numbers))
        if removed:
            _refuse(_("La edición quita de la lista a N° %(numbers)s. Una asistencia anotada no se borra desde el "
                      "formulario: pida a la organizadora de la escuela que la corrija en Ayni.")
                    % {"numbers": ", ".join(str(n) for n in removed)})
    return {"session": session.pk, "numbers": " ".join(str(n) for n in numbers), "how": Attendance.How.LIST}
