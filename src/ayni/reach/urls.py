from django.urls import path

from ayni.reach import views

app_name = "reach"

ROUTES = [
    ("formList", views.form_list, "form_list"),
    ("forms/<str:form_id>.xml", views.form, "form"),
    ("forms/<str:form_id>/manifest", views.manifest, "manifest"),
    ("forms/<str:form_id>/media/<str:name>", views.media, "media"),
    ("submission", views.submission, "submission"),
]
# The same endpoints with her username and password (Basic), or with a phone's key in the address.
urlpatterns = [path(route, view, name=name) for route, view, name in ROUTES] + [
    path(f"key/<str:key>/{route}", view, name=f"key_{name}") for route, view, name in ROUTES]
