"""The reception ledger for deputies: log a reception on the phone, list and read them.

Who may open what: the role decides whether the pages exist for the user at all (403
for anyone but a deputy with a deputy record), the selector decides which receptions
are theirs — those they took part in or recorded — and anything else is a 404, so a
reception's existence is not revealed to other deputies.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from liaison.models import User
from stations.models import Deputy, Duty, Reception
from suggestions import receptions
from suggestions.reception_forms import MatterFormSet, ReceptionForm, add_service_errors
from suggestions.views.workspace import mask_name

PAGE_SIZE = 20


def _deputy_of(user: User) -> Deputy:
    """The deputy behind the account; 403 for anyone else."""
    deputy = getattr(user, "deputy", None) if user.role == User.Role.DEPUTY else None
    if deputy is None:
        raise PermissionDenied
    return deputy


@never_cache
@login_required
@require_safe
def reception_list(request):
    """Receptions the deputy took part in or recorded, newest first."""
    deputy = _deputy_of(request.user)
    page = Paginator(receptions.reception_rows(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "suggestions/receptions/list.html",
        {"deputy": deputy, "page": page, "section": "receptions"},
    )


def _default_station(deputy, stations) -> int | None:
    """Today's duty station if the deputy has one, so the form opens where they are."""
    if not stations:
        return None
    on_duty = (
        Duty.objects.filter(
            deputy=deputy,
            reception_day__date=timezone.localdate(),
            reception_day__station__in=stations,
        )
        .values_list("reception_day__station_id", flat=True)
        .first()
    )
    return on_duty or stations[0].pk


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def reception_new(request):
    """Log a reception: where, when, who received, how many came, and the matters."""
    deputy = _deputy_of(request.user)
    stations = list(receptions.deputy_stations(deputy))
    placed = receptions.placed_deputies(stations)
    options = {"deputy": deputy, "stations": stations, "placed": placed}
    matters_errors: list[str] = []
    quiet = False  # a re-display after "add a matter" shows no errors yet

    if request.method == "POST" and stations:
        form = ReceptionForm(request.POST, **options)
        formset = MatterFormSet(request.POST)
        if "add_matter" in request.POST:
            formset = formset.grown()
            quiet = True
        else:
            form_ok, formset_ok = form.is_valid(), formset.is_valid()
            if form_ok and formset_ok:
                filled = formset.filled()
                data = form.cleaned_data
                try:
                    reception = receptions.reception_log(
                        station=data["station"],
                        date=data["date"],
                        deputies=data["deputies"],
                        visitors=data["visitors"],
                        summary=data["summary"],
                        matters=[matter for _form, matter in filled],
                        recorded_by=request.user,
                        source=Reception.Source.DEPUTY_PHONE,
                        submission_key=data["submission_key"],
                    )
                except ValidationError as error:
                    add_service_errors(
                        error,
                        form=form,
                        matter_forms=[matter_form for matter_form, _data in filled],
                        matters_errors=matters_errors,
                    )
                else:
                    messages.success(request, _("The reception has been logged."))
                    return redirect("suggestions:reception", pk=reception.pk)
    else:
        form = ReceptionForm(initial={"station": _default_station(deputy, stations)}, **options)
        formset = MatterFormSet()

    error_summary = (
        form.is_bound
        and not quiet
        and bool(form.errors or matters_errors or formset.total_error_count())
    )
    return render(
        request,
        "suggestions/receptions/new.html",
        {
            "deputy": deputy,
            "form": form,
            "formset": formset,
            "matters_errors": matters_errors,
            "error_summary": error_summary,
            "quiet": quiet,
            "has_stations": bool(stations),
            "max_matters": receptions.MAX_MATTERS,
            "section": "receptions",
        },
    )


@never_cache
@login_required
@require_safe
def reception_detail(request, pk: int):
    """One reception with its matters: answers given on the spot, and the suggestions
    the others became, with the tracking codes to tell the visitors."""
    deputy = _deputy_of(request.user)
    reception = receptions.reception_for_deputy(user=request.user, pk=pk)
    if reception is None:
        raise Http404
    matters = [
        {
            "matter": matter,
            "suggestion": matter.suggestion,
            "name": mask_name(matter.suggestion.name if matter.suggestion else matter.name),
            "phone": matter.suggestion.masked_phone if matter.suggestion else matter.masked_phone,
        }
        for matter in reception.matters.all()
    ]
    return render(
        request,
        "suggestions/receptions/detail.html",
        {
            "deputy": deputy,
            "reception": reception,
            "deputies": reception.deputies.all(),
            "matters": matters,
            "section": "receptions",
        },
    )
