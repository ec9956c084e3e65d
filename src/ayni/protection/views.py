"""Protection's pages. Every one goes through `protected`: signed in, a defensora (or, for
the few pages that say so, an admin or a federation's editor), otherwise not found; signed out
after a few idle minutes; never cached; POST data hidden from error reports. Titles and flash
messages say nothing of a case."""

import csv
import datetime
import io
from functools import wraps

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from ayni.accounts.models import Role, User
from ayni.accounts.scope import Can
from ayni.evidence import maps
from ayni.lib import uploads
from ayni.lib.views import form_page
from ayni.orgs.models import Organisation
from ayni.orgs.selectors import get_organisation
from ayni.protection import selectors, services, vault
from ayni.protection.forms import (
    CaseForm,
    CaseUpdateForm,
    FileForm,
    GlassForm,
    IncidentForm,
    ReferralForm,
    ReferralUpdateForm,
    ServiceForm,
    StepForm,
    SupervisorForm,
)
from ayni.protection.models import AccessEntry, Case, Incident


def _is_admin(scope) -> bool:
    return bool(scope.user_id) and (scope.is_superuser or Role.PLATFORM_ADMIN in scope.roles)


# How often the last-seen time of a protection page is written to the session: the idle
# sign-out may come this many seconds early, and a page is not a session write every time.
SEEN_EVERY = 20


def protected(*, admin: bool = False, editors: bool = False, keys: bool = True):
    """The gate of every protection page (see the module docstring). `admin`: platform admins
    pass too (break-glass, supervisors, incidents); `editors`: whoever edits a federation (the
    directory, the counts); `keys`: the page opens case keys, so it says "locked" without them."""

    def decorator(view):
        @sensitive_post_parameters()
        @login_required
        @wraps(view)
        def gated(request, *args, **kwargs):
            scope = request.scope
            allowed = (scope.holds(Can.PROTECT) or (admin and _is_admin(scope))
                       or (editors and scope.holds(Can.EDIT)))
            if not allowed:
                raise Http404(_("No encontrado."))
            now = timezone.now().timestamp()
            seen = request.session.get("protection_seen")
            if seen and now - seen > settings.PROTECTION_IDLE_SECONDS:
                logout(request)
                return redirect_to_login(request.get_full_path())
            if not seen or now - seen > SEEN_EVERY:  # not a session write on every page
                request.session["protection_seen"] = now
            if keys and scope.holds(Can.PROTECT):
                reason = vault.lock_reason()
                if reason:
                    response = render(request, "protection/locked.html", {"reason": reason}, status=503)
                    return _no_store(response)
            return _no_store(view(request, *args, **kwargs))

        return gated

    return decorator


def _no_store(response):
    add_never_cache_headers(response)
    patch_cache_control(response, no_store=True, private=True)
    return response


def _defended_orgs(scope):
    return Organisation.objects.filter(scope.q(Can.PROTECT)).order_by("path")


@protected(admin=True)
def index(request):
    scope = request.scope
    context = {"is_admin": _is_admin(scope)}
    if scope.holds(Can.PROTECT):
        status = request.GET.get("estado", "")
        context.update(cards=selectors.case_list(scope, status=status if status in Case.Status.values else ""),
                       status=status, statuses=Case.Status.choices,
                       supervises=bool(selectors.supervised(scope)), alerts=selectors.alerts(scope)[:5])
    return render(request, "protection/index.html", context)


@protected()
def case_new(request):
    scope = request.scope
    form = CaseForm(request.POST or None, organisations=_defended_orgs(scope),
                    initial={"opened_on": timezone.localdate()})
    return form_page(request, form, template="protection/form.html", context={"title": _("Nuevo caso")},
                     action=lambda data: services.record_case(scope=scope, **data),
                     success=_("Guardado."), then=lambda case: redirect("protection:case", pk=case.pk))


@protected(admin=True)
def case(request, pk):
    page = selectors.read_case(request.scope, pk)
    context = {"page": page, "case": page.case}
    if page.is_supervisor:
        context["log"] = selectors.access_log(request.scope, case_number=pk)[:50]
    return render(request, "protection/case.html", context)


@protected()
def case_edit(request, pk):
    scope = request.scope
    page = selectors.read_case(scope, pk)
    if page.glass:
        raise Http404(_("No encontrado."))
    form = CaseUpdateForm(request.POST or None, initial={"risk": page.case.risk, "status": page.case.status,
                                                         "notes": page.notes})
    return form_page(request, form, template="protection/form.html",
                     context={"title": _("Actualizar"), "back": page.case},
                     action=lambda data: services.update_case(scope=scope, case=page.case, **data),
                     success=_("Guardado."), then=lambda c: redirect("protection:case", pk=pk))


