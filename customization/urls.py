from __future__ import annotations

from django.urls import path

from customization import evaluation_views, views

app_name = "customization"
urlpatterns = [
    path("datasets/", views.dataset_list, name="datasets"),
    path("datasets/register/", views.dataset_register, name="dataset_register"),
    path("datasets/<str:name>/", views.dataset_detail, name="dataset"),
    path("datasets/<str:name>/delete/", views.dataset_delete, name="dataset_delete"),
    path("datasets/<str:name>/gallery/<int:image_id>.jpg", views.dataset_thumbnail, name="dataset_thumbnail"),
    path("models/", views.model_list, name="models"),
    path("models/train/", views.model_train, name="model_train"),
    path("models/compare/", views.model_compare, name="model_compare"),
    path("models/<str:name>/", views.model_detail, name="model"),
    path("models/<str:name>/cancel/", views.model_cancel, name="model_cancel"),
    path("models/<str:name>/delete/", views.model_delete, name="model_delete"),
    path("models/<str:name>/evaluate/", views.model_evaluate, name="model_evaluate"),
    path("models/<str:name>/analyze/", evaluation_views.model_analyze, name="model_analyze"),
    # The analysis is in the query (?analysis=<uuid>&t=0.50): the image ids are the dataset's.
    path(
        "models/<str:name>/analyzed/<int:image_id>.jpg",
        evaluation_views.analysis_image,
        name="analysis_image",
    ),
    path("try/", views.try_it_out, name="try"),
    path("try/<uuid:job_id>/image.png", views.prediction_image, name="prediction_image"),
]
