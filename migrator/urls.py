from __future__ import annotations

from django.urls import path

from migrator import views

app_name = "migrator"
urlpatterns = [path("", views.project_list, name="projects")]
