from django.urls import path

from ayni.people import views

app_name = "people"
urlpatterns = [
    path("", views.search, name="search"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/editar/", views.edit, name="edit"),
    path("membresias/<int:pk>/terminar/", views.end_membership, name="end_membership"),
    path("cargos/<int:pk>/terminar/", views.end_position, name="end_position"),
]
