"""The 12345 hotline's endpoint, mounted at ``/api/v1/hotline/`` (docs/hotline.md)."""

from django.urls import path

from suggestions import hotline_api

app_name = "hotline"

urlpatterns = [
    path("orders/", hotline_api.WorkOrderReceiveView.as_view(), name="orders"),
]
