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
from ayni.lib.net import client_address
from ayni.lib.views import form_page, to
from ayni.orgs.access import requires


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@login_required
@require_http_methods(["GET", "POST"])
def change_password(request):
    def signed_in_again(_result):
        update_session_auth_hash(request, request.user)  # the new password keeps her signed in
        return redirect("core:home")

    return form_page(
        request, PasswordChangeForm(request.user, request.POST or None),
        action=lambda data: services.change_password(scope=request.scope, new_password=data["new_password1"]),
        success=_("Se cambió su contraseña."), then=signed_in_again,
        template="accounts/simple_form.html", context={"title": _("Cambiar mi contraseña")},
    )


@require_http_methods(["GET", "POST"])
def redeem_code(request):
    """A leader sets her password with the code her coordinator gave her."""
    address = client_address(request)

    def redeem(data):
        services.check_login_throttle(data["identifier"], address)  # refused attempts are not counted
        try:
            return services.redeem_code(identifier=data["identifier"], code=data["code"],
                                        new_password=data["new_password1"])
        except ValidationError:
            services.note_login_failure(data["identifier"], address)
            raise

    return form_page(
        request, RedeemCodeForm(request.POST or None), action=redeem,
        success=_("Su contraseña quedó guardada. Ya puede ingresar."), then=to("accounts:login"),
        template="accounts/simple_form.html", context={
            "title": _("Ingresar con un código"), "anonymous": True,
            "intro": _("Escriba el código que le dio su coordinadora y elija su contraseña."),
        },
    )


@requires(Can.MANAGE_ACCOUNTS)
def account_list(request):
    qs = services.managed_accounts(request.scope).prefetch_related("grants__organisation").order_by("username")
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


@requires(Can.MANAGE_ACCOUNTS, on="org_pk")
@require_http_methods(["GET", "POST"])
def account_create(request, org):
    def show_code_once(created):
        user, code = created
        request.session[f"code-{user.pk}"] = code  # shown once on the next page, never stored in clear
        return redirect("accounts:detail", pk=user.pk)

    return form_page(
        request, AccountForm(request.POST or None, roles=request.scope.grantable_roles(org)),
        action=lambda data: services.create_account(scope=request.scope, organisation=org, **data),
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
        user = services.find_account(data["identifier"])
        if user is None:
            raise ValidationError({"identifier": _("No hay una cuenta con ese usuario o celular.")})
        try:
            services.grant_role(scope=request.scope, user=user, organisation=org, role=data["role"])
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
    request.session[f"code-{account.pk}"] = services.issue_reset_code(scope=request.scope, user=account)
    messages.success(request, _("Se generó un código nuevo. El anterior ya no sirve."))
    return redirect("accounts:detail", pk=account.pk)


@login_required
@require_POST
def account_set_active(request, pk):
    account = _managed_account(request, pk)
    active = request.POST.get("active") == "1"
    try:
        services.set_active(scope=request.scope, user=account, active=active)
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
        services.revoke_role(scope=request.scope, grant=grant)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Se quitó el rol."))
    return redirect("accounts:detail", pk=grant.user_id)
