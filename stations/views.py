"""Public pages: the station finder, station pages (the QR target) and deputy pages;
and the deputy's own pages: duties (attendance, swaps), points card, annual report."""

from pathlib import PurePath

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from liaison.models import Region
from stations import pagecache, points, qr, selectors, services
from stations.models import Deputy, Duty, Station
from stations.models.base import DutySwap
from stations.models.points import PointEntry


@require_safe
def home(request):
    region = None
    region_code = request.GET.get("region", "").strip()
    if region_code:
        region = get_object_or_404(Region, code=region_code)
    query = request.GET.get("q", "").strip()[:50]
    stations = selectors.station_search(region=region, query=query)
    page = None
    if region or query:
        page = Paginator(stations, selectors.FINDER_LIMIT).get_page(request.GET.get("page"))
    context = {
        "region": region,
        "query": query,
        "breadcrumbs": selectors.region_breadcrumbs(region=region) if region else [],
        "children": selectors.region_children_with_counts(region=region),
        "page": page,
    }
    return render(request, "stations/home.html", context)


@require_safe
def station_detail(request, code: str):
    return pagecache.station_page(request, code)


@require_safe
def deputy_detail(request, code: str):
    deputy = selectors.deputy_for_public_page(code=code)
    return render(
        request,
        "stations/deputy_detail.html",
        {"deputy": deputy, "page_url": qr.absolute_url(request, request.path)},
    )


def _qr_response(request, path: str, fmt: str, filename: str) -> HttpResponse:
    url = qr.absolute_url(request, path)
    if fmt == "png":
        response = HttpResponse(qr.qr_png(url), content_type="image/png")
    else:
        response = HttpResponse(qr.qr_svg(url), content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="{filename}.{fmt}"'
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_safe
def station_qr(request, code: str, fmt: str):
    station = get_object_or_404(Station, code=code, is_active=True)
    path = reverse("stations:station", args=[station.code])
    return _qr_response(request, path, fmt, f"station-{station.code}")


@require_safe
def deputy_qr(request, code: str, fmt: str):
    deputy = get_object_or_404(Deputy, code=code, is_active=True)
    path = reverse("stations:deputy", args=[deputy.code])
    return _qr_response(request, path, fmt, f"deputy-{deputy.code}")


@require_safe
def station_poster(request, code: str):
    """A printable A4 poster: name, QR code, reception schedule, as SVG."""
    station = selectors.station_for_public_page(code=code)
    url = qr.absolute_url(request, reverse("stations:station", args=[station.code]))
    path, modules = qr.qr_path(url)
    size_mm = 120
    response = render(
        request,
        "stations/poster.svg",
        {
            "station": station,
            "url": url,
            "qr_path": path,
            "qr_scale": size_mm / modules,
            "qr_x": (210 - size_mm) / 2,
            "qr_y": 70,
        },
        content_type="image/svg+xml; charset=utf-8",
    )
    response["Content-Disposition"] = f'inline; filename="poster-{station.code}.svg"'
    return response


# --- The deputy's own pages -------------------------------------------------------------

FIRST_YEAR = 2000
EVIDENCE_CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
}


def _own_deputy(request, perm: str = "stations.view_own_duties") -> Deputy:
    """The signed-in deputy; 403 for any other account."""
    deputy = getattr(request.user, "deputy", None)
    if deputy is None or not request.user.has_perm(perm):
        raise PermissionDenied
    return deputy


def _year_or_404(year: int) -> int:
    if not FIRST_YEAR <= year <= timezone.localdate().year + 1:
        raise Http404
    return year


def _service_errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@never_cache
@login_required
@require_safe
def my_duties(request):
    deputy = _own_deputy(request)
    context = selectors.deputy_duties(deputy=deputy)
    today = timezone.localdate()
    context.update(deputy=deputy, section="duties", today=today, report_year=today.year)
    return render(request, "stations/deputy/duties.html", context)


@login_required
@require_POST
def duty_attendance(request, duty_id: int):
    """The deputy records their own attendance, on the day of the duty or after."""
    deputy = _own_deputy(request)
    duty = get_object_or_404(Duty, pk=duty_id, deputy=deputy)
    value = request.POST.get("attended")
    if value not in ("1", "0"):
        return HttpResponseBadRequest()
    try:
        services.duty_mark_attendance(duty=duty, attended=value == "1", by=request.user)
    except ValidationError as error:
        _service_errors(request, error)
    else:
        messages.success(
            request,
            gettext("Recorded: you were on duty.")
            if value == "1"
            else gettext("Recorded: you could not come."),
        )
    return redirect("stations:my_duties")


