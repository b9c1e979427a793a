"""Open311 GeoReport v2, mounted at ``/open311/v2/`` (see suggestions.open311)."""

from django.urls import re_path

from suggestions import open311

app_name = "open311"

FORMAT = r"\.(?P<fmt>[a-z]{1,8})$"

urlpatterns = [
    re_path(r"^services" + FORMAT, open311.service_list, name="services"),
    re_path(r"^requests" + FORMAT, open311.requests_endpoint, name="requests"),
    re_path(
        r"^requests/(?P<request_id>[A-Za-z0-9]{1,32})" + FORMAT,
        open311.request_detail,
        name="request",
    ),
]
