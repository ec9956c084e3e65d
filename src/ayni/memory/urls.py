from django.urls import path

from ayni.memory import views

app_name = "memory"
urlpatterns = [
    path("memoria/", views.memorial_index, name="memorial_index"),
    path("memoria/<int:pk>/", views.memorial, name="memorial"),
    path("memoria/<int:pk>/registrar/<int:person>/", views.memorial_record, name="memorial_record"),
    path("memoria/registro/<int:record>/", views.memorial_detail, name="memorial_detail"),
    path("memoria/registro/<int:record>/corregir/", views.memorial_correct, name="memorial_correct"),
    path("memoria/registro/<int:record>/retirar/", views.memorial_withdraw, name="memorial_withdraw"),
    path("memoria/recuerdo/<int:record>/", views.memorial_public, name="memorial_public"),
    path("experiencias/", views.experiences, name="experiences"),
    path("experiencias/revision/", views.review_queue, name="review_queue"),
    path("experiencias/nueva/<int:pk>/", views.experience_new, name="experience_new"),
    path("experiencias/<int:exp>/", views.experience, name="experience"),
    path("experiencias/<int:exp>/editar/", views.experience_edit, name="experience_edit"),
    path("experiencias/<int:exp>/archivos/", views.experience_attach, name="experience_attach"),
    path("experiencias/<int:exp>/archivos/<int:file>/", views.experience_file, name="experience_file"),
    path("experiencias/<int:exp>/enviar/", views.experience_submit, name="experience_submit"),
    path("experiencias/<int:exp>/revisar/", views.experience_review, name="experience_review"),
    path("experiencias/<int:exp>/retirar/", views.experience_withdraw, name="experience_withdraw"),
    path("oai", views.oai_pmh, name="oai"),
]
