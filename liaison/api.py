"""API pieces of the core: token sign-in (``POST /api/v1/auth/token/``) and what every
API of the project shares — a per-address rate limit on ``liaison.ratelimit`` counters,
the 64 KB body cap, and error bodies shaped as DRF shapes them (``{"detail": ...}``).

The apps' APIs (suggestions, votes) import these rather than keep copies.
"""

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from liaison import ratelimit

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


# --- Token sign-in --------------------------------------------------------------------


# The password never goes into an error report.
@method_decorator(sensitive_post_parameters(), name="dispatch")
class TokenObtainView(APIView):
    """``POST /api/v1/auth/token/``: exchange a username and password for an API token.

    Body: ``{"username", "password"}`` as JSON or a form. Answers 200 ``{"token"}``,
    the same token on every sign-in (DRF's authtoken: one per account). Wrong
    credentials, an inactive account or a missing field answer 400 ``{"detail"}``
    with one message that does not say which part was wrong. Rate-limited per client
    address (``LIAISON_TOKEN_RATE``): 429 with ``Retry-After``.

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
        if len(username) <= USERNAME_MAX:
            user = authenticate(request._request, username=username, password=password)
        # ModelBackend already refuses inactive accounts; checked again so a backend
        # added later cannot hand a disabled account a token.
        if user is None or not user.is_active:
            raise BadRequest(_("Wrong username or password."), code="authorization")
        token, _created = Token.objects.get_or_create(user=user)
        response = Response({"token": token.key})
        # A credential: no cache, shared or private, may keep it.
        patch_cache_control(response, private=True, no_store=True)
        return response
