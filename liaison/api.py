"""What every API of the project shares, and the conventions the apps' APIs follow.

The API lives under ``/api/v1/`` (``liaison/api_urls.py`` includes each app's
``api_urls``); its OpenAPI 3 schema is at ``/api/schema/``, browsable at ``/api/docs/``
(Swagger UI) and ``/api/redoc/``, with assets served from our own static files.

Conventions (an app's ``api.py`` follows them; ``votes.api`` and ``stations.api`` show how):

- **Views are thin.** A serializer parses and shapes, a service (``services.py``) writes,
  a selector (``selectors.py``) reads and owns ``select_related``/``prefetch_related``, so
  every list is a fixed number of queries. Scoping is in the queryset: an object outside
  the caller's reach is a 404, not a 403.
- **Authentication**: an API token (``Authorization: Token <key>`` from
  ``POST /api/v1/auth/token/``) or the site's session (then with the CSRF token). Public
  endpoints set ``authentication_classes = []`` and ``permission_classes = [AllowAny]``
  (no cookie, no CSRF); the default is ``IsAuthenticated``.
- **Errors** have one shape, made by :func:`exception_handler` for every status
  (400, 401, 403, 404, 405, 409, 413, 415, 429, and 500 through :func:`server_error`)::

      {"detail": "<one translated message>", "code": "<machine code>"}

  and for validation errors (400) also the messages per field, nested fields joined
  with dots (``"marks.12"``), messages not about one field under ``non_field_errors``::

      {"detail": "...", "code": "invalid", "errors": {"<field>": ["<message>", ...]}}

  Raise DRF's exceptions (``ValidationError``, ``NotFound``, ``PermissionDenied``) or
  :class:`BadRequest` / :class:`Conflict` / :class:`PayloadTooLarge` below; a Django
  ``ValidationError`` from a service is turned into the same 400, so a view need not
  catch it to reshape it. Never build an error ``Response`` by hand. ``code`` is the
  exception's code (``ErrorDetail.code``, else the class's ``default_code``).
- **Pagination**: :class:`Pagination`, limit/offset (``?limit=&offset=``), 50 a page by
  default, at most 200; a page answers ``{"count", "next", "previous", "results"}``.
  Short lists of choices a client shows whole (categories) set ``pagination_class = None``.
- **Filtering**: django-filter (a ``filterset_class`` in the app's ``filters.py``), plus
  ``?search=`` when a view names ``search_fields`` and ``?ordering=`` when it names
  ``ordering_fields`` (:class:`OrderingFilter`: nothing is orderable unless named).
- **Bodies**: JSON, capped at 64 KB (call :func:`check_body_size` first, read the body
  through :func:`request_data`). Rate limits: a :class:`ClientRateThrottle` subclass on
  the same counters as the pages.
- **Schema**: ``liaison.api_schema.AutoSchema`` (the default schema class) adds the
  error responses a view can give (400/401/403/404/413/415/429, as :class:`Error`) to
  every operation; use ``@extend_schema`` for what cannot be inferred (an ``APIView`` without a
  ``serializer_class``, a ``SerializerMethodField``'s type). The schema must stay clean:
  ``manage.py spectacular --validate --fail-on-warn``; ``tests/api/`` fuzzes every
  operation with schemathesis.
- Every message goes through gettext; nothing personal (phone, ID number) in an answer
  unless the page shows it to the same user.
"""

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, filters, serializers, status
from rest_framework import views as drf_views
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import APIException, ParseError, ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from liaison import ratelimit, twofactor
from liaison.text import storable

MAX_BODY_BYTES = 64 * 1024
# Longer than any username the admin can create, so a longer one cannot match.
USERNAME_MAX = 150

# --- Rate limits ----------------------------------------------------------------------


class ClientRateThrottle(BaseThrottle):
    """A per-address limit on the counters the web pages use (``liaison.ratelimit``).

    The client key is REMOTE_ADDR (or the address the nearest proxy saw when
    ``NUM_PROXIES`` is set; an IPv6 /64 counts as one client). The rate is read from
    ``rate_setting`` on every request, so tests and operators can change it; an empty
    setting switches the limit off. Every request counts, refused ones too.
    """

    scope = ""
    rate_setting = ""

    def allow_request(self, request, view) -> bool:
        self.rate = getattr(settings, self.rate_setting, "") or ""
        return ratelimit.hit(scope=self.scope, key=ratelimit.client_key(request), rate=self.rate)

    def wait(self) -> float | None:
        return ratelimit.retry_after(self.rate) if self.rate else None


class TokenObtainThrottle(ClientRateThrottle):
    # Few tries per address: a password guesser must not get a fast oracle.
    scope = "api-token"
    rate_setting = "LIAISON_TOKEN_RATE"


# --- Errors ---------------------------------------------------------------------------


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is larger than 64 KB.")
    default_code = "payload_too_large"


