"""The API's root, ``/api/v1/``: token sign-in and each app's ``api_urls``.

Conventions every endpoint follows (authentication, the error shape, pagination,
filtering) are in ``liaison/api.py``'s docstring. The suggestions app mounts its own
``api_urls`` under ``/api/v1/`` from ``suggestions/urls.py``.
"""

from django.urls import include, path

from liaison import api

urlpatterns = [
    path("auth/token/", api.TokenObtainView.as_view(), name="api_token"),
    path("", include("stations.api_urls")),
    # The ballots API keeps its namespace, "votes_api".
    path("", include("votes.api_urls")),
]
