from django.urls import path

from ayni.evidence import views

app_name = "evidence"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("cocinas/", views.kitchens, name="kitchens"),
    path("mapa/", views.map_page, name="map"),
    path("informe.pdf", views.brief, name="brief"),
    path("exportar/<str:table>.<str:fmt>", views.export, name="export"),
]
urlpatterns += [
    path("abierta/<int:pk>/", views.public_page, name="public"),
    path("abierta/<int:pk>/datos.<str:fmt>", views.public_data, name="public_data"),
    path("abierta/<int:pk>/ajustes/", views.public_settings, name="public_settings"),
]
