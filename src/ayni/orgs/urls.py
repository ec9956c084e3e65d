from django.urls import path

from ayni.core import views as core_views
from ayni.orgs import views
from ayni.people import views as people_views

app_name = "orgs"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("<int:pk>/", core_views.organisation, name="detail"),
    path("<int:pk>/nueva/", views.create, name="create"),
    path("<int:pk>/editar/", views.edit, name="edit"),
    path("<int:pk>/estado/", views.change_status, name="status"),
    path("<int:pk>/mover/", views.move, name="move"),
    path("<int:pk>/requisitos/", views.requirements, name="requirements"),
    path("<int:pk>/socias/", people_views.members, name="members"),
    path("<int:pk>/socias/nueva/", people_views.register_member, name="register_member"),
    path("<int:pk>/socias/agregar/", people_views.add_existing_member, name="add_member"),
    path("<int:pk>/cargos/nuevo/", people_views.assign_position, name="assign_position"),
]
