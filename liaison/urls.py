from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.static import serve

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
    path("accounts/start/", views.start, name="start"),
    path("inbox/", views.inbox, name="inbox"),
    path("api/v1/auth/token/", api.TokenObtainView.as_view(), name="api_token"),
    path("api/v1/", include("votes.api_urls")),
    path("", include("votes.urls")),
    path("", include("suggestions.urls")),
    path("", include("stations.urls")),
]

if settings.DEBUG:
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]
