"""Invariants across the product, recomputed from the rows, for `check-integrity` and bench/crash.py.

The services keep them inside one transaction each; these checks are how we know that a crash,
a restore or a hand-made SQL fix did not leave something half-done: the organisation tree, no
row pointing at nothing (every foreign key of every table), no half-applied (or half-read) roll
import or merge of two people, no report saved without its revision, an audit entry for every
change the services made, and every DNI in the one shape a lookup can match. All read-only.
"""

import datetime
from collections import Counter

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _

from ayni.accounts.models import User, validate_username_has_letter
from ayni.audit.models import AuditEntry
from ayni.capture.models import Inbound, content_hash, sender_phone
from ayni.kitchens.models import DailyReport, DailyReportRevision, MovementKind, StockMovement
from ayni.lib.dni import check_characters
from ayni.lib.identity import country_of_number, parse_identity
from ayni.orgs.models import Organisation, path_segment
from ayni.people.models import DuplicatePair, Person, PersonMerge
from ayni.rolls.imports import STALLED_AFTER
from ayni.rolls.models import ImportBatch, RollEntry


def path_violations() -> list[str]:
    """Every organisation's path is its parent's path plus its own segment; depth follows."""
    out = []
    orgs = {pk: (parent, path, depth) for pk, parent, path, depth in
            Organisation.objects.values_list("pk", "parent_id", "path", "depth").iterator(chunk_size=5000)}
    for pk, (parent, path, depth) in orgs.items():
        if parent is not None and parent not in orgs:
            out.append(_("organización %(pk)s: su organización superior %(parent)s no existe")
                       % {"pk": pk, "parent": parent})
            continue
        # The parent's stored path, itself checked in this same loop: the chain holds by induction.
        expected = (orgs[parent][1] if parent is not None else "") + path_segment(pk)
        if path != expected:
            out.append(_("organización %(pk)s: ruta «%(path)s», debería ser «%(expected)s»")
                       % {"pk": pk, "path": path, "expected": expected})
        if depth != expected.count("/") - 1:
            out.append(_("organización %(pk)s: profundidad %(depth)s, debería ser %(expected)s")
                       % {"pk": pk, "depth": depth, "expected": expected.count("/") - 1})
    return out


def _orphans(child_model, field: str, parent_model) -> list:
    # A LEFT JOIN written out: the ORM would trust the foreign key, and that trust is what we test
    # (SQLite enforces foreign keys only when the connection asks it to).
    fk = child_model._meta.get_field(field)
    child, parent = child_model._meta.db_table, parent_model._meta.db_table
    pk, column, target = child_model._meta.pk.column, fk.column, fk.target_field.column
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.{pk} FROM {child} c LEFT JOIN {parent} p ON p.{target} = c.{column} "  # noqa: S608 - _meta
            f"WHERE c.{column} IS NOT NULL AND p.{target} IS NULL"
        )
        return [row[0] for row in cursor.fetchall()]


def _foreign_keys():
    """(model, field) for every concrete foreign key and one-to-one of Ayni's own tables."""
    for model in apps.get_models():
        if not model.__module__.startswith("ayni.") or not model._meta.managed or model._meta.proxy:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.ForeignKey) and field.db_constraint:
                yield model, field


def orphan_violations() -> list[str]:
    """No row anywhere points at a row that is not there (one LEFT JOIN per foreign key)."""
    out = []
    for model, field in _foreign_keys():
        for pk in _orphans(model, field.name, field.related_model):
            out.append(_("%(model)s %(pk)s: apunta a un(a) %(field)s que no existe")
                       % {"model": model._meta.verbose_name, "pk": pk, "field": field.name})
    return out


