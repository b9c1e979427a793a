from django.urls import path

from votes.views import deputy, public

app_name = "votes"

urlpatterns = [
    # Public (no account): cycles, results, the call for proposals, project progress.
    path("ballots/", public.cycle_list, name="cycles"),
    path("ballots/<int:pk>/", public.cycle_detail, name="cycle"),
    path("ballots/<int:pk>/propose/", public.propose, name="propose"),
    path("ballots/<int:pk>/propose/done/", public.propose_done, name="propose_done"),
    path("projects/<int:pk>/", public.project_detail, name="project"),
    # The deputy's pages.
    path("deputy/ballots/", deputy.ballot_list, name="deputy_ballots"),
    path("deputy/ballots/<int:round_id>/", deputy.ballot, name="ballot"),
    path("deputy/ballots/cycles/<int:pk>/propose/", deputy.propose, name="deputy_propose"),
    path("deputy/projects/", deputy.project_list, name="deputy_projects"),
    path("deputy/projects/<int:pk>/inspect/", deputy.inspect, name="inspect"),
]
