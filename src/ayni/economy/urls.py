from django.urls import path

from ayni.economy import views

app_name = "economy"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.groups, name="groups"),
    path("<int:pk>/banquito/nuevo/", views.group_create, name="group_create"),
    path("<int:pk>/banquito/<int:group>/", views.group, name="group"),
    path("<int:pk>/banquito/<int:group>/socia/", views.member_add, name="member_add"),
    path("<int:pk>/banquito/<int:group>/ciclo/", views.cycle_open, name="cycle_open"),
    path("<int:pk>/banquito/<int:group>/reunion/", views.meeting, name="meeting"),
    path("<int:pk>/banquito/<int:group>/batch", views.sync, name="sync"),
    path("<int:pk>/banquito/<int:group>/anular/<int:entry>/", views.reverse_entry, name="reverse"),
    path("<int:pk>/banquito/<int:group>/reparto/", views.share_out, name="share_out"),
    path("<int:pk>/biohuertos/", views.garden_list, name="gardens"),
    path("<int:pk>/biohuertos/nuevo/", views.garden_create, name="garden_create"),
    path("<int:pk>/biohuertos/<int:garden>/", views.garden, name="garden"),
    path("agricultura-familiar/", views.family_farming, name="family_farming"),
    path("<int:pk>/productores/", views.nearby, name="nearby"),
    path("<int:pk>/productores/registro/", views.producer_list, name="producers"),
    path("<int:pk>/compras/", views.purchases, name="purchases"),
    path("<int:pk>/compras/<int:purchase>/anular/", views.purchase_cancel, name="purchase_cancel"),
    path("<int:pk>/compras/<int:purchase>/corregir/", views.purchase_correct, name="purchase_correct"),
    path("<int:pk>/indicadores/", views.report, name="report"),
    path("<int:pk>/emprendimientos/", views.venture_list, name="ventures"),
    path("<int:pk>/emprendimientos/nuevo/", views.venture_create, name="venture_create"),
    path("<int:pk>/emprendimientos/<int:venture>/", views.venture, name="venture"),
    path("<int:pk>/emprendimientos/<int:venture>/socia/", views.venture_member_add, name="venture_member_add"),
    path("<int:pk>/emprendimientos/<int:venture>/mes/", views.venture_month, name="venture_month"),
]