def import_violations() -> list[str]:
    """A roll import is applied whole or not at all: only an applied batch has entries, exactly
    as many as it says it added, a time it was applied and its audit entries."""
    out = []
    entries = dict(RollEntry.objects.filter(import_batch__isnull=False).values_list("import_batch")
                   .annotate(n=Count("id")).values_list("import_batch", "n"))
    audited_apply = _audited("roll.import")
    audited_upload = _audited("roll.import_upload")
    batches = ImportBatch.objects.values_list("pk", "status", "rows_created", "applied_at")
    for pk, status, created, applied_at in batches.iterator(chunk_size=2000):
        found = entries.get(pk, 0)
        if str(pk) not in audited_upload:
            out.append(_("importación %(pk)s: sin registro de auditoría de la subida") % {"pk": pk})
        if status != ImportBatch.Status.APPLIED:
            if found:
                out.append(_("importación %(pk)s: no aplicada, pero %(n)s ingresos al padrón vienen de ella")
                           % {"pk": pk, "n": found})
            continue
        if found != created:
            out.append(_("importación %(pk)s: dice haber agregado %(created)s, hay %(found)s ingresos de ella")
                       % {"pk": pk, "created": created, "found": found})
        if applied_at is None:
            out.append(_("importación %(pk)s: aplicada sin fecha de aplicación") % {"pk": pk})
        if str(pk) not in audited_apply:
            out.append(_("importación %(pk)s: aplicada sin registro de auditoría") % {"pk": pk})
    return out + reading_violations()


def reading_violations() -> list[str]:
    """A roll file is read once, by the task worker, and what it found is kept: a batch said to
    be previewed keeps its preview, a rejected one its message, and no reading outlives its own
    time limit (it stops itself), so one still "reading" past it was cut short by a stopped worker
    (her page offers to read it again)."""
    out = []
    batches = ImportBatch.objects.order_by("pk")
    for pk in batches.filter(status=ImportBatch.Status.PREVIEWED, preview__isnull=True).values_list("pk", flat=True):
        out.append(_("importación %(pk)s: revisada, pero sin la revisión guardada") % {"pk": pk})
    for pk in batches.filter(status=ImportBatch.Status.REJECTED, message="").values_list("pk", flat=True):
        out.append(_("importación %(pk)s: rechazada sin el motivo") % {"pk": pk})
    cut_short = timezone.now() - datetime.timedelta(seconds=settings.AYNI_IMPORT_READ_SECONDS) - STALLED_AFTER
    stuck = batches.filter(status=ImportBatch.Status.READING, reading_since__lt=cut_short)
    for pk in stuck.values_list("pk", flat=True):
        out.append(_("importación %(pk)s: su lectura no terminó (el proceso de tareas se detuvo mientras leía); "
                     "se puede leer de nuevo desde su página") % {"pk": pk})
    return out


def merge_violations() -> list[str]:
    """Two records of one person are joined whole: the removed record is gone, a pair decided
    'same' has its merge, and every merge its audit entry."""
    out = []
    merges = list(PersonMerge.objects.values_list("pk", "removed_id", "kept_id_kept"))
    still_there = set(Person.objects.filter(pk__in=[m[1] for m in merges]).values_list("pk", flat=True))
    merged_away = {m[1] for m in merges}
    audited = Counter(AuditEntry.objects.filter(action="person.merge").values_list("object_id", flat=True))
    expected = Counter(str(kept) for _pk, _removed, kept in merges)
    for pk, removed, _kept in merges:
        if removed in still_there:
            out.append(_("unión %(pk)s: el registro %(removed)s debía quitarse y sigue ahí")
                       % {"pk": pk, "removed": removed})
    for kept, n in expected.items():
        if audited[kept] < n:
            out.append(_("persona %(kept)s: %(n)s unión(es) y %(a)s registro(s) de auditoría de unión")
                       % {"kept": kept, "n": n, "a": audited[kept]})
    same = DuplicatePair.objects.filter(status=DuplicatePair.Status.SAME).values_list("pk", "a_id_kept", "b_id_kept")
    for pk, a, b in same:
        if a not in merged_away and b not in merged_away:
            out.append(_("par %(pk)s: marcado como la misma persona, pero no se unieron %(a)s y %(b)s")
                       % {"pk": pk, "a": a, "b": b})
    decided = DuplicatePair.objects.exclude(status=DuplicatePair.Status.OPEN)
    audited_pairs = _audited("roll.pair_decided")
    for pk, decided_at in decided.values_list("pk", "decided_at"):
        if decided_at is None or str(pk) not in audited_pairs:
            out.append(_("par %(pk)s: decidido sin fecha o sin registro de auditoría") % {"pk": pk})
    return out


