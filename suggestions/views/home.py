"""The deputy's home page (/deputy/): duties, stations, matters, suggestions, points,
ballots — each app contributes its panels (liaison.workspace)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_safe

from liaison.workspace import panels_for


@login_required
@require_safe
def deputy_home(request):
    deputy = getattr(request.user, "deputy", None)
    if request.user.role != "deputy" or deputy is None:
        raise PermissionDenied
    return render(
        request,
        "suggestions/deputy/home.html",
        {"deputy": deputy, "panels": panels_for(request.user, deputy), "section": "home"},
    )
