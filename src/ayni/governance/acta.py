"""The acta (minutes) of an assembly, and the signed paper that goes with it.

A draft acta is read live from the assembly's own records (its convocation, roll, attendance,
quorum, motions, counts and agreements) plus what only the secretary can write: the debate of
each point and other observations. Approving it gives it the organisation's next correlative
number and freezes it: everything printed is written once as canonical JSON (`Acta.content`),
its SHA-256 kept beside it and printed on every page. From then on the PDF is drawn from that
JSON, never from the tables again, and every change is refused: a correction is a later acta that
says which one it corrects.

The printed form is the one the libro de actas and the Lima registry (SUNARP, RUOS) expect:
«En el distrito de …, siendo las … horas del día … se reunieron …», the attendance list with names,
DNI and a column to sign, and the roll of members in good standing as an annex.
"""

import hashlib
import json
import textwrap

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Prefetch
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can, Scope
from ayni.audit.services import record
from ayni.files.services import keep_upload
from ayni.governance import services
from ayni.governance.models import (
    Acta,
    AgendaItem,
    Assembly,
    Attendance,
    DebateSummary,
    Elector,
    Motion,
    Proxy,
    SignedPage,
)
from ayni.governance.rules import rule_for
from ayni.lib import pdf
from ayni.lib.identity import id_column
from ayni.orgs.models import Organisation

CONTENT_VERSION = 1
# An acta is written once the assembly has met: in session it is drafted, closed it is approved.
DRAFTABLE = (Assembly.Status.IN_SESSION, Assembly.Status.CLOSED, Assembly.Status.NO_QUORUM)
APPROVABLE = (Assembly.Status.CLOSED, Assembly.Status.NO_QUORUM)


class ActaLocked(ValidationError):
    """An approved acta was asked to change."""


def canonical(content: dict) -> str:
    """The one text of an acta's content that is hashed: keys sorted, no spaces, UTF-8 as is."""
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _locked_message(acta: Acta) -> str:
    return _("El acta N.º %(n)s ya está aprobada y no se modifica. Si tiene un error, corríjalo en un acta "
             "posterior que diga «corrige el acta N.º %(n)s».") % {"n": acta.number}


def _refuse_if_locked(acta: Acta) -> None:
    if acta.is_locked:
        raise ActaLocked(_locked_message(acta))


# --- What an acta says -------------------------------------------------------------------------

def _day(moment) -> str:
    return date_format(timezone.localtime(moment), r"j \d\e F \d\e Y")


def _time(moment) -> str:
    return date_format(timezone.localtime(moment), "H:i")


