"""Leadership pages: authorise, parse, call a service or selector, render."""


import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ayni.accounts.models import User
from ayni.accounts.scope import Can
from ayni.capture import outbox_batch
from ayni.capture.models import Inbound
from ayni.evidence.charts import bar_chart
from ayni.leadership import credentials, equity, selectors, services, tasks
from ayni.leadership.forms import (
    ConsentForm,
    InviteForm,
    ModuleForm,
    PaperListForm,
    ProgrammeForm,
    RepresentationForm,
    RevokeForm,
    SessionForm,
)
from ayni.leadership.models import Attendance, IssuerKey
from ayni.lib.pdf import html_to_pdf
from ayni.lib.views import button, form_page, to
from ayni.orgs.access import requires
from ayni.orgs.selectors import scope_roots
from ayni.people.selectors import get_person


def _programme(request, pk, can=Can.VIEW):
    programme = selectors.get_programme(request.scope, pk)
    request.scope.require(can, programme.organisation)
    return programme


def qr_svg(text: str, scale: int = 4) -> str:
    """A QR code as inline SVG (segno), drawn on the server: no script, prints sharp."""
    return segno.make(text, error="m").svg_inline(scale=scale, dark="#000", light="#fff")


@login_required
def index(request):
    scope = request.scope
    return render(request, "leadership/index.html", {
        "programmes": selectors.visible_programmes(scope)[:50],
        "sessions": selectors.facilitated_sessions(scope).filter(
            starts_at__date__gte=timezone.localdate() - timezone.timedelta(days=30))[:20],
        "organisations": scope_roots(scope)[:20],
    })


@requires(Can.VIEW, on="pk")
def organisation(request, org):
    return render(request, "leadership/organisation.html", {
        "org": org, "programmes": selectors.visible_programmes(request.scope).filter(organisation=org)[:100],
        "can_edit": request.scope.holds(Can.EDIT, org),
    })


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def create(request, org):
    return form_page(
        request, ProgrammeForm(request.POST or None, organisation=org),
        action=lambda data: services.create_programme(scope=request.scope, organisation=org, **data),
        success=_("Se abrió la escuela."), then=lambda p: redirect("leadership:programme", programme=p.pk),
        template="leadership/form.html", context={"org": org, "title": _("Nueva escuela de formación")},
    )


@login_required
def programme(request, programme):
    programme = _programme(request, programme)
    scope = request.scope
    personal = scope.holds(Can.VIEW_PERSONAL, programme.organisation)
    return render(request, "leadership/programme.html", {
        "programme": programme, "org": programme.organisation,
        "modules": programme.modules.all(), "sessions": selectors.sessions_of(programme),
        "enrolments": selectors.enrolments_of(scope, programme) if personal else None,
        "can_edit": scope.holds(Can.EDIT, programme.organisation), "invite_form": InviteForm(),
        "languages": programme.languages.all(),
    })


@require_http_methods(["GET", "POST"])
@login_required
def module_add(request, programme):
    programme = _programme(request, programme, Can.EDIT)
    return form_page(
        request, ModuleForm(request.POST or None),
        action=lambda data: services.add_module(scope=request.scope, programme=programme, **data),
        success=_("Módulo agregado."), then=to("leadership:programme", programme=programme.pk),
        template="leadership/form.html", context={"programme": programme, "title": _("Nuevo módulo")},
    )


def _facilitators(text: str) -> list[User]:
    names = [n.strip() for n in (text or "").split(",") if n.strip()]
    found = list(User.objects.filter(username__in=names, is_active=True))
    missing = set(names) - {u.username for u in found}
    if missing:
        raise ValidationError({"facilitators": _("No hay cuentas con estos usuarios: %(names)s.")
                               % {"names": ", ".join(sorted(missing))}})
    return found


@require_http_methods(["GET", "POST"])
@login_required
def session_add(request, programme):
    programme = _programme(request, programme, Can.EDIT)
    form = SessionForm(request.POST or None, programme=programme)
    return form_page(
        request, form,
        action=lambda data: services.add_session(
            scope=request.scope, programme=programme, module=data["module"], starts_at=data["starts_at"],
            place=data["place"], link=data["link"], facilitators=_facilitators(data["facilitators"])),
        success=_("Sesión agregada."), then=to("leadership:programme", programme=programme.pk),
        template="leadership/form.html", context={"programme": programme, "title": _("Nueva sesión")},
    )


