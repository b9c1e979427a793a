"""The stations API, mounted at ``/api/v1/`` inside the ``stations_api`` namespace."""

from django.urls import path

from stations import api

app_name = "stations_api"

urlpatterns = [
    path("stations/", api.StationListView.as_view(), name="stations"),
    path("stations/<str:code>/", api.StationDetailView.as_view(), name="station"),
    path("deputies/", api.DeputyListView.as_view(), name="deputies"),
    path("deputies/<str:code>/", api.DeputyDetailView.as_view(), name="deputy"),
    path("deputy/duties/", api.OwnDutiesView.as_view(), name="own_duties"),
]
