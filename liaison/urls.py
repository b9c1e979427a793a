from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from liaison import api, reports, views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # Monthly and annual reports: an admin page of the project's own, before the admin's
    # catch-all so it is not taken for an app label.
    path("admin/reports/", admin.site.admin_view(reports.report_view), name="liaison_report"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Department handlers and deputies sign in here; the admin's login is staff-only.
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Two-factor sign-in for staff: enrolment, the code step, backup codes.
    path("accounts/2fa/", include("liaison.twofactor")),
    path("accounts/start/", views.start, name="start"),
    path("inbox/", views.inbox, name="inbox"),
    # The 12345 hotline's signed work orders (docs/hotline.md) and Open311 GeoReport v2.
    path("api/v1/hotline/", include("suggestions.hotline_urls")),
    path("open311/v2/", include("suggestions.open311_urls")),
    path("api/v1/", include("liaison.api_urls")),
    # The OpenAPI 3 schema and its documentation pages (assets from our static files).
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves its start-up script from a URL, not inline (CSP).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api_schema", template_name="api/swagger_ui.html"
        ),
        name="api_docs",
    ),
    path(
        "api/redoc/",
        # Our template: drf-spectacular's loads web fonts from Google. ReDoc writes its
        # styles into <style> elements as it renders and runs its search in a worker made
        # from a blob: this page alone allows both (still no inline script).
        csp_replace({"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
            SpectacularRedocView.as_view(url_name="api_schema", template_name="api/redoc.html")
        ),
        name="api_redoc",
    ),
    path("", include("votes.urls")),
    path("", include("suggestions.urls")),
    path("", include("stations.urls")),
]

# Under /api/, an unknown address and a crash answer in the API's error shape.
handler404 = api.page_not_found
handler500 = api.server_error

if settings.DEBUG:
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", views.media)]