class BadRequest(APIException):
    """A 400 whose body is ``{"detail": "<one message>"}``, like DRF's other errors."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("The request is not valid.")
    default_code = "invalid"


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the current state.")
    default_code = "conflict"


def check_body_size(request) -> None:
    """Refuse a body over 64 KB before parsing it.

    The declared length is checked first, so an oversized body is never read.
    """
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES or len(request.body) > MAX_BODY_BYTES:
        raise PayloadTooLarge


def request_data(request):
    """``request.data``, with a translated message when the JSON is malformed.

    DRF's own message quotes the parser's English error, which says nothing useful
    to a deputy's phone app and is not translated. JSON nested thousands deep (a few
    KB of "[") makes the parser give up with a RecursionError that DRF lets through as
    a 500; it is malformed input like any other.
    """
    try:
        return request.data
    except (ParseError, RecursionError):
        raise ParseError(_("The request body is not valid JSON.")) from None


# --- One error shape -------------------------------------------------------------------


class Error(serializers.Serializer):
    """The body of every error answer (see the module's docstring)."""

    detail = serializers.CharField(help_text=_("One message for people, in their language."))
    code = serializers.CharField(help_text=_("A machine-readable code, e.g. not_found."))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_("Validation errors only: the messages per field."),
    )


def _messages(errors) -> list:
    """Every message (``ErrorDetail``) in a list of them, however nested."""
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in _messages(value)]
    if isinstance(errors, list | tuple):
        return [m for value in errors for m in _messages(value)]
    return [errors]


def _field_errors(errors, prefix: str = "") -> dict[str, list[str]]:
    """DRF's (possibly nested) error dict as ``{"a.b.0.c": ["message", ...]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = api_settings.NON_FIELD_ERRORS_KEY if key == "__all__" else str(key)
            nested = _field_errors(value, f"{prefix}.{name}" if prefix else name)
            for field, messages in nested.items():
                flat.setdefault(field, []).extend(messages)
        return flat
    if isinstance(errors, list | tuple):
        for index, value in enumerate(errors):
            if isinstance(value, dict | list | tuple):
                # The Nth item of a list field (an empty dict is a valid item).
                nested = _field_errors(value, f"{prefix}.{index}" if prefix else str(index))
                for field, messages in nested.items():
                    flat.setdefault(field, []).extend(messages)
            else:
                flat.setdefault(prefix or api_settings.NON_FIELD_ERRORS_KEY, []).append(str(value))
        return flat
    flat[prefix or api_settings.NON_FIELD_ERRORS_KEY] = [str(errors)]
    return flat


def _django_errors(exc: DjangoValidationError):
    """A Django ValidationError (from a model or a service) as DRF's error detail."""
    if hasattr(exc, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field): [
                exceptions.ErrorDetail(str(m), code=error.code or "invalid")
                for error in errors
                for m in error.messages
            ]
            for field, errors in exc.error_dict.items()
        }
    return [
        exceptions.ErrorDetail(str(m), code=error.code or "invalid")
        for error in exc.error_list
        for m in error.messages
    ]


def error_body(exc: APIException) -> dict:
    """The one error shape: ``{"detail", "code"}``, plus ``"errors"`` for invalid input."""
    detail = exc.detail
    if isinstance(detail, str):
        return {"detail": str(detail), "code": getattr(detail, "code", None) or exc.default_code}
    summary = None
    if isinstance(detail, dict) and "detail" in detail:
        # An exception raised with its own summary: {"detail": ..., <fields>...}.
        detail = dict(detail)
        summary = " ".join(str(m) for m in _messages(detail.pop("detail")))
        if isinstance(detail.get("errors"), list):
            # {"detail", "errors": [messages]}: those messages are about no one field.
            detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop("errors")
    errors = _field_errors(detail)
    messages = [str(m) for m in _messages(detail)]
    codes = {getattr(m, "code", None) for m in _messages(detail)}
    if summary is None:
        non_field = errors.get(api_settings.NON_FIELD_ERRORS_KEY, [])
        if len(messages) == 1:
            summary = messages[0]
        elif non_field and len(errors) == 1:
            summary = " ".join(non_field)
        else:
            summary = str(_("Some of the data sent is not valid; see the message for each field."))
    code = exc.default_code
    if isinstance(detail, list) and len(codes) == 1 and None not in codes:
        code = codes.pop()
    body = {"detail": summary, "code": code}
    if errors:
        body["errors"] = errors
    return body


