from django.urls import path

from ayni.advocacy import views

app_name = "advocacy"
urlpatterns = [
    path("incidencia/", views.index, name="index"),
    path("incidencia/autoridades/", views.authorities, name="authorities"),
    path("incidencia/autoridades/nueva/", views.authority_add, name="authority_add"),
    path("incidencia/autoridades/<int:authority>/electa/", views.authority_elected, name="authority_elected"),
    path("incidencia/<int:pk>/", views.commitments, name="commitments"),
    path("incidencia/<int:pk>/nuevo/", views.commitment_add, name="commitment_add"),
    path("incidencia/<int:pk>/desde-acuerdo/<int:agreement>/", views.from_agreement, name="from_agreement"),
    path("incidencia/<int:pk>/<int:commitment>/", views.commitment, name="commitment"),
    path("incidencia/<int:pk>/<int:commitment>/etapa/", views.stage, name="stage"),
    path("incidencia/<int:pk>/<int:commitment>/etapa/lote", views.stage_batch, name="stage_batch"),
    path("incidencia/<int:pk>/<int:commitment>/evidencia/", views.evidence_add, name="evidence_add"),
    path("incidencia/<int:pk>/<int:commitment>/evidencia/<int:evidence>/", views.evidence_file, name="evidence_file"),
    path(
        "incidencia/<int:pk>/<int:commitment>/evidencia/<int:evidence>/publicar/",
        views.evidence_publish,
        name="evidence_publish",
    ),
    path("incidencia/<int:pk>/leyes/", views.laws, name="laws"),
    path("incidencia/<int:pk>/leyes/nueva/", views.law_add, name="law_add"),
    path("incidencia/<int:pk>/leyes/<int:law>/hito/", views.milestone_add, name="milestone_add"),
    path("incidencia/<int:pk>/calificaciones/", views.rounds, name="rounds"),
    path("incidencia/<int:pk>/calificaciones/nueva/", views.round_add, name="round_add"),
    path("incidencia/<int:pk>/calificaciones/<int:round>/", views.rate, name="rate"),
    # The public scorecard: no login.
    path("compromisos/", views.public_page, {"kind": "pais", "key": "peru"}, name="public_country"),
    path("compromisos/archivo/<int:evidence>/", views.public_file, name="public_file"),
    path("compromisos/<str:kind>/<str:key>/", views.public_page, name="public"),
    path("compromisos/<str:kind>/<str:key>/datos.<str:fmt>", views.public_data, name="public_data"),
    path("compromisos/<str:kind>/<str:key>/informe.pdf", views.public_brief, name="public_brief"),
]
