"""The public JSON API, mounted at ``/api/v1/`` inside the ``suggestions`` namespace."""

from django.urls import path

from suggestions import api

urlpatterns = [
    path("categories/", api.CategoryListView.as_view(), name="api_categories"),
    path("suggestions/", api.SuggestionSubmitView.as_view(), name="api_submit"),
    path("suggestions/track/", api.SuggestionTrackView.as_view(), name="api_track"),
]
