"""Organisation pages: authorise, parse, call a service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ayni.accounts import services as account_services
from ayni.accounts.forms import AccountForm, GrantForm
from ayni.accounts.models import RoleGrant, User
from ayni.accounts.scope import Can
from ayni.lib.views import form_page, to
from ayni.orgs import selectors, services
from ayni.orgs.access import requires
from ayni.orgs.forms import MoveForm, OrganisationForm, RequirementForm, StatusForm, TreeFilterForm


@login_required
def tree(request):
    """Browse the tree from the user's roots, or search it."""
    scope = request.scope
    form = TreeFilterForm(request.GET or None)
    within = None
    if request.GET.get("dentro"):
        within = selectors.get_organisation(scope, request.GET["dentro"])
    searching = form.is_valid() and any(form.cleaned_data.values())
    context = {"form": form, "within": within, "searching": searching}
    if searching:
        data = form.cleaned_data
        results = selectors.search_organisations(
            scope, text=data["q"], kind=data["kind"].code if data["kind"] else "", status=data["status"],
            within=within,
        )
        page = Paginator(results, 50).get_page(request.GET.get("pagina"))
        context["page"] = page
    else:
        context["roots"] = selectors.scope_roots(scope)
    return render(request, "orgs/tree.html", context)


@requires(Can.CREATE_CHILD, on="pk")
@require_http_methods(["GET", "POST"])
def create(request, parent):
    countries = selectors.countries_below(parent)
    chosen = (request.GET.get("pais") or "").upper()
    country = chosen if chosen in {code for code, _name in countries} else parent.country
    return form_page(
        request, OrganisationForm(request.POST or None, parent=parent, country=country),
        action=lambda data: services.create_organisation(scope=request.scope, parent=parent, **data),
        success=lambda org: _("Se registró %(org)s.") % {"org": org.name},
        then=lambda org: redirect("orgs:detail", pk=org.pk),
        template="orgs/form.html", context={"parent": parent, "title": _("Registrar organización"),
                                            "countries": countries, "country": country},
    )


@requires(Can.EDIT, on="pk")
@require_http_methods(["GET", "POST"])
def edit(request, org):
    return form_page(
        request, OrganisationForm(request.POST or None, instance=org),
        action=lambda data: services.update_organisation(scope=request.scope, organisation=org, **data),
        success=_("Se guardaron los cambios."), then=to("orgs:detail", pk=org.pk),
        template="orgs/form.html", context={"org": org, "title": _("Editar organización")},
    )


def _require_on_parent(request, org) -> None:
    """Status and placement are decided by whoever registers organisations above this one."""
    target = org.parent or org
    if not request.scope.holds(Can.CREATE_CHILD if org.parent_id else Can.EDIT, target):
        raise PermissionDenied(_("Solo la coordinación de la organización superior puede hacer este cambio."))


@requires(Can.VIEW, on="pk")
@require_http_methods(["GET", "POST"])
def change_status(request, org):
    _require_on_parent(request, org)
    return form_page(
        request, StatusForm(request.POST or None, initial={"status": org.status, "reason": org.status_reason}),
        action=lambda data: services.set_status(scope=request.scope, organisation=org, **data),
        success=_("Se actualizó el estado."), then=to("orgs:detail", pk=org.pk),
        template="orgs/form.html", context={"org": org, "title": _("Cambiar estado")},
    )


@requires(Can.VIEW, on="pk")
@require_http_methods(["GET", "POST"])
def move(request, org):
    if org.parent is None:
        raise PermissionDenied(_("La organización raíz no se mueve."))
    _require_on_parent(request, org)
    choices = (
        selectors.visible_organisations(request.scope, Can.CREATE_CHILD)
        .filter(kind__in=org.kind.may_be_inside.all())
        .exclude(path__startswith=org.path)
        .order_by("name")
    )
    return form_page(
        request, MoveForm(request.POST or None, choices=choices, initial={"new_parent": org.parent_id}),
        action=lambda data: services.move_organisation(scope=request.scope, organisation=org, **data),
        success=_("Se movió %(org)s con todas sus organizaciones.") % {"org": org.name},
        then=to("orgs:detail", pk=org.pk),
        template="orgs/form.html", context={"org": org, "title": _("Mover organización")},
    )


