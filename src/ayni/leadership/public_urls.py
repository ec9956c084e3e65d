from django.urls import path

from ayni.leadership import public

app_name = "verify"
urlpatterns = [
    path("", public.lookup, name="lookup"),
    path("c/<str:code>/", public.code, name="code"),
    path("emisora/<int:pk>/", public.issuer, name="issuer"),
    path("emisora/<int:pk>/claves.json", public.jwks, name="jwks"),
    path("emisora/<int:pk>/estado/", public.status_list, name="status_list"),
    path("logro/<int:pk>/", public.achievement, name="achievement"),
]
