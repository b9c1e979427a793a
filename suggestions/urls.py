from django.urls import include, path

from suggestions.views import public, workspace

app_name = "suggestions"

urlpatterns = [
    # Public, for constituents (no account).
    path("suggest/station/<str:code>/", public.submit_for_station, name="submit_station"),
    path("suggest/deputy/<str:code>/", public.submit_for_deputy, name="submit_deputy"),
    path("suggest/receipt/", public.receipt, name="receipt"),
    path("track/", public.track, name="track"),
    path("rate/<str:token>/", public.rate, name="rate"),
    # Department handlers' workspace.
    path("work/", workspace.department_list, name="workspace"),
    path("work/items/<int:case_id>/", workspace.department_item, name="work_item"),
    # Opinions addressed to a deputy.
    path("deputy/addressed/", workspace.deputy_list, name="deputy_items"),
    path("deputy/addressed/<int:case_id>/", workspace.deputy_item, name="deputy_item"),
    path("api/v1/", include("suggestions.api_urls")),
]
