from __future__ import annotations

from django.urls import path, re_path

from sandbox import views

urlpatterns = [
    re_path(
        r"^sandbox/customvision/(?P<version>v3\.4-preview|v3\.3)/training/projects/?$",
        views.cv_projects,
    ),
    path("computervision/datasets", views.vision_datasets),
]
