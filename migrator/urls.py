from __future__ import annotations

from django.urls import path

from migrator import views

app_name = "migrator"
urlpatterns = [
    path("", views.project_list, name="projects"),
    path("files/<path:name>", views.storage_file, name="storage_file"),
    path("automl/validate/", views.automl_validate, name="automl_validate"),
    path("<uuid:project_id>/", views.project_detail, name="project"),
]