def build_content(acta: Acta) -> dict:
    """Everything the acta prints, read from the assembly's records now (a draft's live view,
    and what is frozen on approval). A fixed number of queries however long the roll."""
    assembly = (Assembly.objects.select_related("organisation__kind", "organisation__district__province",
                                                "organisation__district__department")
                .get(pk=acta.assembly_id))
    org = assembly.organisation
    rule = rule_for(org)
    quorum = services.quorum_state(assembly, rule)
    district = org.district
    roll = list(Elector.objects.filter(assembly=assembly).select_related("person", "delegate_of", "attendance",
                                                                         "proxy_given__holder")
                .order_by("number"))
    present = [e for e in roll if hasattr(e, "attendance")]
    carried: dict[int, list[int]] = {}
    for proxy in Proxy.objects.filter(assembly=assembly).select_related("giver", "holder"):
        carried.setdefault(proxy.holder.number, []).append(proxy.giver.number)
    items = (AgendaItem.objects.filter(assembly=assembly).select_related("debate").order_by("number")
             .prefetch_related(Prefetch("motions", queryset=Motion.objects.select_related(
                 "agreement__responsible").order_by("pk"))))

    def person(e: Elector) -> dict:
        return {"number": e.number, "name": e.person.full_name, "dni": e.person.dni or "",
                "delegate_of": e.delegate_of.name if e.delegate_of_id else "", "weight": e.weight}

    def motion(m: Motion) -> dict:
        agreement = getattr(m, "agreement", None)
        return {
            "number": m.pk, "text": m.text, "decision": m.get_decision_display(), "ballot": m.get_ballot_display(),
            "secret": m.ballot == Motion.Ballot.SECRET, "status": m.get_status_display(),
            "yes": m.yes, "no": m.no, "abstain": m.abstain, "voters": m.voters,
            "majority": m.get_majority_display() if m.majority else "",
            "outcome": m.get_outcome_display() if m.outcome else "", "adopted": m.outcome == Motion.Outcome.ADOPTED,
            "agreement": None if agreement is None else {
                "text": agreement.text, "responsible": agreement.responsible.full_name,
                "deadline": date_format(agreement.deadline, "d/m/Y"),
                "authority": agreement.authority if agreement.involves_authority else ""},
        }

    corrects = acta.corrects
    return {
        "version": CONTENT_VERSION,
        "number": acta.number,
        "approved_on": _day(acta.approved_at) if acta.approved_at else "",
        "organisation": {"name": org.name, "kind": org.kind.name, "address": org.address,
                         "district": district.name.title() if district else "",
                         "province": district.province.name.title() if district else "",
                         "department": district.department.name.title() if district else ""},
        "assembly": {
            "kind": assembly.get_kind_display().lower(), "mode": assembly.get_mode_display().lower(),
            "is_async": assembly.is_async, "by_delegates": assembly.by_delegates,
            "place": assembly.place, "link": assembly.link,
            "day": _day(assembly.starts_at), "time": _time(assembly.starts_at),
            "ends_day": _day(assembly.ends_at) if assembly.ends_at else "",
            "ends_time": _time(assembly.ends_at) if assembly.ends_at else "",
            "closed_time": _time(assembly.closed_at) if assembly.closed_at else "",
            "closed_day": _day(assembly.closed_at) if assembly.closed_at else "",
            "convened_on": _day(assembly.convened_at), "notice_days": rule.notice_days,
            "status": assembly.get_status_display(), "no_quorum": assembly.status == Assembly.Status.NO_QUORUM,
        },
        "quorum": {"call": assembly.get_quorum_call_display() if assembly.quorum_call else "",
                   "present": assembly.quorum_present if assembly.quorum_present is not None else quorum.present,
                   "total": quorum.total, "needed_first": quorum.needed_first,
                   "needed_second": quorum.needed_second, "rule_first": rule.get_quorum_first_display(),
                   "rule_second": rule.get_quorum_second_display()},
        "agenda": [{"number": i.number, "title": i.title,
                    "debate": i.debate.text if hasattr(i, "debate") else "",
                    "motions": [motion(m) for m in i.motions.all()]} for i in items],
        "attendance": [{**person(e), "how": e.attendance.get_how_display(), "carries": carried.get(e.number, [])}
                       for e in present],
        "roll": [{**person(e), "present": hasattr(e, "attendance"),
                  "proxy_to": e.proxy_given.holder.number if hasattr(e, "proxy_given") else None} for e in roll],
        "observations": acta.observations,
        "corrects": None if corrects is None else {"number": corrects.number,
                                                   "approved_on": _day(corrects.approved_at)},
        "correction": acta.correction,
    }


def content_of(acta: Acta) -> dict:
    """What the acta says: frozen once approved, live while a draft."""
    return json.loads(acta.content) if acta.is_locked else build_content(acta)


# The attendance list is typed in fixed columns of DejaVu Sans Mono at 8 pt, as a typewriter fills
# the libro de actas: 104 characters across the page's 180 mm, 42 lines to a block and a block to a
# page, each block with its header. Drawn as one <table>, WeasyPrint's table layout and five boxes
# per person cost 1.7 s of CPU for 400 people; as a few preformatted blocks, about a quarter of that.
SHEET_WIDTH = 104
SHEET_ROWS = 42
SIGN_LINE = "_" * 20


