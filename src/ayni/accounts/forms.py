from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from ayni.accounts import services
from ayni.accounts.models import Role
from ayni.lib.net import client_address


class ThrottledLogin:
    """Login throttling for an authentication form (ours and the admin site's): an attempt the
    limits refuse is not checked at all; a wrong one is counted, a right one clears the count."""

    def clean(self):
        identifier = self.cleaned_data.get("username") or ""
        address = client_address(self.request) if self.request else None
        services.check_login_throttle(identifier, address)
        try:
            data = super().clean()
        except forms.ValidationError:
            services.note_login_failure(identifier, address)
            raise
        services.clear_login_failures(identifier)
        return data


class LoginForm(ThrottledLogin, AuthenticationForm):
    username = forms.CharField(label=_("Usuario o celular"), max_length=150,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))
    error_messages = {
        "invalid_login": _("Usuario, celular o contraseña incorrectos. Revise e intente de nuevo."),
        "inactive": _("Esta cuenta está desactivada. Pida ayuda a su coordinadora."),
    }


class AdminLoginForm(ThrottledLogin, AdminAuthenticationForm):
    """/admin/login/ under the same limits: otherwise it is a second door for guessing passwords."""


class RedeemCodeForm(forms.Form):
    identifier = forms.CharField(label=_("Usuario o celular"), max_length=150)
    code = forms.CharField(label=_("Código de un solo uso"), max_length=20)
    new_password1 = forms.CharField(label=_("Nueva contraseña"), widget=forms.PasswordInput, min_length=8)
    new_password2 = forms.CharField(label=_("Repita la contraseña"), widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", _("Las dos contraseñas no coinciden."))
        return data


class AccountForm(forms.Form):
    first_name = forms.CharField(label=_("Nombres"), max_length=150)
    last_name = forms.CharField(label=_("Apellidos"), max_length=150, required=False)
    username = forms.CharField(label=_("Usuario"), max_length=150,
                               help_text=_("Sin espacios, por ejemplo: rosa.quispe"))
    phone = forms.CharField(label=_("Celular"), max_length=20, required=False)
    role = forms.ChoiceField(label=_("Rol"), choices=Role.choices)

    def __init__(self, *args, roles=None, **kwargs):
        super().__init__(*args, **kwargs)
        if roles is not None:
            self.fields["role"].choices = [(r, Role(r).label) for r in roles]

    def clean_username(self):
        import re

        value = self.cleaned_data["username"].strip().lower()
        if not re.fullmatch(r"[a-z0-9._-]{3,150}", value):
            raise forms.ValidationError(_("Use solo letras sin tilde, números, punto o guion (mínimo 3)."))
        return value


class GrantForm(forms.Form):
    """Give an existing account (by username or phone) a role on this organisation."""

    identifier = forms.CharField(label=_("Usuario o celular de la cuenta"), max_length=150)
    role = forms.ChoiceField(label=_("Rol"), choices=Role.choices)

    def __init__(self, *args, roles=None, **kwargs):
        super().__init__(*args, **kwargs)
        if roles is not None:
            self.fields["role"].choices = [(r, Role(r).label) for r in roles]
