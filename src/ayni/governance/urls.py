from django.urls import path

from ayni.governance import views

app_name = "governance"
urlpatterns = [
    path("", views.index, name="index"),
    path("votar/<int:motion>/", views.vote, name="vote"),
    path("<int:pk>/", views.assemblies, name="assemblies"),
    path("<int:pk>/estatuto/", views.rules, name="rules"),
    path("<int:pk>/convocar/", views.convene, name="convene"),
    path("<int:pk>/<int:assembly>/", views.assembly, name="assembly"),
    path("<int:pk>/<int:assembly>/asistencia/", views.attendance, name="attendance"),
    path("<int:pk>/<int:assembly>/asistencia/quitar/", views.attendance_remove, name="attendance_remove"),
    path("<int:pk>/<int:assembly>/carta-poder/", views.proxy, name="proxy"),
    path("<int:pk>/<int:assembly>/quorum/", views.quorum, name="quorum"),
    path("<int:pk>/<int:assembly>/delegadas/", views.delegate, name="delegate"),
    path("<int:pk>/<int:assembly>/mocion/", views.motion_add, name="motion_add"),
    path("<int:pk>/<int:assembly>/mocion/<int:motion>/abrir/", views.motion_open, name="motion_open"),
    path("<int:pk>/<int:assembly>/mocion/<int:motion>/cerrar/", views.motion_close, name="motion_close"),
    path("<int:pk>/<int:assembly>/mocion/<int:motion>/mano-alzada/", views.hands, name="hands"),
    path("<int:pk>/<int:assembly>/cerrar/", views.close, name="close"),
    path("<int:pk>/acuerdos/", views.agreements, name="agreements"),
    path("<int:pk>/acuerdos/<int:agreement>/estado/", views.agreement_status, name="agreement_status"),
    path("<int:pk>/<int:assembly>/mocion/<int:motion>/acuerdo/", views.agreement_add, name="agreement_add"),
    path("<int:pk>/<int:assembly>/acta/", views.acta, name="acta"),
    path("<int:pk>/<int:assembly>/acta/aprobar/", views.acta_approve, name="acta_approve"),
    path("<int:pk>/<int:assembly>/acta.pdf", views.acta_pdf, name="acta_pdf"),
    path("<int:pk>/<int:assembly>/acta/firmada/", views.acta_scan, name="acta_scan"),
    path("<int:pk>/<int:assembly>/firmadas/<int:page>/", views.signed_page, name="signed_page"),
    path("<int:pk>/<int:assembly>/asistencia/papel/", views.paper_list, name="paper_list"),
]
