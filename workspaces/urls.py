from __future__ import annotations

from django.urls import path

from workspaces import views

app_name = "workspaces"
urlpatterns = [
    path("new/", views.workspace_new, name="new"),
    path("<uuid:ws_id>/", views.overview, name="overview"),
    path("<uuid:ws_id>/settings/", views.workspace_settings, name="settings"),
    path("<uuid:ws_id>/settings/connections/<str:kind>/", views.connection_save, name="connection_save"),
    path("<uuid:ws_id>/settings/members/", views.member_add_view, name="member_add"),
    path(
        "<uuid:ws_id>/settings/members/<uuid:membership_id>/", views.member_update_view, name="member_update"
    ),
    path("<uuid:ws_id>/check-connections/", views.connections_check_start, name="check_connections"),
]
