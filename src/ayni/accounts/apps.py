from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "ayni.accounts"
    verbose_name = _("Cuentas")

    def ready(self):
        from django.contrib import admin

        from ayni.accounts.forms import AdminLoginForm

        admin.site.login_form = AdminLoginForm