@require_POST
@login_required
def invite(request, programme):
    programme = _programme(request, programme, Can.EDIT)
    form = InviteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Escriba el número de socia que figura en su carné."))
    else:
        try:
            person = get_person(request.scope, form.cleaned_data["number"])
        except Http404:
            messages.error(request, _("No se encontró a esa socia entre las organizaciones que usted ve."))
        else:
            button(request, lambda: services.invite(scope=request.scope, programme=programme, person=person,
                                                    enrol=form.cleaned_data["enrol"]),
                   _("%(name)s fue invitada.") % {"name": person.full_name})
    return redirect("leadership:programme", programme=programme.pk)


@require_POST
@login_required
def enrol(request, programme, enrolment):
    programme = _programme(request, programme, Can.EDIT)
    enrolment = selectors.get_enrolment(request.scope, programme, enrolment)
    button(request, lambda: services.enrol(scope=request.scope, enrolment=enrolment), _("Inscrita."))
    return redirect("leadership:programme", programme=programme.pk)


def _session(request, pk):
    session = selectors.get_session(request.scope, pk)
    if not services.may_take_attendance(request.scope, session):
        raise PermissionDenied
    return session


@require_http_methods(["GET", "POST"])
@login_required
def attendance(request, session):
    """The facilitator's list: tap names, type a number, or scan the card's QR. Without signal the
    form is kept by the outbox and sent when the signal returns."""
    session = _session(request, session)
    if request.method == "POST":
        numbers = services.parse_numbers(request.POST.getlist("numbers")) + services.parse_numbers(
            request.POST.get("typed", ""))
        how = request.POST.get("how") or Attendance.How.LIST
        try:
            result = services.mark_attendance(scope=request.scope, session=session, numbers=numbers, how=how)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            text = _("%(n)s anotadas.") % {"n": len(result.marked)}
            if result.already:
                text += " " + _("Ya estaban anotadas: %(names)s.") % {
                    "names": ", ".join(p.full_name for p in result.already)}
            messages.success(request, text)
        return redirect("leadership:attendance", session=session.pk)
    return render(request, "leadership/attendance.html", {
        "session": session, "programme": session.programme, "list": selectors.session_list(session),
        "how": Attendance.How, "future": timezone.localdate(session.starts_at) > timezone.localdate(),
        "paper_form": PaperListForm(),
    })


@require_POST
@login_required
def batch(request, session):
    """The outbox's batch for one session: each item stored raw in capture, then processed once
    (the same client id sent again returns its first result)."""
    session = _session(request, session)
    return outbox_batch.batch_response(
        request.body, scope=request.scope, kitchen=session.programme.organisation, kind=Inbound.Kind.ATTENDANCE,
        record_id=session.pk, keep=lambda _k, v: isinstance(v, str | int), extra={"session": session.pk})


@require_POST
@login_required
def paper(request, session):
    session = _session(request, session)
    form = PaperListForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Falta la foto o los números de la lista."))
    else:
        button(request, lambda: services.enter_paper_list(
            scope=request.scope, session=session, photo=form.cleaned_data["photo"],
            numbers=services.parse_numbers(form.cleaned_data["numbers"])), _("Lista en papel guardada y anotada."))
    return redirect("leadership:attendance", session=session.pk)


@require_POST
@login_required
def issue(request, programme):
    programme = _programme(request, programme, Can.EDIT)
    waiting = programme.enrolments.filter(completed_on__isnull=False, certificate__isnull=True).count()
    if waiting == 0:
        messages.info(request, _("Nadie más completó la escuela todavía."))
    else:
        tasks.issue_programme_certificates.enqueue(programme.pk, request.user.pk)
        messages.success(request, _("Se están firmando %(n)s certificados; aparecerán en la lista en unos momentos.")
                         % {"n": waiting})
    return redirect("leadership:programme", programme=programme.pk)


def certificate_html(certificate, verify_url: str) -> str:
    enrolment = certificate.enrolment
    return render_to_string("leadership/certificate_pdf.html", {
        "certificate": certificate, "person": enrolment.person, "programme": enrolment.programme,
        "issuer": certificate.issuer, "code": credentials.show_code(certificate.code), "verify_url": verify_url,
        "qr": qr_svg(verify_url, scale=3),
    })


def certificate_pdf_bytes(certificate) -> bytes:
    url = services.public_url("verify:code", code=certificate.code)
    return html_to_pdf(certificate_html(certificate, url), base_url=services.public_url("verify:lookup"))


