"""Public pages for constituents: submit an opinion, the receipt, tracking, rating.

No account is needed. Every write goes through ``suggestions.services``, the one place
that decides what is valid; the forms only parse the request, and the service's errors
are shown next to the fields with everything the person typed kept. Writes and lookups
are rate limited per client address (``LIAISON_SUBMIT_RATE``, ``LIAISON_TRACK_RATE``).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from liaison import pages
from stations import qr
from stations.models import Deputy, Placement, Station
from suggestions import selectors, services
from suggestions.forms import RateForm, SubmitForm, TrackForm, new_submission_key
from suggestions.models import Case, FollowUp, Suggestion

RECEIPT_SESSION_KEY = "suggestions:receipt"
SUBMIT_SCOPE = "public-submit"
TRACK_SCOPE = "public-track"
# Three photos of 5 MB and the text need about 16 MB; a body far beyond that is not a
# form a person filled in, and is refused before it is read.
MAX_SUBMIT_BYTES = 8 * services.MAX_PHOTO_BYTES
WAITING_FOR_RATING = (Case.Status.REPLIED, Case.Status.ANSWERED_ON_SPOT)

get_or_post = require_http_methods(["GET", "HEAD", "POST"])


# --- Submitting an opinion -----------------------------------------------------------


@never_cache
@get_or_post
def submit_for_station(request, code: str):
    """The form a station's QR code leads to: the opinion goes to that station."""
    station = get_object_or_404(Station.objects.select_related("region"), code=code, is_active=True)
    return _submit(request, station=station, deputy=None, region=station.region)


@never_cache
@get_or_post
def submit_for_deputy(request, code: str):
    """Writing to a deputy: the deputy's home region, and the deputy's station when the
    deputy is placed in exactly one."""
    deputy = get_object_or_404(Deputy.objects.select_related("region"), code=code, is_active=True)
    placements = list(
        Placement.objects.filter(deputy=deputy, is_active=True, station__is_active=True)
        .select_related("station")
        .order_by("station__code")[:2]
    )
    station = placements[0].station if len(placements) == 1 else None
    return _submit(request, station=station, deputy=deputy, region=deputy.region)


def _submit(request, *, station: Station | None, deputy: Deputy | None, region):
    photos_dropped = False
    wait = None
    if request.method == "POST":
        wait = pages.blocked(request, scope=SUBMIT_SCOPE, rate=settings.LIAISON_SUBMIT_RATE)
        if _content_length(request) > MAX_SUBMIT_BYTES:
            return render(request, "suggestions/public/too_large.html", status=413)
        form = SubmitForm(request.POST, request.FILES)
        if wait is None and form.is_valid():
            data = form.cleaned_data
            try:
                suggestion = services.suggestion_submit(
                    channel=Suggestion.Channel.WEB,
                    category=data["category"],
                    title=data["title"],
                    content=data["content"],
                    station=station,
                    deputy=deputy,
                    region=region,
                    name=data["name"],
                    phone=data["phone"],
                    do_not_contact=data["do_not_contact"],
                    consent=data["consent"],
                    photos=data["photos"],
                    submission_key=data["submission_key"],
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                request.session[RECEIPT_SESSION_KEY] = {
                    "code": suggestion.tracking_code,
                    "sms": bool(suggestion.phone and not suggestion.do_not_contact),
                    "phone": suggestion.masked_phone,
                }
                return redirect("suggestions:receipt")
        # A browser cannot put files back into a file input: say so, not lose them quietly.
        photos_dropped = bool(request.FILES)
    else:
        form = SubmitForm(initial={"submission_key": new_submission_key()})
    context = {
        "form": form,
        "station": station,
        "deputy": deputy,
        "photos_dropped": photos_dropped,
        "max_photos": services.MAX_PHOTOS,
        "personal_data_days": settings.LIAISON_PERSONAL_DATA_DAYS,
        "notice_version": settings.LIAISON_PRIVACY_NOTICE_VERSION,
    }
    return pages.render_limited(request, "suggestions/public/submit.html", context, wait)


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@never_cache
@require_safe
def receipt(request):
    """After a submission (POST/redirect/GET): the tracking code, kept in the session."""
    # Shown once: on a shared phone or kiosk the next person must not find it.
    data = request.session.pop(RECEIPT_SESSION_KEY, None)
    if not isinstance(data, dict) or not data.get("code"):
        return redirect("suggestions:track")
    track_url = qr.absolute_url(request, reverse("suggestions:track"))
    return render(
        request, "suggestions/public/receipt.html", {"receipt": data, "track_url": track_url}
    )


# --- Tracking --------------------------------------------------------------------------


@never_cache
@get_or_post
def track(request):
    """Look an opinion up by its code and the phone's last four digits.

    The lookup is a POST, so the digits stay out of addresses, history and access logs;
    ``?code=`` (the link in a merged item's SMS) only fills in the form.
    """
    suggestion = None
    wait = None
    if request.method == "POST":
        form = TrackForm(request.POST)
        wait = pages.blocked(request, scope=TRACK_SCOPE, rate=settings.LIAISON_TRACK_RATE)
        if wait is None and form.is_valid():
            suggestion = selectors.suggestion_track(
                code=form.cleaned_data["code"], phone_last4=form.cleaned_data["last4"]
            )
            if suggestion is None:
                # The same answer for an unknown code and a wrong phone.
                form.add_error(None, _("No opinion matches this code and phone."))
    else:
        form = TrackForm(initial={"code": request.GET.get("code", "")[:32]})
    context = {"form": form, "suggestion": suggestion}
    if suggestion is not None:
        context |= {
            "events": selectors.public_events(suggestion),
            "reply": selectors.public_reply(suggestion),
            "rate_token": services.rating_token(suggestion)
            if selectors.awaiting_rating(suggestion)
            else "",
        }
    return pages.render_limited(request, "suggestions/public/track.html", context, wait)


# --- Rating a reply --------------------------------------------------------------------


@never_cache
@get_or_post
def rate(request, token: str):
    """The rating link of the reply SMS: satisfied, basically satisfied or unsatisfied."""
    case = services.case_for_rating_token(token)
    if case is None:
        raise Http404
    if request.method == "POST":
        form = RateForm(request.POST)
        if form.is_valid():
            try:
                follow_up = services.case_rate(
                    case=case,
                    rating=form.cleaned_data["rating"],
                    comment=form.cleaned_data["comment"],
                    method=FollowUp.Method.LINK,
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                return render(
                    request,
                    "suggestions/public/rate_done.html",
                    {
                        "case": case,
                        "follow_up": follow_up,
                        "reopened": follow_up.rating == FollowUp.Rating.UNSATISFIED,
                    },
                )
    else:
        form = RateForm()
    context = {
        "case": case,
        "form": form,
        "reply": selectors.public_reply(case),
        "waiting": selectors.awaiting_rating(case),
    }
    return render(request, "suggestions/public/rate.html", context)
