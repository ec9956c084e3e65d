"""Recorded changes in plain Spanish: what happened, to what, which field, from what to what.

The audit trail and a day's report history store machine values (`kitchen.receipt.delete`,
`is_closed: False`, a food item's code). A leader or a coordinator reads them here as words:
the action's label, the model's name, each field's own label and its value as the form shows it
(Sí/No, the choice's label, a date as 14/03/2026, a number without trailing zeros). One place,
so every page that shows a change says it the same way.
"""

import datetime
import re
import time
from decimal import Decimal, InvalidOperation
from functools import cache

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Every action a service records (grep `record(` in src/ayni). An action without a label here is
# shown by its model's name and the code, and tests/test_ops_audit.py fails on it.
ACTION_LABELS = {
    "org.create": gettext_lazy("Registró la organización"),
    "org.update": gettext_lazy("Cambió los datos de la organización"),
    "org.status": gettext_lazy("Cambió el estado de la organización"),
    "org.move": gettext_lazy("Trasladó la organización"),
    "org.requirement": gettext_lazy("Marcó un requisito de afiliación"),
    "org.requirement.remove": gettext_lazy("Desmarcó un requisito de afiliación"),
    "person.create": gettext_lazy("Registró a la persona"),
    "person.update": gettext_lazy("Cambió los datos de la persona"),
    "person.merge": gettext_lazy("Unió dos registros de la misma persona"),
    "person.dni_held": gettext_lazy("Pasó a revisión un DNI que ya tiene otra persona"),
    "membership.create": gettext_lazy("Registró a la socia"),
    "membership.end": gettext_lazy("Dio de baja a la socia"),
    "position.create": gettext_lazy("Asignó un cargo"),
    "position.end": gettext_lazy("Terminó un cargo"),
    "roll.register": gettext_lazy("Inscribió en el padrón"),
    "roll.update": gettext_lazy("Cambió una inscripción del padrón"),
    "roll.exit": gettext_lazy("Registró la salida del padrón"),
    "roll.export": gettext_lazy("Descargó el padrón"),
    "roll.import_upload": gettext_lazy("Subió un archivo del padrón"),
    "roll.import": gettext_lazy("Importó el padrón"),
    "roll.import_columns": gettext_lazy("Indicó qué es cada columna del archivo del padrón"),
    "roll.pair_decided": gettext_lazy("Revisó un posible duplicado"),
    "kitchen.report": gettext_lazy("Guardó el parte diario"),
    "kitchen.report.delete": gettext_lazy("Anuló el parte diario"),
    "kitchen.movement": gettext_lazy("Registró una entrada o salida de alimentos"),
    "kitchen.movement.delete": gettext_lazy("Anuló una entrada o salida de alimentos"),
    "kitchen.count": gettext_lazy("Registró un conteo físico"),
    "kitchen.count.delete": gettext_lazy("Anuló un conteo físico"),
    "kitchen.schedule": gettext_lazy("Registró una entrega programada"),
    "kitchen.receipt": gettext_lazy("Registró la recepción de una entrega"),
    "kitchen.receipt.delete": gettext_lazy("Anuló la recepción de una entrega"),
    "kitchen.subsidy": gettext_lazy("Registró un subsidio recibido"),
    "kitchen.subsidy.delete": gettext_lazy("Anuló un subsidio recibido"),
    "kitchen.month.close": gettext_lazy("Cerró el mes"),
    "kitchen.month.validate": gettext_lazy("Validó el mes"),
    "kitchen.month.return": gettext_lazy("Devolvió el mes para corregirlo"),
    "account.create": gettext_lazy("Creó la cuenta"),
    "account.reset_code": gettext_lazy("Generó un código para cambiar la contraseña"),
    "account.activate": gettext_lazy("Activó la cuenta"),
    "account.deactivate": gettext_lazy("Desactivó la cuenta"),
    "account.grant": gettext_lazy("Dio un rol"),
    "account.revoke": gettext_lazy("Quitó un rol"),
    "account.code_redeemed": gettext_lazy("Usó su código de ingreso"),
    "account.password_changed": gettext_lazy("Cambió su contraseña"),
    "capture.token.create": gettext_lazy("Creó una clave de la API"),
    "capture.token.revoke": gettext_lazy("Revocó una clave de la API"),
    "evidence.public_profile": gettext_lazy("Cambió la publicación de datos abiertos"),
    "demo.generate": gettext_lazy("Generó los datos de demostración"),
    "gov.rule": gettext_lazy("Cambió las reglas del estatuto"),
    "gov.convene": gettext_lazy("Convocó a asamblea"),
    "gov.delegate": gettext_lazy("Acreditó a una delegada"),
    "gov.attendance": gettext_lazy("Registró asistencia a la asamblea"),
    "gov.attendance.remove": gettext_lazy("Quitó a una persona de la asistencia"),
    "gov.proxy": gettext_lazy("Registró una carta poder"),
    "gov.quorum": gettext_lazy("Verificó el quórum"),
    "gov.motion": gettext_lazy("Presentó una moción"),
    "gov.motion.open": gettext_lazy("Puso una moción a votación"),
    "gov.vote": gettext_lazy("Votó"),
    "gov.hands": gettext_lazy("Anotó un conteo a mano alzada"),
    "gov.motion.close": gettext_lazy("Cerró la votación de una moción"),
    "gov.close": gettext_lazy("Cerró la asamblea"),
    "gov.agreement": gettext_lazy("Registró un acuerdo"),
    "gov.agreement.status": gettext_lazy("Cambió el estado de un acuerdo"),
    "gov.acta.start": gettext_lazy("Empezó a redactar el acta"),
    "gov.acta.draft": gettext_lazy("Redactó el acta"),
    "gov.acta.approve": gettext_lazy("Aprobó el acta"),
    "gov.signed_page": gettext_lazy("Adjuntó páginas firmadas"),
    "gov.dues.rule": gettext_lazy("Fijó la cuota acordada en asamblea"),
    "gov.dues.exempt": gettext_lazy("Registró una exoneración de cuotas"),
    "gov.dues.payment": gettext_lazy("Registró un pago de cuota"),
    "gov.dues.confirm": gettext_lazy("Confirmó un pago de cuota"),
    "gov.dues.annul": gettext_lazy("Anuló un pago de cuota"),
    "gov.election": gettext_lazy("Convocó una elección de junta directiva"),
    "gov.slate": gettext_lazy("Inscribió una lista de candidatas"),
    "gov.election.ballot": gettext_lazy("Puso las listas a votación"),
    "gov.election.decide": gettext_lazy("Proclamó el resultado de la elección"),
    "memorial.record": gettext_lazy("Registró a una lideresa en la memoria"),
    "memorial.correct": gettext_lazy("Corrigió un registro de la memoria"),
    "memorial.withdraw": gettext_lazy("Retiró un registro de la memoria"),
    "experience.write": gettext_lazy("Escribió una experiencia"),
    "experience.edit": gettext_lazy("Editó una experiencia"),
    "experience.attach": gettext_lazy("Añadió un archivo a una experiencia"),
    "experience.submit": gettext_lazy("Envió una experiencia a revisión"),
    "experience.review": gettext_lazy("Revisó una experiencia"),
    "experience.withdraw": gettext_lazy("Retiró la publicación de una experiencia"),
    "advocacy.authority": gettext_lazy("Registró una autoridad o candidata(o)"),
    "advocacy.elected": gettext_lazy("Anotó a una candidata(o) como autoridad electa"),
    "advocacy.commit": gettext_lazy("Registró un compromiso de una autoridad"),
    "advocacy.stage": gettext_lazy("Anotó el seguimiento de un compromiso"),
    "advocacy.evidence": gettext_lazy("Añadió evidencia a un compromiso"),
    "advocacy.publish": gettext_lazy("Cambió la publicación de una evidencia"),
    "advocacy.overdue": gettext_lazy("Marcó vencido un compromiso"),
    "advocacy.law": gettext_lazy("Registró una ley o demanda a seguir"),
    "advocacy.milestone": gettext_lazy("Anotó un hito de una ley"),
    "advocacy.round": gettext_lazy("Convocó una ronda de calificación comunitaria"),
    "advocacy.rate": gettext_lazy("Calificó un servicio público"),
    "leadership.programme": gettext_lazy("Abrió una escuela de formación"),
    "leadership.module": gettext_lazy("Agregó un módulo a una escuela"),
    "leadership.session": gettext_lazy("Agregó una sesión a una escuela"),
    "leadership.invite": gettext_lazy("Invitó a una socia a una escuela"),
    "leadership.enrol": gettext_lazy("Inscribió a una socia en una escuela"),
    "leadership.attendance": gettext_lazy("Anotó asistencia a una sesión de formación"),
    "leadership.paper_list": gettext_lazy("Guardó la foto de una lista de asistencia en papel"),
    "leadership.key_rotate": gettext_lazy("Cambió la clave de firma de certificados"),
    "leadership.keys_rewrap": gettext_lazy("Volvió a envolver una clave de firma de certificados"),
    "leadership.certificate": gettext_lazy("Emitió un certificado"),
    "leadership.revoke": gettext_lazy("Revocó un certificado"),
    "leadership.certificate_consent": gettext_lazy("Cambió lo que un certificado muestra al verificarlo"),
    "leadership.consent": gettext_lazy("Registró el consentimiento para una trayectoria"),
    "leadership.consent_withdrawn": gettext_lazy("Registró el retiro del consentimiento para una trayectoria"),
    "leadership.representation": gettext_lazy("Registró una representación ganada"),
    # Protection: only that something happened to a numbered case, never what it says.
    "protection.case_open": gettext_lazy("Abrió un caso de protección"),
    "protection.case_update": gettext_lazy("Actualizó un caso de protección"),
    "protection.case_reassign": gettext_lazy("Asignó otra defensora a un caso"),
    "protection.case_shred": gettext_lazy("Eliminó un caso al terminar su conservación"),
    "protection.referral_add": gettext_lazy("Registró una derivación"),
    "protection.referral_update": gettext_lazy("Actualizó una derivación"),
    "protection.step_add": gettext_lazy("Registró un trámite de tierra"),
    "protection.file_add": gettext_lazy("Agregó un documento a un caso"),
    "protection.break_glass": gettext_lazy("Abrió un caso con acceso de emergencia"),
    "protection.supervisor": gettext_lazy("Nombró a la supervisora de una federación"),
    "protection.service": gettext_lazy("Cambió el directorio de servicios"),
    "protection.incident": gettext_lazy("Registró un incidente de seguridad"),
    "protection.rotate": gettext_lazy("Cambió la clave maestra de protección"),
    "savings.group": gettext_lazy("Creó un banquito"),
    "savings.cycle": gettext_lazy("Abrió un ciclo del banquito"),
    "savings.member": gettext_lazy("Anotó a una socia en el banquito"),
    "savings.meeting": gettext_lazy("Abrió una reunión del banquito"),
    "savings.attendance": gettext_lazy("Registró la asistencia a la reunión del banquito"),
    "savings.entry": gettext_lazy("Anotó un movimiento del banquito"),
    "savings.box": gettext_lazy("Anotó el conteo de la caja del banquito"),
    "savings.share_out": gettext_lazy("Hizo el reparto del banquito"),
    "garden.create": gettext_lazy("Registró un biohuerto"),
    "garden.harvest": gettext_lazy("Anotó una cosecha del biohuerto"),
    "producer.create": gettext_lazy("Registró a un productor"),
    "producer.purchase": gettext_lazy("Anotó una compra a un productor"),
    "producer.purchase.delete": gettext_lazy("Anuló una compra a un productor"),
    "venture.create": gettext_lazy("Registró un emprendimiento"),
    "venture.member": gettext_lazy("Anotó a una socia en el emprendimiento"),
    "venture.month": gettext_lazy("Anotó las ventas y costos de un mes del emprendimiento"),
}

