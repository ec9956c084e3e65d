from django.urls import path

from ayni.leadership import views

app_name = "leadership"
urlpatterns = [
    path("", views.index, name="index"),
    path("sucesion/", views.succession, name="succession"),
    path("<int:pk>/", views.organisation, name="organisation"),
    path("<int:pk>/nueva/", views.create, name="create"),
    path("<int:pk>/claves/", views.issuer_keys, name="keys"),
    path("<int:pk>/equidad/", views.equity_page, name="equity"),
    path("escuela/<int:programme>/", views.programme, name="programme"),
    path("escuela/<int:programme>/modulo/", views.module_add, name="module_add"),
    path("escuela/<int:programme>/sesion/", views.session_add, name="session_add"),
    path("escuela/<int:programme>/invitar/", views.invite, name="invite"),
    path("escuela/<int:programme>/inscribir/<int:enrolment>/", views.enrol, name="enrol"),
    path("escuela/<int:programme>/certificar/", views.issue, name="issue"),
    path("sesion/<int:session>/", views.attendance, name="attendance"),
    path("sesion/<int:session>/lote/", views.batch, name="batch"),
    path("sesion/<int:session>/papel/", views.paper, name="paper"),
    path("certificado/<int:pk>/pdf/", views.certificate_pdf, name="certificate_pdf"),
    path("certificado/<int:pk>/credencial/", views.certificate_credential, name="certificate_credential"),
    path("certificado/<int:pk>/revocar/", views.revoke, name="revoke"),
    path("certificado/<int:pk>/mostrar/", views.certificate_visibility, name="certificate_visibility"),
    path("carne/<int:person>/", views.card, name="card"),
    path("trayectoria/<int:person>/", views.trajectory, name="trajectory"),
    path("trayectoria/<int:person>/consentimiento/", views.consent, name="consent"),
    path("trayectoria/<int:person>/representacion/", views.representation, name="representation"),
]