def dni_violations() -> list[str]:
    """Every stored DNI is 8 ASCII digits (a DNI in another script's digits matches nobody's) and
    its check character, when kept, is one of the two that fit the number."""
    out = []
    bad_shape = (Person.objects.filter(dni__isnull=False).exclude(dni__regex=r"^[0-9]{8}$")
                 .exclude(dni__regex=r"^[A-Z]{2}-").values_list("pk", flat=True))
    for pk in bad_shape.iterator(chunk_size=5000):
        out.append(_("persona %(pk)s: el DNI no son 8 dígitos ASCII") % {"pk": pk})
    # Another country's number (`BO-1234567`, lib/identity.py) passes its own country's rules.
    foreign = Person.objects.filter(dni__regex=r"^[A-Z]{2}-").values_list("pk", "dni")
    for pk, number in foreign.iterator(chunk_size=5000):
        try:
            parse_identity(number, country_of_number(number))
        except ValidationError:
            out.append(_("persona %(pk)s: el número de identidad %(n)s no es válido en su país")
                       % {"pk": pk, "n": number})
    checked = (Person.objects.filter(dni__regex=r"^[0-9]{8}$").exclude(dni_check="")
               .values_list("pk", "dni", "dni_check"))
    for pk, dni, check in checked.iterator(chunk_size=5000):
        if check not in check_characters(dni):
            out.append(_("persona %(pk)s: el carácter de verificación «%(c)s» no corresponde a su DNI")
                       % {"pk": pk, "c": check})
    return out


def report_violations() -> list[str]:
    """A daily report at version N was saved N times: N revisions, none missing."""
    revisions = dict(DailyReportRevision.objects.values_list("report").annotate(n=Count("id"))
                     .values_list("report", "n"))
    out = []
    for pk, version in _after_demo(DailyReport.objects.all()).values_list("pk", "version").iterator(chunk_size=5000):
        if revisions.get(pk, 0) != version:
            out.append(_("parte diario %(pk)s: versión %(v)s con %(n)s revisión(es)")
                       % {"pk": pk, "v": version, "n": revisions.get(pk, 0)})
    return out


def account_violations() -> list[str]:
    """Every username has a letter (`validate_username_has_letter`): one made of digits could be
    read as another leader's phone at the login. Accounts made before the rule are named here,
    to be renamed."""
    out = []
    for pk, username in User.objects.values_list("pk", "username").iterator(chunk_size=5000):
        try:
            validate_username_has_letter(username)
        except ValidationError:
            out.append(_("cuenta %(pk)s: el usuario «%(u)s» no tiene letras y se confunde con un celular")
                       % {"pk": pk, "u": username})
    return out


def repeat_violations() -> list[str]:
    """A text marked as a repeat names the text it repeats, recorded for the same kitchen: else it
    was dropped for nothing (capture.messages._repeat_of)."""
    repeats = Inbound.objects.filter(kind=Inbound.Kind.MESSAGE, status=Inbound.Status.DUPLICATE,
                                     result__has_key="repeat_of").values_list("pk", "kitchen_id", "result")
    repeats = list(repeats)
    originals = dict(Inbound.objects.filter(pk__in={r["repeat_of"] for _pk, _k, r in repeats},
                                            status=Inbound.Status.ACCEPTED).values_list("pk", "kitchen_id"))
    return [_("mensaje %(pk)s: marcado como repetido de %(of)s, que no es un mensaje anotado de la misma cocina")
            % {"pk": pk, "of": result["repeat_of"]}
            for pk, kitchen_id, result in repeats
            if result["repeat_of"] not in originals or originals[result["repeat_of"]] != kitchen_id]


def message_key_violations() -> list[str]:
    """A text is found again by its keys. Through a gateway whose ids are not signed, its id and
    the hash of its content (capture.models.SIGNED_ID_GATEWAYS): a text changed without its hash
    (a hand-made fix) would not be found by the gateway's next resend, which would be recorded
    again. And its sender's phone, normalised (capture.models.sender_phone), by which the flood
    limit and the repeats count it. Texts only: their payload is strings, which come back from
    the database exactly as stored."""
    out = []
    texts = Inbound.objects.filter(kind=Inbound.Kind.MESSAGE).values_list("pk", "payload", "payload_hash", "sender",
                                                                          "phone")
    for pk, payload, payload_hash, sender, phone in texts.iterator(chunk_size=5000):
        if content_hash(payload) != payload_hash:
            out.append(_("mensaje %(pk)s: su huella no corresponde a lo que dice; un reenvío no lo encontraría")
                       % {"pk": pk})
        if phone != sender_phone(sender):
            out.append(_("mensaje %(pk)s: anotado con el celular «%(phone)s», pero vino de «%(sender)s»")
                       % {"pk": pk, "phone": phone, "sender": sender})
    return out


