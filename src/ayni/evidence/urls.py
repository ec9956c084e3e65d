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