def exception_handler(exc, context):
    """``REST_FRAMEWORK["EXCEPTION_HANDLER"]``: every error of every API view in one shape.

    Django's own exceptions are translated first (a service's ValidationError is a 400
    with the messages per field, ``Http404`` a 404, a body over
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` a 413). Anything else is a bug: it is left to Django,
    which logs it and answers with :func:`server_error` (no traceback leaves the server).
    """
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(_django_errors(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    response = drf_views.exception_handler(exc, context)
    if response is not None:
        response.data = error_body(exc)
    return response


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception):
    """``handler404``: an unknown ``/api/...`` address answers in the API's error shape."""
    if _is_api(request):
        body = {"detail": str(exceptions.NotFound.default_detail), "code": "not_found"}
        return JsonResponse(body, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """``handler500``: a crash under ``/api/`` answers in the API's error shape, no details."""
    if _is_api(request):
        return JsonResponse(
            {"detail": str(_("A server error occurred.")), "code": "server_error"}, status=500
        )
    return defaults.server_error(request)


# --- Pagination and filtering ---------------------------------------------------------


class Pagination(LimitOffsetPagination):
    """``?limit=&offset=``: 50 a page by default (``PAGE_SIZE``), at most 200.

    A page answers ``{"count", "next", "previous", "results"}``. A limit over the most is
    cut to it; an invalid limit or offset falls back to the default (DRF's behaviour).
    """

    max_limit = 200


class OrderingFilter(filters.OrderingFilter):
    """``?ordering=``, only over the fields a view names in ``ordering_fields``.

    DRF's filter would otherwise offer every serializer field, and a field that is not a
    column (a method field, a value from a related row) would crash the query.
    """

    def get_valid_fields(self, queryset, view, context=None):
        if getattr(view, "ordering_fields", None) is None:
            return []
        return super().get_valid_fields(queryset, view, context or {})

    def get_schema_operation_parameters(self, view):
        if getattr(view, "ordering_fields", None) is None:
            return []
        return super().get_schema_operation_parameters(view)


# --- Schema ---------------------------------------------------------------------------

ERROR_DESCRIPTIONS = {
    "400": _("Invalid input: the messages per field are under errors."),
    "401": _("Not signed in: send an API token or a session cookie."),
    "403": _("Signed in, but not allowed to do this."),
    "404": _("Not found, or outside what the caller may see."),
    "409": _("Conflicts with the current state."),
    "413": _("The request body is larger than 64 KB."),
    "415": _("The request body is not JSON."),
    "429": _("Too many requests: wait for the time in Retry-After."),
}


def error_responses(*codes: int) -> dict:
    """``@extend_schema(responses={200: X, **error_responses(403, 409)})``."""
    return {
        code: OpenApiResponse(Error, description=ERROR_DESCRIPTIONS.get(str(code), ""))
        for code in codes
    }


# --- Token sign-in --------------------------------------------------------------------


class TokenRequest(serializers.Serializer):
    """Documents the body of the token sign-in (the view checks it by hand)."""

    username = serializers.CharField(max_length=USERNAME_MAX)
    password = serializers.CharField(style={"input_type": "password"})
    otp = serializers.CharField(
        required=False,
        max_length=16,
        help_text=_("Staff accounts with two-factor sign-in: the app's current code."),
    )


class TokenAnswer(serializers.Serializer):
    token = serializers.CharField()


# Its schema is declared in liaison/api_schema.py: decorating it here with @extend_schema
# would load the schema class, hence DRF's generic views, hence the default filter
# backends from this very module while it is still being imported.


# The password never goes into an error report.
@method_decorator(sensitive_post_parameters(), name="dispatch")
class TokenObtainView(APIView):
    """``POST /api/v1/auth/token/``: exchange a username and password for an API token.

    Body: ``{"username", "password"}`` as JSON or a form. Answers 200 ``{"token"}``,
    the same token on every sign-in (DRF's authtoken: one per account). Wrong
    credentials, an inactive account or a missing field answer 400 ``{"detail"}``
    with one message that does not say which part was wrong. Rate-limited per client
    address (``LIAISON_TOKEN_RATE``): 429 with ``Retry-After``; repeated failures for
    one username lock it on that address (429 ``locked_out``, ``liaison.security``).
    A staff account with two-factor sign-in also sends ``"otp"``, the app's code.

    No authentication runs here, so a browser's session cookie neither helps nor
    triggers a CSRF check.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    renderer_classes = [JSONRenderer]
    throttle_classes = [TokenObtainThrottle]

    def post(self, request):
        check_body_size(request)
        data = request_data(request)
        if not hasattr(data, "get"):
            raise BadRequest(_("Enter the username and the password."))
        username, password = data.get("username"), data.get("password")
        if not (isinstance(username, str) and isinstance(password, str)):
            raise BadRequest(_("Enter the username and the password."))
        username = username.strip()
        if not username or not password:
            raise BadRequest(_("Enter the username and the password."))
        user = None
        # A NUL or a lone surrogate is in no username or password, and would crash the
        # lookup or the password hasher: refused like a wrong one.
        if len(username) <= USERNAME_MAX and storable(username) and storable(password):
            user = authenticate(request._request, username=username, password=password)
        # ModelBackend already refuses inactive accounts; checked again so a backend
        # added later cannot hand a disabled account a token.
        if user is None or not user.is_active:
            raise BadRequest(_("Wrong username or password."), code="authorization")
        # A token must not be a way around the second factor (liaison/twofactor.py).
        refused = twofactor.check_api_sign_in(request._request, user, data.get("otp"))
        if refused is not None:
            raise BadRequest(refused[0], code=refused[1])
        token, _created = Token.objects.get_or_create(user=user)
        response = Response({"token": token.key})
        # A credential: no cache, shared or private, may keep it.
        patch_cache_control(response, private=True, no_store=True)
        return response