@requires(Can.VALIDATE, on="pk")
@require_http_methods(["GET", "POST"])
def requirements(request, org):
    checks = {c.item_id: c for c in org.requirement_checks.all()}
    form = RequirementForm(request.POST or None, checks=checks)

    @transaction.atomic  # the whole list or nothing, so a date refused halfway leaves no part saved
    def save_changed(data):
        for item in form.items:
            ok, on, note = data[f"{item.code}__ok"], data[f"{item.code}__on"], data[f"{item.code}__note"]
            existing = checks.get(item.code)
            unchanged = (ok and existing and existing.verified_on == on and existing.note == note) or \
                (not ok and not existing)
            if not unchanged:
                services.verify_requirement(scope=request.scope, organisation=org, item=item,
                                            verified_on=on, note=note, verified=ok)

    return form_page(
        request, form, action=save_changed,
        success=_("Se guardó la lista de requisitos."), then=to("orgs:detail", pk=org.pk),
        template="orgs/requirements.html", context={"org": org},
    )


# --- The accounts of an organisation's people: who may manage which part of the tree ------------

@requires(Can.MANAGE_ACCOUNTS)
def account_list(request):
    qs = account_services.managed_accounts(request.scope).prefetch_related("grants__organisation").order_by("username")
    text = request.GET.get("q", "").strip()
    if text:
        qs = qs.filter(username__icontains=text) | qs.filter(first_name__icontains=text) | \
            qs.filter(last_name__icontains=text)
    page = Paginator(qs, 50).get_page(request.GET.get("pagina"))
    return render(request, "accounts/list.html", {"page": page, "q": text})


def _managed_account(request, pk) -> User:
    return get_object_or_404(account_services.managed_accounts(request.scope), pk=pk)


@login_required
def account_detail(request, pk):
    account = _managed_account(request, pk)
    return render(request, "accounts/detail.html", {
        "account": account,
        "grants": account.grants.select_related("organisation__kind"),
        "code": request.session.pop(f"code-{account.pk}", None),
    })


@requires(Can.MANAGE_ACCOUNTS, on="org_pk")
@require_http_methods(["GET", "POST"])
def account_create(request, org):
    def show_code_once(created):
        user, code = created
        request.session[f"code-{user.pk}"] = code  # shown once on the next page, never stored in clear
        return redirect("accounts:detail", pk=user.pk)

    return form_page(
        request, AccountForm(request.POST or None, roles=request.scope.grantable_roles(org)),
        action=lambda data: account_services.create_account(scope=request.scope, organisation=org, **data),
        success=lambda created: _("Se creó la cuenta %(u)s.") % {"u": created[0].username}, then=show_code_once,
        template="accounts/simple_form.html", context={
            "org": org, "title": _("Crear cuenta en %(org)s") % {"org": org.name},
            "intro": _("La cuenta recibirá un código de un solo uso para elegir su contraseña."),
        },
    )


@requires(Can.MANAGE_ACCOUNTS, on="org_pk")
@require_http_methods(["GET", "POST"])
def grant_create(request, org):
    def grant(data):
        user = account_services.find_account(data["identifier"])
        if user is None:
            raise ValidationError({"identifier": _("No hay una cuenta con ese usuario o celular.")})
        try:
            account_services.grant_role(scope=request.scope, user=user, organisation=org, role=data["role"])
        except PermissionDenied:
            raise ValidationError({"identifier": _("Esa cuenta no está a su cargo.")}) from None
        return user

    return form_page(
        request, GrantForm(request.POST or None, roles=request.scope.grantable_roles(org)), action=grant,
        success=_("Se asignó el rol."), then=lambda user: redirect("accounts:detail", pk=user.pk),
        template="accounts/simple_form.html",
        context={"org": org, "title": _("Dar acceso en %(org)s") % {"org": org.name}},
    )


@login_required
@require_POST
def account_reset_code(request, pk):
    account = _managed_account(request, pk)
    request.session[f"code-{account.pk}"] = account_services.issue_reset_code(scope=request.scope, user=account)
    messages.success(request, _("Se generó un código nuevo. El anterior ya no sirve."))
    return redirect("accounts:detail", pk=account.pk)


@login_required
@require_POST
def account_set_active(request, pk):
    account = _managed_account(request, pk)
    active = request.POST.get("active") == "1"
    try:
        account_services.set_active(scope=request.scope, user=account, active=active)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Cuenta activada.") if active else _("Cuenta desactivada."))
    return redirect("accounts:detail", pk=account.pk)


@login_required
@require_POST
def grant_revoke(request, pk):
    grant = get_object_or_404(RoleGrant.objects.filter(user__in=account_services.managed_accounts(request.scope))
                              .select_related("organisation", "user"), pk=pk)
    try:
        account_services.revoke_role(scope=request.scope, grant=grant)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Se quitó el rol."))
    return redirect("accounts:detail", pk=grant.user_id)
