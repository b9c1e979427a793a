"""The ballots API, mounted at ``/api/v1/`` inside the ``votes_api`` namespace."""

from django.urls import path

from votes import api

app_name = "votes_api"

urlpatterns: list = []
