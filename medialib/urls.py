"""The site's routes: the browser UI, sign-in, file serving, then the ImageKit-compatible API."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from medialib import serving
from medialib.ui import views

urlpatterns = [
    path("", views.library, name="library"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("assets/<str:file_id>/", views.asset_panel, name="asset"),
    path("assets/<str:file_id>/card/", views.asset_card, name="asset-card"),
    path("assets/<str:file_id>/runs/", views.asset_runs, name="asset-runs"),
    path("assets/<str:file_id>/metadata/", views.asset_metadata, name="asset-metadata"),
    path(
        "assets/<str:file_id>/versions/<str:version_id>/content",
        views.asset_version_content,
        name="asset-version-content",
    ),
    path("f/<path:file_path>", serving.serve_file, name="serve-file"),
    path("", include("medialib.api.urls")),
]