# Machine fields that say nothing to a reader of the change (bookkeeping, not content).
HIDDEN_FIELDS = {"id", "version", "created_at", "updated_at", "created_by", "updated_by", "path", "depth",
                 "password", "last_login", "search_name", "dni_check"}

_DEFAULT_LABEL = re.compile(r"^(?P<model>\w+) object \((?P<pk>[^)]*)\)$")


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


@cache
def model_for(object_type: str) -> type[models.Model] | None:
    """The Ayni model an audit entry's `object_type` (a model name) names, if any."""
    for model in apps.get_models():
        if model._meta.model_name == object_type and model.__module__.startswith("ayni."):
            return model
    return None


def object_label(object_type: str, label: str) -> str:
    """An entry's object as words; entries written before a model had its own `__str__` say
    "DeliveryReceipt object (4013)", shown as "recepción de entrega n.º 4013"."""
    match = _DEFAULT_LABEL.match(label or "")
    model = model_for(object_type)
    if match and model is not None:
        return _("%(what)s n.º %(pk)s") % {"what": model._meta.verbose_name, "pk": match["pk"]}
    return label


def value_text(field: models.Field | None, value) -> str:
    """A stored value as the form would show it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool) or (field is not None and isinstance(field, models.BooleanField)):
        truthy = value in (True, "True", "true", 1, "1")
        return _("Sí") if truthy else _("No")
    if field is not None and field.is_relation:
        return _related_text(field, value)
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field is not None and isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
        try:
            return date_format(datetime.date.fromisoformat(str(value)), "d/m/Y")
        except ValueError:
            return str(value)
    if field is not None and isinstance(field, models.DecimalField):
        try:
            return format(Decimal(str(value)).normalize(), "f")
        except InvalidOperation:
            return str(value)
    return str(value)


# Catalogue rows (a food item, a category, a district) are public words and are named; any other
# related row (a person, an account, another kitchen) is shown by number only, so a change log
# never names something the reader's scope may not cover.
CATALOGUES = {"kitchens.fooditem", "rolls.category", "orgs.orgkind", "people.positionkind", "people.language",
              "geo.district", "geo.province", "geo.department", "orgs.requirementitem"}


CATALOGUE_SECONDS = 60  # a renamed food item shows under its new name within a minute


def _catalogue(related: type[models.Model]) -> dict[str, str]:
    """A catalogue's rows as {pk: name}, read once a minute: a page of 50 changes names its food
    items with one query, not one per change."""
    label = related._meta.label_lower
    read_at, names = _CATALOGUE_CACHE.get(label, (0.0, {}))
    if time.monotonic() - read_at > CATALOGUE_SECONDS:
        names = {str(row.pk): str(row) for row in related._default_manager.all()}
        _CATALOGUE_CACHE[label] = (time.monotonic(), names)
    return names


_CATALOGUE_CACHE: dict[str, tuple[float, dict[str, str]]] = {}


def _related_text(field: models.Field, value) -> str:
    related = field.related_model
    if related is not None and related._meta.label_lower in CATALOGUES:
        name = _catalogue(related).get(str(value))
        if name is not None:
            return name
    return _("n.º %(pk)s") % {"pk": value}


def field_label(model: type[models.Model] | None, name: str) -> tuple[str, models.Field | None]:
    if model is None:
        return name, None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return name, None
    label = getattr(field, "verbose_name", None) or name
    label = str(label)
    # Django makes a label from the attribute name when none is given ("rations prepared"):
    # those are not words a reader knows, so say the field as the form does.
    return label[:1].upper() + label[1:], field


def changes(model: type[models.Model] | None, before: dict, after: dict, only_changed: bool = True):
    """[(label, before text, after text, changed)] for the fields a person would care about."""
    rows = []
    keys = list(after) + [k for k in before if k not in after]
    if model is not None:  # the model's own order: PostgreSQL's jsonb keeps none
        order = {f.name: i for i, f in enumerate(model._meta.get_fields())}
        keys.sort(key=lambda k: order.get(k, len(order)))
    for key in keys:
        if key in HIDDEN_FIELDS:
            continue
        old, new = before.get(key), after.get(key)
        changed = _comparable(old) != _comparable(new)
        if only_changed and not changed:
            continue
        label, field = field_label(model, key)
        rows.append((label, value_text(field, old) if key in before else "—", value_text(field, new), changed))
    return rows


def _comparable(value):
    """`100`, `100.00` and Decimal('100') are one value; a change of text is not a change."""
    if value is None or value == "":
        return None  # nothing typed, however it was stored
    if isinstance(value, bool):
        return value
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return value