def _case_for_change(request, pk):
    return selectors.case_for_change(request.scope, pk, lock=False)


@protected()
def referral_add(request, pk):
    scope = request.scope
    case = _case_for_change(request, pk)
    services_qs = selectors.directory(scope).filter(district=case.district)
    form = ReferralForm(request.POST or None, services=services_qs, initial={"referred_on": timezone.localdate()})
    return form_page(request, form, template="protection/form.html",
                     context={"title": _("Nueva derivación"), "back": case},
                     action=lambda data: services.add_referral(scope=scope, case=case, **data),
                     success=_("Guardado."), then=lambda r: redirect("protection:case", pk=pk))


def _referral(request, pk, rid):
    page = selectors.read_case(request.scope, pk, part=AccessEntry.Part.SHEET)
    for referral, outcome, carry in page.referrals:
        if referral.pk == rid:
            return page, referral, outcome, carry
    raise Http404(_("No encontrado."))


@protected()
def referral_edit(request, pk, rid):
    scope = request.scope
    referral = selectors.referral_for_change(scope, pk, rid)
    case = referral.case
    form = ReferralUpdateForm(request.POST or None, initial={"status": referral.status,
                                                             "follow_up_on": referral.follow_up_on})
    return form_page(request, form, template="protection/form.html",
                     context={"title": _("Actualizar derivación"), "back": case},
                     action=lambda data: services.update_referral(scope=scope, referral=referral, **data),
                     success=_("Guardado."), then=lambda r: redirect("protection:case", pk=pk))


@protected()
def referral_sheet(request, pk, rid):
    """The sheet she carries: the service, the date, and only what she agreed to carry."""
    page, referral, _outcome, carry = _referral(request, pk, rid)
    return render(request, "protection/sheet.html", {"referral": referral, "carry": carry, "case": page.case})


@protected()
def step_add(request, pk):
    scope = request.scope
    case = _case_for_change(request, pk)
    form = StepForm(request.POST or None, initial={"on": timezone.localdate()})
    return form_page(request, form, template="protection/form.html",
                     context={"title": _("Nuevo trámite"), "back": case},
                     action=lambda data: services.add_step(scope=scope, case=case, **data),
                     success=_("Guardado."), then=lambda s: redirect("protection:case", pk=pk))


@protected()
def file_add(request, pk):
    scope = request.scope
    case = _case_for_change(request, pk)
    form = FileForm(request.POST or None, request.FILES or None)

    def action(data):
        try:
            content = uploads.read(data["upload"])
        except ValidationError as exc:
            raise ValidationError({"upload": exc.messages}) from exc
        try:
            return services.add_file(scope=scope, case=case, label=data["label"], content=content)
        except ValidationError as exc:
            raise ValidationError({"upload": exc.messages}) from exc

    return form_page(request, form, template="protection/form.html",
                     context={"title": _("Nuevo documento"), "back": case, "multipart": True},
                     action=action, success=_("Guardado."), then=lambda f: redirect("protection:case", pk=pk))


@protected(admin=True)
def case_file(request, pk, fid):
    item, content = selectors.read_file(request.scope, pk, fid)
    response = HttpResponse(content, content_type=uploads.CONTENT_TYPES.get(item.kind, "application/octet-stream"))
    # A neutral name: the download list of a shared phone must not tell what it was.
    response["Content-Disposition"] = f'inline; filename="documento-{item.pk}.{uploads.extension(item.kind)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@protected()
def reads(request):
    """The supervisor's page: who read which case, when, what part; and the alerts."""
    scope = request.scope
    if not selectors.supervised(scope):
        raise Http404(_("No encontrado."))
    return render(request, "protection/reads.html", {"log": selectors.access_log(scope)[:300],
                                                      "alerts": selectors.alerts(scope)})


@protected(admin=True, keys=False)
def glass(request):
    scope = request.scope
    if not _is_admin(scope):
        raise Http404(_("No encontrado."))
    form = GlassForm(request.POST or None)
    return form_page(request, form, template="protection/form.html",
                     context={"title": _("Acceso de emergencia"),
                              "note": _("Queda registrado, vence solo y se avisa a la supervisora.")},
                     action=lambda data: services.break_glass(scope=scope, **data), success="",
                     then=lambda g: redirect("protection:case", pk=g.case_id))


