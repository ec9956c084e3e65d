"""Log in, passwords, one-time codes, and account management by coordinators."""

from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ayni.accounts import services
from ayni.accounts.forms import LoginForm, RedeemCodeForm
from ayni.lib.net import client_address
from ayni.lib.views import form_page, to


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