@login_required
@require_POST
def duty_swap(request, duty_id: int):
    """The deputy on duty asks a colleague of the station to take the day."""
    deputy = _own_deputy(request)
    duty = get_object_or_404(Duty, pk=duty_id, deputy=deputy)
    to_id = request.POST.get("to_deputy", "")
    to_deputy = Deputy.objects.filter(pk=int(to_id)).first() if to_id.isdigit() else None
    if to_deputy is None:
        messages.error(request, gettext("Choose the colleague to ask."))
        return redirect("stations:my_duties")
    try:
        services.duty_swap_request(
            duty=duty, to_deputy=to_deputy, by=request.user, note=request.POST.get("note", "")
        )
    except ValidationError as error:
        _service_errors(request, error)
    else:
        messages.success(
            request,
            gettext("%(name)s has been asked to take the day.") % {"name": to_deputy.name},
        )
    return redirect("stations:my_duties")


@login_required
@require_POST
def swap_decide(request, swap_id: int):
    """Accept or decline a request to take a colleague's day, or cancel one's own."""
    deputy = _own_deputy(request)
    action = request.POST.get("action")
    actions = {
        "accept": ("to_deputy", services.duty_swap_accept, gettext("The day is yours now.")),
        "decline": ("to_deputy", services.duty_swap_decline, gettext("You declined.")),
        "cancel": ("from_deputy", services.duty_swap_cancel, gettext("Request cancelled.")),
    }
    if action not in actions:
        return HttpResponseBadRequest()
    party, service, done = actions[action]
    swap = get_object_or_404(DutySwap, pk=swap_id, **{party: deputy})
    try:
        service(swap=swap, by=request.user)
    except ValidationError as error:
        _service_errors(request, error)
    else:
        messages.success(request, done)
    return redirect("stations:my_duties")


class ClaimForm(forms.Form):
    """A deputy's claim for an activity the system does not see."""

    occurred_on = forms.DateField(
        label=_("Date of the activity"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    description = forms.CharField(
        label=_("What you did"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 200}),
        help_text=_("e.g. took part in the county congress's inspection of rural roads."),
    )
    evidence = forms.FileField(
        label=_("Evidence"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp,.pdf"}),
        help_text=_("A photo (JPEG, PNG or WebP) or a PDF of at most 5 MB."),
    )


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def my_points(request):
    """The deputy's own points card: total, grade, entries, and the claim form."""
    deputy = _own_deputy(request, "stations.view_own_points")
    this_year = timezone.localdate().year
    year_text = request.GET.get("year", "")
    year = int(year_text) if year_text.isdigit() else this_year
    year = _year_or_404(year)
    form = ClaimForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            points.points_claim(
                deputy=deputy,
                description=form.cleaned_data["description"],
                occurred_on=form.cleaned_data["occurred_on"],
                evidence=form.cleaned_data["evidence"],
                by=request.user,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error)
        else:
            messages.success(request, gettext("Claim sent: the office will verify it."))
            return redirect("stations:my_points")
    context = points.deputy_points_card(deputy=deputy, year=year)
    context.update(deputy=deputy, year=year, report_year=year, form=form, section="points")
    status = 400 if form.errors else 200
    return render(request, "stations/deputy/points.html", context, status=status)


@never_cache
@login_required
@require_safe
def points_evidence(request, entry_id: int):
    """An evidence file, for its deputy and for the office of the deputy's region."""
    entry = get_object_or_404(
        PointEntry.objects.filter(deputy__in=points.deputies_for_reports(user=request.user)),
        pk=entry_id,
    )
    if not entry.evidence:
        raise Http404
    extension = PurePath(entry.evidence.name).suffix.lower()
    content_type = EVIDENCE_CONTENT_TYPES.get(extension, "application/octet-stream")
    try:
        handle = entry.evidence.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, content_type=content_type, filename=f"evidence-{entry.pk}{extension}"
    )
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _render_report(request, deputy: Deputy, year: int):
    context = points.deputy_annual_report(deputy=deputy, year=year)
    context.update(
        printed_on=timezone.localdate(),
        section="report",
        own=getattr(request.user, "deputy", None) == deputy,
        years=list(range(timezone.localdate().year, max(FIRST_YEAR, year - 5) - 1, -1)),
    )
    return render(request, "stations/report.html", context)


@never_cache
@login_required
@require_safe
def my_report(request, year: int):
    """The deputy's own annual performance report (述职报告), printable."""
    deputy = _own_deputy(request, "stations.view_own_points")
    return _render_report(request, deputy, _year_or_404(year))


@never_cache
@login_required
@require_safe
def deputy_report(request, deputy_id: int, year: int):
    """A deputy's annual report for the office of their region (and for themself);
    anybody else gets a 404, so no one learns by probing ids who exists."""
    deputy = get_object_or_404(
        points.deputies_for_reports(user=request.user).select_related("region"), pk=deputy_id
    )
    return _render_report(request, deputy, _year_or_404(year))
