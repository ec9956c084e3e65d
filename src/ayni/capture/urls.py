from django.urls import path

from ayni.capture import views

app_name = "capture"
urlpatterns = [
    path("sw.js", views.service_worker, name="service_worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("captura/claves/", views.tokens, name="tokens"),
    path("captura/claves/<int:pk>/revocar/", views.token_revoke, name="token_revoke"),
    path("captura/estado/", views.sync_status, name="sync_status"),
    path("mensajes/<str:gateway>/", views.webhook, name="webhook"),
]
