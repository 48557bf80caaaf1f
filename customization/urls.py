from __future__ import annotations

from django.urls import path

from customization import views

app_name = "customization"
urlpatterns = [
    path("datasets/", views.dataset_list, name="datasets"),
    path("models/", views.model_list, name="models"),
    path("try/", views.try_it_out, name="try"),
]
