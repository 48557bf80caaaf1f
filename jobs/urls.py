from __future__ import annotations

from django.urls import path

from jobs import views

app_name = "jobs"
urlpatterns = [
    path("", views.job_history, name="history"),
    path("export.csv", views.job_history_csv, name="history_csv"),
    path("<uuid:job_id>/", views.job_detail, name="detail"),
    path("<uuid:job_id>/row/", views.job_row, name="row"),
    path("<uuid:job_id>/cancel/", views.job_cancel_view, name="cancel"),
    path("<uuid:job_id>/retry/", views.job_retry_view, name="retry"),
]
