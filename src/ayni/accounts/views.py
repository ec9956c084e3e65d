"""Log in, passwords, one-time codes, and account management by coordinators."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ayni.accounts import services
from ayni.accounts.forms import AccountForm, GrantForm, LoginForm, RedeemCodeForm
from ayni.accounts.models import RoleGrant, User
from ayni.accounts.scope import Can
from ayni.lib.forms import apply_validation_error
from ayni.lib.net import client_address
from ayni.orgs.selectors import get_organisation


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@login_required
@require_http_methods(["GET", "POST"])
def change_password(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.change_password(user=request.user, new_password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Se cambió su contraseña."))
        return redirect("core:home")
    return render(request, "accounts/simple_form.html", {"form": form, "title": _("Cambiar mi contraseña")})


@require_http_methods(["GET", "POST"])
def redeem_code(request):
    """A leader sets her password with the code her coordinator gave her."""
    form = RedeemCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        address = client_address(request)
        try:
            services.check_login_throttle(data["identifier"], address)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            try:
                services.redeem_code(identifier=data["identifier"], code=data["code"],
                                     new_password=data["new_password1"])
            except ValidationError as exc:
                services.note_login_failure(data["identifier"], address)
                apply_validation_error(form, exc)
            else:
                messages.success(request, _("Su contraseña quedó guardada. Ya puede ingresar."))
                return redirect("accounts:login")
    return render(request, "accounts/simple_form.html", {
        "form": form, "title": _("Ingresar con un código"), "anonymous": True,
        "intro": _("Escriba el código que le dio su coordinadora y elija su contraseña."),
    })


@login_required
def account_list(request):
    scope = request.scope
    if not scope.reach(Can.MANAGE_ACCOUNTS) and not scope.is_platform_admin:
        raise PermissionDenied
    qs = services.managed_accounts(scope).prefetch_related("grants__organisation").order_by("username")
    text = request.GET.get("q", "").strip()
    if text:
        qs = qs.filter(username__icontains=text) | qs.filter(first_name__icontains=text) | \
            qs.filter(last_name__icontains=text)
    page = Paginator(qs, 50).get_page(request.GET.get("pagina"))
    return render(request, "accounts/list.html", {"page": page, "q": text})


def _managed_account(request, pk) -> User:
    if not services.managed_accounts(request.scope).filter(pk=pk).exists():
        raise Http404
    return get_object_or_404(User, pk=pk)


@login_required
def account_detail(request, pk):
    account = _managed_account(request, pk)
    return render(request, "accounts/detail.html", {
        "account": account,
        "grants": account.grants.select_related("organisation__kind"),
        "code": request.session.pop(f"code-{account.pk}", None),
    })


@login_required
@require_http_methods(["GET", "POST"])
def account_create(request, org_pk):
    org = get_organisation(request.scope, org_pk, Can.MANAGE_ACCOUNTS)
    roles = request.scope.grantable_roles(org)
    form = AccountForm(request.POST or None, roles=roles)
    if request.method == "POST" and form.is_valid():
        try:
            user, code = services.create_account(actor=request.user, organisation=org, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            # Shown once on the next page, never stored in clear.
            request.session[f"code-{user.pk}"] = code
            messages.success(request, _("Se creó la cuenta %(u)s.") % {"u": user.username})
            return redirect("accounts:detail", pk=user.pk)
    return render(request, "accounts/simple_form.html", {
        "form": form, "org": org, "title": _("Crear cuenta en %(org)s") % {"org": org.name},
        "intro": _("La cuenta recibirá un código de un solo uso para elegir su contraseña."),
    })


@login_required
@require_http_methods(["GET", "POST"])
def grant_create(request, org_pk):
    org = get_organisation(request.scope, org_pk, Can.MANAGE_ACCOUNTS)
    form = GrantForm(request.POST or None, roles=request.scope.grantable_roles(org))
    if request.method == "POST" and form.is_valid():
        user = services.find_account(form.cleaned_data["identifier"])
        if user is None:
            form.add_error("identifier", _("No hay una cuenta con ese usuario o celular."))
        else:
            try:
                services.grant_role(actor=request.user, user=user, organisation=org, role=form.cleaned_data["role"])
            except PermissionDenied:
                form.add_error("identifier", _("Esa cuenta no está a su cargo."))
            else:
                messages.success(request, _("Se asignó el rol."))
                return redirect("accounts:detail", pk=user.pk)
    return render(request, "accounts/simple_form.html", {
        "form": form, "org": org, "title": _("Dar acceso en %(org)s") % {"org": org.name}})


@login_required
@require_POST
def account_reset_code(request, pk):
    account = _managed_account(request, pk)
    request.session[f"code-{account.pk}"] = services.issue_reset_code(actor=request.user, user=account)
    messages.success(request, _("Se generó un código nuevo. El anterior ya no sirve."))
    return redirect("accounts:detail", pk=account.pk)


@login_required
@require_POST
def account_set_active(request, pk):
    account = _managed_account(request, pk)
    active = request.POST.get("active") == "1"
    try:
        services.set_active(actor=request.user, user=account, active=active)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Cuenta activada.") if active else _("Cuenta desactivada."))
    return redirect("accounts:detail", pk=account.pk)


@login_required
@require_POST
def grant_revoke(request, pk):
    grant = get_object_or_404(RoleGrant.objects.select_related("organisation", "user"), pk=pk)
    _managed_account(request, grant.user_id)
    try:
        services.revoke_role(actor=request.user, grant=grant)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Se quitó el rol."))
    return redirect("accounts:detail", pk=grant.user_id)
