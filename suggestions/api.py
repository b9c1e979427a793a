"""The public JSON API for constituents' opinions (``/api/v1/``).

Three endpoints, open to anyone and without sessions, cookies or CSRF tokens: the list
of categories, submitting an opinion, and tracking one by its code and the phone's last
four digits. The views are thin: serializers parse and shape, services write, selectors
read. Submitting and tracking are rate-limited per client address
(``LIAISON_SUBMIT_RATE``, ``LIAISON_TRACK_RATE``); a refused request gets HTTP 429 with
a ``Retry-After`` header.
"""

import hashlib

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from liaison.api import ClientRateThrottle, check_body_size, request_data
from suggestions import selectors, services
from suggestions.models import Suggestion
from suggestions.serializers import (
    CategorySerializer,
    SubmissionReceiptSerializer,
    SuggestionSubmitSerializer,
    SuggestionTrackSerializer,
    TrackQuerySerializer,
)

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX = 64


# --- Rate limits ----------------------------------------------------------------------
# The same counters (``liaison.ratelimit``), client key and rate syntax as the form and
# the tracking page, so the API is no way around them.


class SuggestionSubmitThrottle(ClientRateThrottle):
    scope = "public-submit"  # the same counter as the web form
    rate_setting = "LIAISON_SUBMIT_RATE"


class SuggestionTrackThrottle(ClientRateThrottle):
    scope = "public-track"  # the same counter as the tracking page
    rate_setting = "LIAISON_TRACK_RATE"


# --- Helpers --------------------------------------------------------------------------


def _idempotency_key(request) -> str:
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise ValidationError(
            {"idempotency_key": [_("The Idempotency-Key header is longer than 64 characters.")]}
        )
    return key


def _submission_key(client_key: str, phone: str) -> str | None:
    """The stored ``submission_key`` for a client's idempotency key.

    Scoped to the API and the submitter's phone, so two clients that happen to pick the
    same key (say "1") get their own opinions, and a replay never hands one person's
    tracking code to another. 4 + 60 characters fit the 64 of the column.
    """
    if not client_key:
        return None
    phone = services.normalise_phone(phone)
    digest = hashlib.sha256(f"{client_key}\n{phone}".encode()).hexdigest()
    return "api:" + digest[:60]


def _replayed(submission_key: str | None) -> Suggestion | None:
    # A read the service also makes; done here as well to tell a replay (200) from a
    # new opinion (201). Two truly concurrent first calls both get 201 and one row.
    if not submission_key:
        return None
    return Suggestion.objects.filter(submission_key=submission_key).first()


def _error_dict(exc: DjangoValidationError) -> dict[str, list[str]]:
    """A Django ValidationError as DRF's ``{field: [messages]}`` body."""
    if not hasattr(exc, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
    return {
        (api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field): messages
        for field, messages in exc.message_dict.items()
    }


class _PublicAPIView(APIView):
    """Anonymous JSON endpoints: no authentication, so no session and no CSRF check."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]


# --- Endpoints ------------------------------------------------------------------------


class CategoryListView(_PublicAPIView, generics.ListAPIView):
    """``GET /api/v1/categories/``: the active categories, in the office's order.

    A plain JSON list of ``{"code", "name"}``, not paginated: it is a short list of
    choices that a client shows whole. Not rate-limited; one query.
    """

    serializer_class = CategorySerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.categories_active()


class SuggestionSubmitView(_PublicAPIView):
    """``POST /api/v1/suggestions/``: submit an opinion.

    Body (JSON, at most 64 KB): ``station`` (a station's public code) and/or ``deputy``
    (a deputy's public code; a deputy alone is enough), ``category`` (a category code),
    ``title``, ``content``, ``name``, ``phone`` (a mainland mobile number),
    ``consent`` (``true``: the personal information notice was accepted) and optionally
    ``do_not_contact``. Photos are not accepted here: they need the web form's upload.

    An optional ``Idempotency-Key`` header (up to 64 characters) makes retries safe: the
    first call answers 201, a repeat with the same key and phone answers 200 with the
    opinion first created, and no second opinion is stored.

    Answers 201 ``{"tracking_code", "status", "received_at", "track_url"}``; nothing
    personal is echoed back. Invalid input answers 400 ``{field: [messages]}``.
    """

    throttle_classes = [SuggestionSubmitThrottle]

    def post(self, request):
        # An opinion is 2,000 characters; 64 KB is far more than any honest body.
        check_body_size(request)
        client_key = _idempotency_key(request)
        serializer = SuggestionSubmitSerializer(data=request_data(request))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        submission_key = _submission_key(client_key, data["phone"])

        suggestion = _replayed(submission_key)
        if suggestion is not None:
            answer = status.HTTP_200_OK
        else:
            try:
                suggestion = services.suggestion_submit(
                    channel=Suggestion.Channel.API, submission_key=submission_key, **data
                )
            except DjangoValidationError as exc:
                return Response(_error_dict(exc), status=status.HTTP_400_BAD_REQUEST)
            answer = status.HTTP_201_CREATED
        receipt = SubmissionReceiptSerializer(suggestion, context={"request": request})
        return Response(receipt.data, status=answer)


class SuggestionTrackView(_PublicAPIView):
    """``GET /api/v1/suggestions/track/?code=<tracking code>&phone=<last 4 digits>``.

    Answers 200 with the opinion's public view: status, category, title, station,
    dates, the public timeline, the public reply and, while a reply waits for its
    rating, the rating link. Never the name, the phone, internal notes or who handled
    it. An unknown code and a wrong phone get the same 404, so the answer reveals
    nothing about which codes exist; lookups are rate-limited per address.
    """

    throttle_classes = [SuggestionTrackThrottle]

    def get(self, request):
        query = TrackQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        suggestion = selectors.suggestion_track(
            code=query.validated_data["code"], phone_last4=query.validated_data["phone"]
        )
        if suggestion is None:
            raise NotFound(_("No opinion matches this code and phone."))
        serializer = SuggestionTrackSerializer(
            suggestion,
            context={
                "request": request,
                "events": selectors.public_events(suggestion),
                "reply": selectors.public_reply(suggestion),
                "awaiting_rating": selectors.awaiting_rating(suggestion),
            },
        )
        response = Response(serializer.data)
        # The answer is one person's business: no shared cache may keep it.
        patch_cache_control(response, private=True, no_store=True)
        return response
