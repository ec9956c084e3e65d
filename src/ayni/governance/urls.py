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
    path("<int:pk>/cuotas/", views.dues_page, name="dues"),
    path("<int:pk>/cuotas/pago/", views.dues_payment, name="dues_payment"),
    path("<int:pk>/cuotas/acuerdo/", views.dues_rule, name="dues_rule"),
    path("<int:pk>/cuotas/exoneracion/", views.dues_exemption, name="dues_exemption"),
    path("<int:pk>/cuotas/pago/<int:payment>/confirmar/", views.dues_confirm, name="dues_confirm"),
    path("<int:pk>/cuotas/pago/<int:payment>/anular/", views.dues_annul, name="dues_annul"),
    path("<int:pk>/elecciones/", views.elections_page, name="elections"),
    path("<int:pk>/elecciones/nueva/", views.election_new, name="election_new"),
    path("<int:pk>/elecciones/<int:election>/", views.election, name="election"),
    path("<int:pk>/elecciones/<int:election>/lista/", views.slate_add, name="slate_add"),
    path("<int:pk>/elecciones/<int:election>/votacion/", views.election_ballot, name="election_ballot"),
    path("<int:pk>/elecciones/<int:election>/resultado/", views.election_decide, name="election_decide"),
]
