from django.urls import path

from ayni.evidence import views as evidence_views
from ayni.kitchens import views

app_name = "kitchens"
urlpatterns = [
    path("<int:pk>/", views.kitchen, name="kitchen"),
    path("<int:pk>/dia/<str:day>/", views.report, name="report"),
    path("<int:pk>/dia/<str:day>/historial/", views.report_history, name="report_history"),
    path("<int:pk>/movimiento/", views.movement, name="movement"),
    path("<int:pk>/movimiento/<int:movement>/anular/", views.take_back, {"kind": "movement"}, name="movement_delete"),
    path("<int:pk>/conteo/", views.count, name="count"),
    path("<int:pk>/conteo/<int:count>/anular/", views.take_back, {"kind": "count"}, name="count_delete"),
    path("<int:pk>/mes/<int:year>/<int:month>/", views.month, name="month"),
    path("<int:pk>/mes/<int:year>/<int:month>/cerrar/", views.month_close, name="month_close"),
    path("<int:pk>/mes/<int:year>/<int:month>/revisar/", views.month_review, name="month_review"),
    path("<int:pk>/entregas/", views.deliveries, name="deliveries"),
    path("<int:pk>/entregas/programar/", views.schedule_create, name="schedule_create"),
    path("<int:pk>/entregas/recibir/", views.receipt, name="receipt"),
    path("<int:pk>/entregas/recepcion/<int:receipt>/anular/", views.take_back, {"kind": "receipt"},
         name="receipt_delete"),
    path("<int:pk>/subsidio/", views.subsidy, name="subsidy"),
    path("<int:pk>/subsidio/<int:payment>/anular/", views.take_back, {"kind": "subsidy"}, name="subsidy_delete"),
    path("resumen/<int:pk>/", evidence_views.overview, name="overview"),
]