def attendance_sheet(roll: list[dict], country: str | None = None) -> dict:
    """The roll of an acta's content as fixed-width text — number, names, DNI, whether she came,
    a line to sign — in blocks of `SHEET_ROWS` people; a name too long for its column goes on to
    the next line. Drawn from the content, so an approved acta prints what was frozen."""

    def came(p: dict) -> str:
        if p["present"]:
            return _("sí")
        if p.get("proxy_to"):
            return _("poder a %(h)s") % {"h": p["proxy_to"]}
        return _("no")

    # "DNI", "CI"…, or «Documento» when countries mix; the organisation's document when nobody has one
    column = id_column((p.get("dni") for p in roll), country)
    head = ("N.º", _("Apellidos y nombres"), column.label, _("Asistió"), _("Firma"))
    cells = [(str(p["number"]), p["name"] + (f" ({p['delegate_of']})" if p.get("delegate_of") else ""),
              column.cell(p.get("dni")) or "—", came(p)) for p in roll]
    number_w = max([len(head[0])] + [len(c[0]) for c in cells])
    dni_w = max([len(head[2])] + [len(c[2]) for c in cells])
    came_w = max([len(head[3])] + [len(c[3]) for c in cells])
    name_w = max(20, SHEET_WIDTH - number_w - dni_w - came_w - len(SIGN_LINE) - 8)

    def line(number, name, dni, attended, sign) -> str:
        return f"{number:>{number_w}}  {name:<{name_w}}  {dni:<{dni_w}}  {attended:<{came_w}}  {sign}".rstrip()

    blocks, rows = [], []
    for number, name, dni, attended in cells:
        first, *rest = textwrap.wrap(name, name_w) or [""]
        person = [line(number, first, dni, attended, SIGN_LINE), *(line("", more, "", "", "") for more in rest)]
        if len(rows) + len(person) > SHEET_ROWS:
            blocks.append(rows)
            rows = []
        rows.extend(person)
    if rows:
        blocks.append(rows)
    return {"header": line(*head), "rule": "─" * len(line(*head[:4], SIGN_LINE)),
            "blocks": ["\n".join(rows) for rows in blocks]}


def render_pdf(acta: Acta, base_url: str) -> bytes:
    content = content_of(acta)
    sheet = attendance_sheet(content["roll"], acta.organisation.country)
    html = render_to_string("governance/acta_pdf.html", {
        "acta": acta, "c": content, "sheet": sheet, "generated": timezone.localtime()})
    return pdf.html_to_pdf(html, base_url=base_url)


# --- Writing and approving ---------------------------------------------------------------------

@transaction.atomic
def start_acta(*, scope: Scope, assembly: Assembly) -> Acta:
    """The assembly's acta, opened as a draft the first time (two secretaries opening it at once
    get the same one)."""
    scope.require(Can.EDIT, assembly.organisation)
    assembly = Assembly.objects.select_for_update().get(pk=assembly.pk)
    existing = Acta.objects.filter(assembly=assembly).first()
    if existing is not None:
        return existing
    if assembly.status not in DRAFTABLE:
        raise ValidationError(_("El acta se redacta cuando la asamblea ya se instaló o concluyó."))
    acta = Acta.objects.create(organisation_id=assembly.organisation_id, assembly=assembly)
    record(scope=scope, action="gov.acta.start", obj=acta, org_path=assembly.organisation.path,
           after={"assembly": assembly.pk})
    return acta


def _locked_acta(acta: Acta) -> Acta:
    return Acta.objects.select_for_update().select_related("organisation", "assembly").get(pk=acta.pk)


@transaction.atomic
def save_draft(*, scope: Scope, acta: Acta, debates: dict[int, str], observations: str = "",
               corrects: Acta | None = None, correction: str = "") -> Acta:
    """The secretary's text: the debate of each agenda point (by item id), other observations,
    and which earlier acta this one corrects. Refused once the acta is approved."""
    acta = _locked_acta(acta)
    scope.require(Can.EDIT, acta.organisation)
    _refuse_if_locked(acta)
    errors = {}
    if corrects is not None and (corrects.organisation_id != acta.organisation_id or not corrects.is_locked):
        errors["corrects"] = _("Solo se corrige un acta aprobada de la misma organización.")
    if corrects is not None and not correction.strip():
        errors["correction"] = _("Escriba qué se corrige del acta N.º %(n)s.") % {"n": corrects.number}
    items = {i.pk: i for i in AgendaItem.objects.filter(assembly_id=acta.assembly_id)}
    unknown = set(debates) - set(items)
    if unknown:
        raise ValidationError(_("Ese punto no es de la agenda de esta asamblea."))
    if errors:
        raise ValidationError(errors)
    for item_id, text in debates.items():
        text = text.strip()
        if text:
            DebateSummary.objects.update_or_create(item=items[item_id], defaults={"text": text[:6000]})
        else:
            DebateSummary.objects.filter(item_id=item_id).delete()
    acta.observations = observations.strip()[:4000]
    acta.corrects = corrects
    acta.correction = correction.strip()[:2000] if corrects else ""
    acta.save(update_fields=["observations", "corrects", "correction", "updated_at"])
    record(scope=scope, action="gov.acta.draft", obj=acta, org_path=acta.organisation.path,
           after={"items": sorted(debates), "corrects": corrects.number if corrects else None})
    return acta


