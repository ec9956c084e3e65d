from django.urls import path

from ayni.core import views

# The trail's page reads the tree as well as the trail, so it lives in core (docs/architecture.md).
app_name = "audit"
urlpatterns = [path("", views.audit_entries, name="entries")]