@login_required
def certificate_pdf(request, pk):
    certificate = selectors.get_certificate(request.scope, pk)
    response = HttpResponse(certificate_pdf_bytes(certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificado-{certificate.code}.pdf"'
    return response


@login_required
def certificate_credential(request, pk):
    """The signed Open Badges credential, for her wallet or anyone she gives it to."""
    certificate = selectors.get_certificate(request.scope, pk)
    response = HttpResponse(certificate.credential, content_type="application/vc+jwt")
    response["Content-Disposition"] = f'attachment; filename="credencial-{certificate.code}.jwt"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
def revoke(request, pk):
    certificate = selectors.get_certificate(request.scope, pk)
    request.scope.require(Can.EDIT, certificate.issuer)
    return form_page(
        request, RevokeForm(request.POST or None),
        action=lambda data: services.revoke_certificate(scope=request.scope, certificate=certificate, **data),
        success=_("Certificado revocado; la lista de estado publicada ya lo dice."),
        then=to("leadership:programme", programme=certificate.enrolment.programme_id),
        template="leadership/form.html",
        context={"programme": certificate.enrolment.programme, "title": _("Revocar certificado"),
                 "note": f"{certificate.enrolment.person.full_name} · {credentials.show_code(certificate.code)}"},
    )


@require_POST
@login_required
def certificate_visibility(request, pk):
    certificate = selectors.get_certificate(request.scope, pk)
    show = request.POST.get("show_name") == "1"
    button(request, lambda: services.set_certificate_visibility(scope=request.scope, certificate=certificate,
                                                                show_name=show),
           _("Se guardó lo que ella aceptó mostrar."))
    return redirect("leadership:programme", programme=certificate.enrolment.programme_id)


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def issuer_keys(request, org):
    if request.method == "POST":
        services.rotate_key(scope=request.scope, organisation=org)
        messages.success(request, _("Nueva clave de firma; la anterior quedó retirada."))
        return redirect("leadership:keys", pk=org.pk)
    return render(request, "leadership/keys.html", {
        "org": org, "keys": IssuerKey.objects.filter(organisation=org).order_by("-created_at"),
        "jwks_url": services.public_url("verify:jwks", pk=org.pk),
    })


@login_required
def card(request, person):
    """Her member card (*carné*): her number, and a QR a facilitator scans to mark her present."""
    person = get_person(request.scope, person)
    return render(request, "leadership/card.html", {
        "person": person, "qr": qr_svg(services.card_text(person), scale=6), "number": person.pk,
    })


def _person_and_home(request, pk):
    person = get_person(request.scope, pk)
    home = services._home_organisation(person)
    if home is None or not request.scope.holds(Can.VIEW_PERSONAL, home):
        raise Http404
    return person, home


@login_required
def trajectory(request, person):
    person, home = _person_and_home(request, person)
    consent = services.has_consent(person)
    return render(request, "leadership/trajectory.html", {
        "person": person, "home": home, "consent": consent,
        "line": selectors.trajectory(person) if consent else None,
        "can_edit": request.scope.holds(Can.EDIT, home),
    })


@require_http_methods(["GET", "POST"])
@login_required
def consent(request, person):
    person, home = _person_and_home(request, person)
    request.scope.require(Can.EDIT, home)
    return form_page(
        request, ConsentForm(request.POST or None),
        action=lambda data: services.record_consent(scope=request.scope, person=person, organisation=home, **data),
        success=_("Consentimiento registrado."), then=to("leadership:trajectory", person=person.pk),
        template="leadership/form.html", context={"title": _("Consentimiento para su trayectoria"),
                                                  "note": person.full_name},
    )


@require_http_methods(["GET", "POST"])
@login_required
def representation(request, person):
    person, home = _person_and_home(request, person)
    request.scope.require(Can.EDIT, home)
    return form_page(
        request, RepresentationForm(request.POST or None),
        action=lambda data: services.record_representation(scope=request.scope, person=person, organisation=home,
                                                           **data),
        success=_("Representación registrada."), then=to("leadership:trajectory", person=person.pk),
        template="leadership/form.html", context={"title": _("Representación ganada"), "note": person.full_name},
    )


@requires(Can.VIEW, on="pk")
def equity_page(request, org):
    rows = equity.table(org)
    charts = {key: bar_chart(str(label), [(r.label, round(r.share, 1)) for r in rows[key]], decimals=1, unit=" %",
                             desc=_("Porcentaje de socias que se formaron, por grupo."))
              for key, label in equity.DIMENSIONS}
    return render(request, "leadership/equity.html", {
        "org": org, "dimensions": [(key, label, rows[key], charts[key]) for key, label in equity.DIMENSIONS],
        "total": equity.total(rows),
    })


@requires(Can.VIEW_PERSONAL)
def succession(request):
    return render(request, "leadership/succession.html", {"rows": selectors.succession(request.scope, limit=200)})
