from django.contrib.auth import views as auth_views
from django.urls import path

from ayni.accounts import views
from ayni.orgs import views as org_views

app_name = "accounts"
urlpatterns = [
    path("ingresar/", views.LoginView.as_view(), name="login"),
    path("salir/", auth_views.LogoutView.as_view(), name="logout"),
    path("clave/", views.change_password, name="password"),
    path("codigo/", views.redeem_code, name="redeem"),
    path("cuentas/", org_views.account_list, name="list"),
    path("cuentas/<int:pk>/", org_views.account_detail, name="detail"),
    path("cuentas/<int:pk>/codigo/", org_views.account_reset_code, name="reset_code"),
    path("cuentas/<int:pk>/activa/", org_views.account_set_active, name="set_active"),
    path("cuentas/roles/<int:pk>/quitar/", org_views.grant_revoke, name="revoke"),
    path("organizacion/<int:org_pk>/nueva/", org_views.account_create, name="create"),
    path("organizacion/<int:org_pk>/acceso/", org_views.grant_create, name="grant"),
]
