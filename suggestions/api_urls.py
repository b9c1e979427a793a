"""The suggestions API, mounted at ``/api/v1/`` inside the ``suggestions`` namespace."""

from django.urls import path

from suggestions import api

urlpatterns = [
    # Public: constituents, no account.
    path("categories/", api.CategoryListView.as_view(), name="api_categories"),
    path("suggestions/", api.SuggestionSubmitView.as_view(), name="api_submit"),
    path("suggestions/track/", api.SuggestionTrackView.as_view(), name="api_track"),
    path("suggestions/rate/", api.SuggestionRateView.as_view(), name="api_rate"),
    # Deputies: the reception ledger and formal deputy suggestions.
    path("deputy/receptions/", api.ReceptionListView.as_view(), name="api_receptions"),
    path("deputy/receptions/<int:pk>/", api.ReceptionDetailView.as_view(), name="api_reception"),
    path(
        "deputy/suggestions/",
        api.DeputySuggestionListView.as_view(),
        name="api_deputy_suggestions",
    ),
    path(
        "deputy/suggestions/<int:pk>/",
        api.DeputySuggestionDetailView.as_view(),
        name="api_deputy_suggestion",
    ),
    path(
        "deputy/suggestions/<int:pk>/submit/",
        api.DeputySuggestionSubmitView.as_view(),
        name="api_deputy_suggestion_submit",
    ),
    path(
        "deputy/suggestions/<int:pk>/invite/",
        api.DeputySuggestionInviteView.as_view(),
        name="api_deputy_suggestion_invite",
    ),
    path(
        "deputy/suggestions/<int:pk>/cosign/",
        api.DeputySuggestionCosignView.as_view(),
        name="api_deputy_suggestion_cosign",
    ),
    path(
        "deputy/suggestions/<int:pk>/rate/",
        api.DeputySuggestionRateView.as_view(),
        name="api_deputy_suggestion_rate",
    ),
    # Department handlers.
    path("department/items/", api.DepartmentItemListView.as_view(), name="api_work_items"),
    path(
        "department/items/<int:case_id>/",
        api.DepartmentItemDetailView.as_view(),
        name="api_work_item",
    ),
    path(
        "department/items/<int:case_id>/reply/",
        api.DepartmentReplyView.as_view(),
        name="api_work_reply",
    ),
    path(
        "department/items/<int:case_id>/return/",
        api.DepartmentReturnView.as_view(),
        name="api_work_return",
    ),
    # Office staff.
    path("staff/suggestions/", api.StaffSuggestionListView.as_view(), name="api_staff_list"),
    path(
        "staff/suggestions/<int:pk>/",
        api.StaffSuggestionDetailView.as_view(),
        name="api_staff_detail",
    ),
    path(
        "staff/suggestions/<int:pk>/assign/",
        api.StaffAssignView.as_view(),
        name="api_staff_assign",
    ),
]
