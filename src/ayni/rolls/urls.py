from django.urls import path

from ayni.rolls import views

app_name = "rolls"
urlpatterns = [
    path("<int:pk>/", views.roll, name="roll"),
    path("<int:pk>/resumen/", views.summary, name="summary"),
    path("<int:pk>/imprimir/", views.print_roll, name="print"),
    path("<int:pk>/agregar/", views.add, name="add"),
    path("<int:pk>/exportar/<str:fmt>/", views.export, name="export"),
    path("<int:pk>/importar/", views.import_upload, name="import"),
    path("importacion/<int:pk>/", views.import_preview, name="import_preview"),
    path("<int:pk>/buscar-duplicados/", views.scan, name="scan"),
    path("inscripcion/<int:pk>/editar/", views.edit, name="edit"),
    path("inscripcion/<int:pk>/salida/", views.exit_view, name="exit"),
    path("persona/<int:pk>/", views.person, name="person"),
    path("duplicados/", views.duplicates, name="duplicates"),
    path("duplicados/<int:pk>/", views.decide, name="decide"),
]
