from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from blobstore import views as blob_views
from config import views as config_views
from workspaces import views as workspace_views

handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"

urlpatterns = [
    path("", workspace_views.home, name="home"),
    path("healthz", config_views.healthz, name="healthz"),
    path("accounts/login/", config_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("admin/", admin.site.urls),
    path("w/", include("workspaces.urls")),
    path("w/<uuid:ws_id>/jobs/", include("jobs.urls")),
    path("w/<uuid:ws_id>/projects/", include("migrator.urls")),
    path("w/<uuid:ws_id>/", include("customization.urls")),
]
if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("", include("sandbox.urls")))  # before /blobs/: it serves /blobs/sandbox/
urlpatterns.append(path("blobs/<str:root>/<path:path>", blob_views.signed_blob, name="signed_blob"))
