"""The ballots and projects API, mounted at ``/api/v1/`` inside the ``votes_api`` namespace."""

from django.urls import path

from votes import api

app_name = "votes_api"

urlpatterns = [
    path("ballots/", api.BallotListView.as_view(), name="ballots"),
    path("ballots/<int:pk>/cast/", api.BallotCastView.as_view(), name="cast"),
    path("ballots/<int:pk>/results/", api.BallotResultsView.as_view(), name="results"),
    path("cycles/", api.CycleListView.as_view(), name="cycles"),
    path("projects/", api.ProjectListView.as_view(), name="projects"),
    path("projects/<int:pk>/", api.ProjectDetailView.as_view(), name="project"),
]
