from django.urls import path

from ayni.protection import views

app_name = "protection"
urlpatterns = [
    path("", views.index, name="index"),
    path("nuevo/", views.case_new, name="case_new"),
    path("caso/<int:pk>/", views.case, name="case"),
    path("caso/<int:pk>/actualizar/", views.case_edit, name="case_edit"),
    path("caso/<int:pk>/derivar/", views.referral_add, name="referral_add"),
    path("caso/<int:pk>/derivacion/<int:rid>/", views.referral_edit, name="referral_edit"),
    path("caso/<int:pk>/derivacion/<int:rid>/hoja/", views.referral_sheet, name="referral_sheet"),
    path("caso/<int:pk>/tramite/", views.step_add, name="step_add"),
    path("caso/<int:pk>/documento/", views.file_add, name="file_add"),
    path("caso/<int:pk>/documento/<int:fid>/", views.case_file, name="file"),
    path("lecturas/", views.reads, name="reads"),
    path("emergencia/", views.glass, name="glass"),
    path("supervisoras/", views.supervisors, name="supervisors"),
    path("directorio/", views.directory, name="directory"),
    path("directorio/nuevo/", views.service_add, name="service_add"),
    path("cifras/<int:pk>/", views.counts, name="counts"),
    path("incidentes/", views.incidents, name="incidents"),
    path("incidentes/nuevo/", views.incident_add, name="incident_add"),
    path("incidentes/exportar/", views.incidents_export, name="incidents_export"),
    path("salir/", views.quick_exit, name="exit"),
]