@protected(admin=True, keys=False)
def supervisors(request):
    scope = request.scope
    if not _is_admin(scope):
        raise Http404(_("No encontrado."))
    federations = Organisation.objects.filter(kind__is_kitchen=False).order_by("path")
    accounts = User.objects.filter(grants__role=Role.DEFENDER, is_active=True).distinct().order_by("username")
    form = SupervisorForm(request.POST or None, federations=federations, accounts=accounts)
    from ayni.protection.models import Supervisor

    return form_page(request, form, template="protection/form.html",
                     context={"title": _("Supervisoras"),
                              "listing": Supervisor.objects.select_related("federation", "account")},
                     action=lambda data: services.name_supervisor(scope=scope, **data),
                     success=_("Guardado."), then=lambda s: redirect("protection:supervisors"))


@protected(editors=True, keys=False)
def directory(request):
    scope = request.scope
    return render(request, "protection/directory.html", {"services": selectors.directory(scope)[:500]})


@protected(editors=True, keys=False)
def service_add(request):
    scope = request.scope
    form = ServiceForm(request.POST or None, federations=selectors.editable_federations(scope))
    return form_page(request, form, template="protection/form.html", context={"title": _("Nuevo servicio")},
                     action=lambda data: services.save_service(scope=scope, **data),
                     success=_("Guardado."), then=lambda s: redirect("protection:directory"))


# The map's one figure: cases, whole numbers.
CASES = maps.Indicator("casos", gettext_lazy("Casos"), None, 0)


@protected(editors=True, keys=False)
def counts(request, pk):
    """A federation's cases by province on a map and by district in a table: counts only."""
    org = get_organisation(request.scope, pk, Can.VIEW)
    year = request.GET.get("anio", "")
    found = selectors.counts(request.scope, org, year=int(year) if year.isdigit() else None)
    figure = ""
    if found.places:
        title = _("Casos por provincia, %(year)s") % {"year": found.year} if found.year else _("Casos por provincia")
        figure = maps.choropleth(maps.MapData("provincia", CASES, found.places, found.names), title=title,
                                 frame=frozenset(found.places))
    return render(request, "protection/counts.html", {"org": org, "found": found, "rows": found.rows,
                                                       "map": figure, "minimum": selectors.MIN_CASES})


def _incident_pages(scope):
    if not (_is_admin(scope) or selectors.supervised(scope)):
        raise Http404(_("No encontrado."))


@protected(admin=True, keys=False)
def incidents(request):
    _incident_pages(request.scope)
    now = timezone.now()
    rows = [(i, i.discovered_at + datetime.timedelta(hours=48), i.reported_at is None and
             i.discovered_at + datetime.timedelta(hours=48) < now) for i in Incident.objects.all()[:200]]
    return render(request, "protection/incidents.html", {"rows": rows, "now": now})


@protected(admin=True, keys=False)
def incident_add(request):
    scope = request.scope
    _incident_pages(scope)
    form = IncidentForm(request.POST or None)
    return form_page(request, form, template="protection/form.html", context={"title": _("Registrar incidente")},
                     action=lambda data: services.record_incident(scope=scope, **data),
                     success=_("Guardado."), then=lambda i: redirect("protection:incidents"))


@protected(admin=True, keys=False)
def incidents_export(request):
    """The register for the authority (Autoridad Nacional de Protección de Datos Personales)."""
    _incident_pages(request.scope)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("N.º"), _("Qué pasó"), _("Descubierto el"), _("Plazo de 48 horas"), _("De quiénes"),
                     _("Afectadas"), _("Medidas"), _("Comunicado el")])
    for i in Incident.objects.order_by("discovered_at"):
        due = i.discovered_at + datetime.timedelta(hours=48)
        writer.writerow([i.pk, i.what, timezone.localtime(i.discovered_at).isoformat(timespec="minutes"),
                         timezone.localtime(due).isoformat(timespec="minutes"),
                         i.whose, i.affected, i.measures,
                         timezone.localtime(i.reported_at).isoformat(timespec="minutes") if i.reported_at else ""])
    response = HttpResponse(out.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="registro-incidentes.csv"'
    return response


@require_POST
def quick_exit(request):
    """Salida rápida: end the session and land on a neutral page. With JavaScript the page has
    already been replaced (location.replace) and this arrives as a beacon."""
    logout(request)
    response = redirect(settings.PROTECTION_EXIT_URL or reverse("accounts:login"))
    return _no_store(response)