def _audited(action: str) -> set[str]:
    return set(AuditEntry.objects.filter(action=action).values_list("object_id", flat=True))


def _after_demo(query):
    """`ayni demo` writes a year of rows in bulk (no revisions, one audit entry for the lot); only
    what was written after it went through the services one change at a time."""
    since = AuditEntry.objects.filter(action="demo.generate").order_by("-at").values_list("at", flat=True).first()
    return query.filter(created_at__gt=since) if since else query


def audit_violations() -> list[str]:
    """Every change the services made has its audit entry (written in the same transaction)."""
    after = _after_demo
    out = []
    checks = [
        (after(Organisation.objects.all()), {"org.create"}, _("organización %(pk)s sin registro de auditoría")),
        (after(RollEntry.objects.filter(import_batch__isnull=True)), {"roll.register"},
         _("ingreso al padrón %(pk)s sin registro de auditoría")),
        (after(DailyReport.objects.all()), {"kitchen.report"}, _("parte diario %(pk)s sin registro de auditoría")),
        # A delivery's or a count's movement is audited as the delivery or the count.
        (after(StockMovement.objects.filter(receipt__isnull=True).exclude(kind=MovementKind.COUNT)),
         {"kitchen.movement"}, _("movimiento de almacén %(pk)s sin registro de auditoría")),
    ]
    for query, actions, message in checks:
        audited = set(AuditEntry.objects.filter(action__in=actions, object_type=query.model._meta.model_name)
                      .values_list("object_id", flat=True))
        for pk in query.values_list("pk", flat=True).iterator(chunk_size=5000):
            if str(pk) not in audited:
                out.append(message % {"pk": pk})
    return out


def partition_violations() -> list[str]:
    """On PostgreSQL, this month's and next month's partitions of every partitioned table exist
    (`ayni runperiodic` creates them ahead; a missing one means the nightly job is not running, and
    the month's rows would pile up in the DEFAULT partition). On every engine, each revision's
    copied day is its report's (PostgreSQL's foreign key holds it; SQLite has only this check)."""
    from ayni.lib import partitions

    out = [_("falta la partición %(name)s (ejecute «ayni partitions ensure»)") % {"name": name}
           for name in partitions.missing_partitions()]
    wrong = (DailyReportRevision.objects.exclude(report_date=F("report__date"))
             .values_list("pk", flat=True).order_by("pk")[:20])
    out += [_("revisión de parte diario %(pk)s: su fecha no es la de su parte") % {"pk": pk} for pk in wrong]
    return out


def country_violations() -> list[str]:
    """Each organisation in its country's terms (orgs.services.check_place, check_country): a
    place of its own country's pack (a district in Peru, an area elsewhere), and the country of
    its federation below the top of the tree, where a regional network crosses borders."""
    out = []
    for pk, country, area_country in (Organisation.objects.filter(area__isnull=False)
                                      .exclude(area__country_id=F("country"))
                                      .values_list("pk", "country", "area__country_id")[:100]):
        out.append(_("organización %(pk)s: es de %(country)s y su lugar es de %(other)s")
                   % {"pk": pk, "country": country, "other": area_country})
    misplaced = (Organisation.objects.filter(country="PE", area__isnull=False)
                 | Organisation.objects.exclude(country="PE").filter(district__isnull=False))
    for pk, country in misplaced.values_list("pk", "country")[:100]:
        out.append(_("organización %(pk)s: de %(country)s, con el lugar de otro país (distrito o área)")
                   % {"pk": pk, "country": country})
    for pk, country, parent_country in (Organisation.objects.filter(parent__parent__isnull=False)
                                        .exclude(country=F("parent__country"))
                                        .values_list("pk", "country", "parent__country")[:100]):
        out.append(_("organización %(pk)s: es de %(country)s y su organización superior de %(other)s")
                   % {"pk": pk, "country": country, "other": parent_country})
    return out


def registry_violations() -> list[str]:
    """Everything here: `ayni check-integrity` runs it under one heading, next to the stock and
    monthly-summary checks of ayni.kitchens.integrity."""
    from ayni.people.search import index_violations

    return (path_violations() + orphan_violations() + import_violations() + merge_violations()
            + report_violations() + audit_violations() + account_violations() + repeat_violations()
            + message_key_violations() + dni_violations() + country_violations() + index_violations())
