"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2), mounted at ``/open311/v2/``.

Tools that speak the civic-issue standard read our categories as services and our
constituents' opinions as service requests, and file new ones with an API key of an
Open311 integration (managed in the admin). JSON only.

- ``GET services.json``: the active categories.
- ``GET requests.json`` and ``GET requests/<id>.json``: what the public tracking page
  shows and nothing more (no name, phone, content, reply text or caller's location);
  ``service_request_id`` is the item's number, never its tracking code: the code is
  what, with the phone's last four digits, opens the tracking page and its reply, so
  it is given to the constituent alone. Filters: ``service_request_id``
  (comma-separated), ``service_code``, ``start_date``, ``end_date``, ``status``;
  the last 90 days by default, at most 1,000 requests.
- ``POST requests.json``: ``api_key``, ``service_code``, ``description``, a location
  (``lat`` and ``long``, ``address_string`` or ``address_id``), optionally
  ``first_name``, ``last_name``, ``phone``, ``email`` (not kept); filed into the
  integration's region and routed like any opinion.

Errors are the standard's list ``[{"code": <HTTP status>, "description": "..."}]``.
This is its own format, outside the OpenAPI schema of ``/api/v1/``.
"""

import datetime as dt
import json
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.http import JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from liaison.api import MAX_BODY_BYTES
from liaison.text import storable
from suggestions import hotline, selectors, services
from suggestions.models import (
    CONTENT_MAX,
    Assignment,
    Case,
    Category,
    Event,
    Integration,
    Suggestion,
    WorkOrder,
)

MAX_RESULTS = 1000
DEFAULT_DAYS = 90
OPEN = "open"
CLOSED = "closed"


def _error(status: int, description: str) -> JsonResponse:
    return JsonResponse(
        [{"code": status, "description": str(description)}], status=status, safe=False
    )


def _answer(data, status: int = 200) -> JsonResponse:
    response = JsonResponse(
        data, status=status, safe=False, json_dumps_params={"ensure_ascii": False}
    )
    return response


def _stamp(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _format_ok(fmt: str) -> JsonResponse | None:
    if fmt != "json":
        return _error(400, _("Only the json format is offered."))
    return None


# --- Services (our categories) ---------------------------------------------------------------


@require_GET
def service_list(request, fmt: str):
    if refused := _format_ok(fmt):
        return refused
    services_ = [
        {
            "service_code": category.code,
            "service_name": category.name,
            "description": category.description,
            "metadata": False,
            "type": "realtime",
            "keywords": "",
            "group": "",
        }
        for category in selectors.categories_active()
    ]
    return _answer(services_)


# --- Requests (constituents' opinions) -------------------------------------------------------


def open311_status(status: str) -> str:
    """Open while someone still has to act on it; closed once answered or ended."""
    return OPEN if status in Case.OPEN_STATUSES else CLOSED


def requests_public():
    """Constituent opinions with what the public may read, in one query."""
    public_events = Event.objects.filter(case_id=OuterRef("pk"), is_public=True).order_by(
        "-created_at", "-id"
    )
    lead = (
        Assignment.objects.filter(case_id=OuterRef("pk"), role=Assignment.Role.LEAD)
        .exclude(status=Assignment.Status.WITHDRAWN)
        .order_by("-assigned_at", "-id")
    )
    return (
        Suggestion.objects.select_related("category", "station")
        .annotate(
            open311_notes=Subquery(public_events.values("public_text")[:1]),
            open311_updated=Subquery(
                Event.objects.filter(case_id=OuterRef("pk"))
                .order_by("-created_at", "-id")
                .values("created_at")[:1]
            ),
            open311_agency=Subquery(lead.values("department__name")[:1]),
        )
        .order_by("-received_at", "-pk")
    )


def request_row(suggestion: Suggestion) -> dict:
    """One service request, with every field of the GeoReport v2 list."""
    station = suggestion.station
    due = suggestion.due_date
    return {
        "service_request_id": str(suggestion.pk),
        "status": open311_status(suggestion.status),
        "status_notes": suggestion.open311_notes or "",
        "service_name": suggestion.category.name if suggestion.category_id else "",
        "service_code": suggestion.category.code if suggestion.category_id else "",
        "description": suggestion.title,
        "agency_responsible": suggestion.open311_agency or "",
        "service_notice": "",
        "requested_datetime": _stamp(suggestion.received_at),
        "updated_datetime": _stamp(suggestion.open311_updated or suggestion.received_at),
        "expected_datetime": (
            _stamp(timezone.make_aware(dt.datetime.combine(due, dt.time(23, 59, 59))))
            if due
            else None
        ),
        # Where the station is, never where the caller said: that can be a home.
        "address": station.address if station and station.address else "",
        "address_id": None,
        "zipcode": None,
        "lat": float(station.latitude) if station and station.latitude is not None else None,
        "long": float(station.longitude) if station and station.longitude is not None else None,
        "media_url": None,
    }


def _when(value: str, *, end: bool = False) -> dt.datetime:
    """An ISO 8601 date or date-time; a bare date is its whole day."""
    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value)
        if day is None:
            raise ValueError(value)
        parsed = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _codes(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


@require_GET
def request_list(request, fmt: str):
    if refused := _format_ok(fmt):
        return refused
    params = request.GET
    queryset = requests_public()
    ids = _codes(params.get("service_request_id", ""))
    if ids:
        # The standard: a list of ids overrides every other filter.
        numbers = [int(i) for i in ids[:MAX_RESULTS] if i.isascii() and i.isdigit() and len(i) < 19]
        queryset = queryset.filter(pk__in=numbers)
    else:
        try:
            start = _when(params["start_date"]) if params.get("start_date") else None
            end = _when(params["end_date"], end=True) if params.get("end_date") else None
        except (ValueError, OverflowError):
            return _error(400, _("start_date and end_date must be ISO 8601 dates."))
        if start is None and end is None:
            start = timezone.now() - dt.timedelta(days=DEFAULT_DAYS)
        if start is not None:
            queryset = queryset.filter(received_at__gte=start)
        if end is not None:
            queryset = queryset.filter(received_at__lte=end)
        if codes := _codes(params.get("service_code", "")):
            queryset = queryset.filter(category__code__in=codes)
        if wanted := _codes(params.get("status", "")):
            if set(wanted) - {OPEN, CLOSED}:
                return _error(400, _("status must be open or closed."))
            if wanted == [OPEN]:
                queryset = queryset.filter(status__in=Case.OPEN_STATUSES)
            elif wanted == [CLOSED]:
                queryset = queryset.exclude(status__in=Case.OPEN_STATUSES)
    return _answer([request_row(s) for s in queryset[:MAX_RESULTS]])


@require_GET
def request_detail(request, request_id: str, fmt: str):
    if refused := _format_ok(fmt):
        return refused
    request_id = request_id.strip()
    suggestion = None
    if request_id.isascii() and request_id.isdigit() and len(request_id) < 19:
        suggestion = requests_public().filter(pk=int(request_id)).first()
    if suggestion is None:
        return _error(404, _("No service request has this id."))
    return _answer([request_row(suggestion)])


# --- Filing a request -------------------------------------------------------------------------


def _json_text(value) -> str:
    """A JSON value as the form's text: a number as its digits (lat and long), null as
    absent; a list, an object or a boolean is no field's value."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError


def _body(request) -> dict:
    if request.content_type == "application/json":
        data = json.loads(request.body.decode("utf-8") or "{}")
        if not isinstance(data, dict):
            raise ValueError
        data = {key: _json_text(value) for key, value in data.items()}
    else:
        data = {key: request.POST.get(key, "") for key in request.POST}
    # A NUL or a lone surrogate would be a server error at the first query or save.
    if not all(storable(key) and storable(value) for key, value in data.items()):
        raise ValueError
    return data


def _coordinate(value: str, limit: int) -> Decimal | None:
    if not value:
        return None
    number = Decimal(value)
    if not number.is_finite() or abs(number) > limit:
        raise InvalidOperation
    return number.quantize(Decimal("0.000001"))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def requests_endpoint(request, fmt: str):
    if request.method == "GET":
        return request_list(request, fmt)
    if refused := _format_ok(fmt):
        return refused
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return _error(413, _("The request body is larger than 64 KB."))
    try:
        data = _body(request)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _error(400, _("The request body is not valid."))
    key = data.get("api_key", "").strip()
    if not key:
        return _error(403, _("An api_key is required."))
    integration = hotline.integration_for_key(key, kind=Integration.Kind.OPEN311)
    if integration is None:
        return _error(403, _("The api_key is not valid."))
    return _request_create(integration, data)


def _request_create(integration: Integration, data: dict) -> JsonResponse:
    code = data.get("service_code", "").strip()
    category = Category.objects.filter(code=code, is_active=True).first() if code else None
    if category is None:
        return _error(400, _("service_code is missing or unknown."))
    description = data.get("description", "").strip()
    if not description:
        return _error(400, _("A description is required."))
    if len(description) > CONTENT_MAX:
        return _error(400, _("The description is longer than 2,000 characters."))
    address = data.get("address_string", "").strip()
    address_id = data.get("address_id", "").strip()
    try:
        lat, lon = _coordinate(data.get("lat", ""), 90), _coordinate(data.get("long", ""), 180)
    except (InvalidOperation, ValueError):
        return _error(400, _("lat and long must be decimal degrees."))
    if (lat is None) != (lon is None):
        return _error(400, _("Give both lat and long."))
    if lat is None and not address and not address_id:
        return _error(400, _("A location is required: lat and long, address_string or address_id."))
    if len(address) > 200 or len(address_id) > 100:
        return _error(400, _("The address is longer than 200 characters."))
    first, last = data.get("first_name", "").strip(), data.get("last_name", "").strip()
    # 张三 is family name first with no space; John Smith is the other way round.
    name = f"{first} {last}".strip() if (first + last).isascii() else last + first
    phone = services.normalise_phone(data.get("phone", ""))
    where = " ".join(filter(None, [address, address_id and f"#{address_id}"]))
    content = description
    if where or lat is not None:
        located = where + (f" ({lat}, {lon})" if lat is not None else "")
        content = f"{description}\n\n{_('Location')}: {located.strip()}"
    try:
        with transaction.atomic():
            suggestion = services.suggestion_submit(
                channel=Suggestion.Channel.OPEN311,
                category=category,
                title=description[:30],
                content=content[:CONTENT_MAX],
                region=integration.region,
                name=name[:50],
                phone=phone if hotline.is_mobile(phone) else "",
                do_not_contact=not hotline.is_mobile(phone),
                consent=True,
            )
            WorkOrder.objects.create(
                integration=integration,
                suggestion=suggestion,
                content_hash=hotline.order_digest(
                    {k: v for k, v in data.items() if k != "api_key"}
                ),
                address=address[:200],
                latitude=lat,
                longitude=lon,
            )
            Integration.objects.filter(pk=integration.pk).update(last_used_at=timezone.now())
    except ValidationError as exc:
        return _error(400, " ".join(exc.messages))
    return _answer(
        [
            {
                "service_request_id": str(suggestion.pk),
                "service_notice": _("Received; it is routed to the body that handles it."),
                "account_id": None,
            }
        ],
        status=201,
    )
