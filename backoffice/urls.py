"""Top-level routes: the staff admin, the REST API, language switching and a health check."""

from django.contrib import admin
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.generic import RedirectView


def healthz(request: HttpRequest) -> JsonResponse:
    """Up, and the database answers."""
    connection.ensure_connection()
    if not connection.is_usable():
        return JsonResponse({"status": "database unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/", include(("disputes.api.urls", "api"), namespace="api")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
]
