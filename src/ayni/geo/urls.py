from django.urls import path

from ayni.geo import views

app_name = "geo"
urlpatterns = [path("distritos/", views.district_search, name="districts")]