@transaction.atomic
def approve_acta(*, scope: Scope, acta: Acta) -> Acta:
    """Approve and lock the acta: the organisation's next number, its content frozen and hashed.

    The organisation's row is locked first, so two secretaries approving two actas at once take
    turns and get consecutive numbers (PostgreSQL: the row lock; SQLite: BEGIN IMMEDIATE already
    serialises writers); the unique constraint is the last word."""
    Organisation.objects.select_for_update().filter(pk=acta.organisation_id).exists()
    acta = _locked_acta(acta)
    scope.require(Can.EDIT, acta.organisation)
    _refuse_if_locked(acta)
    if acta.assembly.status not in APPROVABLE:
        raise ValidationError(_("El acta se aprueba cuando la asamblea concluyó. Cierre primero la asamblea."))
    last = Acta.objects.filter(organisation_id=acta.organisation_id).aggregate(n=Max("number"))["n"] or 0
    acta.number, acta.status = last + 1, Acta.Status.APPROVED
    acta.approved_at, acta.approved_by = timezone.now(), scope.actor
    acta.content = canonical(build_content(acta))
    acta.sha256 = sha256_of(acta.content)
    acta.save(update_fields=["number", "status", "approved_at", "approved_by", "content", "sha256", "updated_at"])
    record(scope=scope, action="gov.acta.approve", obj=acta, org_path=acta.organisation.path,
           after={"number": acta.number, "sha256": acta.sha256})
    return acta


# --- Signed paper ------------------------------------------------------------------------------

def _keep_page(scope: Scope, assembly: Assembly, upload, kind: str, numbers=()) -> SignedPage:
    if upload is None:
        raise ValidationError({"photo": _("Adjunte la foto o el escaneo de la hoja firmada.")})
    stored, _new = keep_upload(upload)
    page = SignedPage.objects.create(assembly=assembly, kind=kind, file=stored, numbers=sorted(set(numbers)),
                                     uploaded_by=scope.actor)
    record(scope=scope, action="gov.signed_page", obj=page, org_path=assembly.organisation.path,
           after={"kind": kind, "sha256": stored.sha256, "numbers": page.numbers})
    return page


@transaction.atomic
def record_paper_list(*, scope: Scope, assembly: Assembly, numbers: list[int], photo) -> tuple[int, SignedPage]:
    """The signed paper attendance list, entered afterwards: the names tapped from the roll are
    marked present (as read from paper) and the photo of the page is kept with them. Nothing is
    saved if either is refused. Returns (how many were new, the page)."""
    scope.require(Can.EDIT, assembly.organisation)
    if not numbers:
        raise ValidationError({"n": _("Marque en el padrón a quienes firmaron la lista.")})
    marked = services.record_attendance(scope=scope, assembly=assembly, numbers=numbers, how=Attendance.How.PAPER)
    page = _keep_page(scope, assembly, photo, SignedPage.Kind.ATTENDANCE, numbers)
    return marked, page


@transaction.atomic
def attach_signed_acta(*, scope: Scope, acta: Acta, photo) -> SignedPage:
    """A photo or scan of the acta's signed pages. Signatures come after approval, so this is
    allowed on a locked acta: it adds a file beside the acta and changes nothing in it."""
    acta = _locked_acta(acta)
    scope.require(Can.EDIT, acta.organisation)
    if not acta.is_locked:
        raise ValidationError(_("Primero apruebe el acta; luego adjunte sus páginas firmadas."))
    return _keep_page(scope, acta.assembly, photo, SignedPage.Kind.ACTA)


# --- Reads (the assembly was found through the caller's scope) ----------------------------------

def acta_for(assembly: Assembly) -> Acta:
    """The assembly's acta, or an unsaved draft over its records when none was started yet."""
    return (Acta.objects.select_related("corrects").filter(assembly=assembly).first()
            or Acta(assembly=assembly, organisation_id=assembly.organisation_id))


def approved_actas(organisation: Organisation):
    """The organisation's libro de actas: what a later acta may correct."""
    return Acta.objects.filter(organisation=organisation, status=Acta.Status.APPROVED).order_by("-number")


def signed_pages_of(assembly: Assembly):
    return SignedPage.objects.filter(assembly=assembly).select_related("file").order_by("uploaded_at", "pk")


def get_signed_page(assembly: Assembly, pk) -> SignedPage:
    try:
        return signed_pages_of(assembly).get(pk=pk)
    except (SignedPage.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
