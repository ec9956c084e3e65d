

app_name = "economy"
urlpatterns = []
