from django.contrib import admin
from django.urls import include, path

from ayni.capture.api import api

urlpatterns = [
    path("", include("ayni.core.urls")),
    path("cuenta/", include("ayni.accounts.urls")),
    path("organizaciones/", include("ayni.orgs.urls")),
    path("personas/", include("ayni.people.urls")),
    path("padron/", include("ayni.rolls.urls")),
    path("geo/", include("ayni.geo.urls")),
    path("cocina/", include("ayni.kitchens.urls")),
    path("auditoria/", include("ayni.audit.urls")),
    path("evidencia/", include("ayni.evidence.urls")),
    path("asambleas/", include("ayni.governance.urls")),
    path("", include("ayni.memory.urls")),  # memoria/, experiencias/, oai
    path("", include("ayni.advocacy.urls")),
    path("formacion/", include("ayni.leadership.urls")),
    path("verificar/", include("ayni.leadership.public_urls")),
    path("proteccion/", include("ayni.protection.urls")),
    path("economia/", include("ayni.economy.urls")),
    path("api/v1/", api.urls),
    path("odk/", include("ayni.reach.urls")),
    path("", include("ayni.capture.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
