from django.urls import include, path

from suggestions.views import deputy, home, public, receptions, workspace

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
    # The deputy's home page.
    path("deputy/", home.deputy_home, name="deputy_home"),
    # Formal deputy suggestions (代表建议).
    path("deputy/suggestions/", deputy.suggestion_list, name="deputy_suggestions"),
    path("deputy/suggestions/new/", deputy.suggestion_new, name="deputy_suggestion_new"),
    path("deputy/suggestions/<int:pk>/", deputy.suggestion_detail, name="deputy_suggestion"),
    # The reception ledger (接待记录): deputies log receptions on their phones.
    path("deputy/receptions/", receptions.reception_list, name="receptions"),
    path("deputy/receptions/new/", receptions.reception_new, name="reception_new"),
    path("deputy/receptions/<int:pk>/", receptions.reception_detail, name="reception"),
    path("api/v1/", include("suggestions.api_urls")),
]
