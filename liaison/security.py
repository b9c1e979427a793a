"""Abuse limits on the sign-in doors, the lockout after repeated failures, and the
response headers every page carries.

- **Rate limits** (``liaison.ratelimit``'s counters): the public form, tracking and the
  API count in their own views; :class:`RateLimitMiddleware` counts the doors whose views
  are Django's or shared (the two sign-in pages, the second-factor step, the rating
  link). Beyond the limit: the Chinese page ``429.html`` (or the API's JSON error) with
  ``Retry-After``.
- **Lockout** (django-axes): ``AXES_FAILURE_LIMIT`` failed sign-ins for one username
  from one address lock that pair for ``AXES_COOLOFF_TIME``; a correct password is
  refused meanwhile. Unknown usernames lock the same way, so a lockout tells nothing
  about which accounts exist. A superuser lifts a lockout in the admin (System
  administration → locked sign-ins: "Lift the lockout", or delete the row).
- **Headers**: CSP (django-csp, ``CONTENT_SECURITY_POLICY`` in settings), Django's own
  X-Frame-Options, Referrer-Policy, nosniff, HSTS behind TLS, and Permissions-Policy
  from :class:`PermissionsPolicyMiddleware`.
"""

import datetime as dt
import logging

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from liaison import ratelimit

logger = logging.getLogger(__name__)

# --- Rate limits on doors whose views are not ours -------------------------------------

# view name → (counter, setting with the rate). Only POSTs count: showing a form costs
# an attacker nothing and tells nothing. Both sign-in pages and the second-factor step
# share one counter per address, so a guesser cannot spread over the doors.
LIMITED_POSTS = {
    "login": ("login", "LIAISON_LOGIN_RATE"),
    "admin:login": ("login", "LIAISON_LOGIN_RATE"),
    "twofactor_verify": ("login", "LIAISON_LOGIN_RATE"),
    "suggestions:rate": ("public-rate", "LIAISON_RATING_RATE"),
}


def too_many_requests(request, wait: int):
    """The 429 answer: the API's JSON error under ``/api/``, else the Chinese page."""
    wait = max(1, int(wait))
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {
                "detail": str(_("Too many requests: wait for the time in Retry-After.")),
                "code": "throttled",
            },
            status=429,
        )
    else:
        retry_at = timezone.localtime() + dt.timedelta(seconds=wait)
        context = {
            "retry_at": retry_at,
            "retry_same_day": retry_at.date() == timezone.localdate(),
        }
        response = render(request, "429.html", context, status=429)
    response["Retry-After"] = str(wait)
    add_never_cache_headers(response)
    return response


class RateLimitMiddleware:
    """Counts the POSTs of the views in :data:`LIMITED_POSTS` per client address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.resolver_match is None:
            return None
        limited = LIMITED_POSTS.get(request.resolver_match.view_name)
        if limited is None:
            return None
        scope, setting = limited
        rate = getattr(settings, setting, "") or ""
        if ratelimit.hit(scope=scope, key=ratelimit.client_key(request), rate=rate):
            return None
        return too_many_requests(request, ratelimit.retry_after(rate))


# --- Lockout (django-axes) ---------------------------------------------------------------


def axes_username(request, credentials=None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: the username tried, cut to the longest a username
    can be (150). axes keeps it in a 255-character column, and Django's sign-in form
    does not limit its length: a longer one was a 500 instead of a failed sign-in."""
    if credentials:
        name = credentials.get("username")
    else:
        name = getattr(request, "data", request.POST).get("username")
    return name[:150] if isinstance(name, str) else name


def axes_client_ip(request) -> str | None:
    """``AXES_CLIENT_IP_CALLABLE``: the address the rate limits count (``REMOTE_ADDR``,
    or the nearest proxy's view with ``NUM_PROXIES``). Axes' default reads the left-most
    ``X-Forwarded-For``, which any client can write: a new lock for every request."""
    return ratelimit.client_ip(request) or None


class LockoutBackend(AxesStandaloneBackend):
    """Refuses any sign-in of a locked username and address, the correct password too.

    Axes' backend raises when ``authenticate()`` is called without a request. Every door
    of the site passes one (both sign-in forms, the API token view); a call without one
    comes from code on the server (a shell, Django's test client), has no address to
    lock, and is let through to the next backend.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def cool_off_seconds(request=None) -> int:
    cool_off = get_cool_off(request)
    return int(cool_off.total_seconds()) if cool_off else 0


def lockout_response(request, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: 429 with ``Retry-After``; a page, or JSON under /api/.

    Every failure during a lockout starts the cool-off again
    (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT``), so the wait is always the whole
    cool-off from now.
    """
    wait = max(1, cool_off_seconds(request))
    minutes = max(1, round(wait / 60))
    if request.path.startswith("/api/"):
        message = ngettext(
            "Too many failed sign-ins: this account is locked on this connection for "
            "%(minutes)d minute. An administrator can lift the lock.",
            "Too many failed sign-ins: this account is locked on this connection for "
            "%(minutes)d minutes. An administrator can lift the lock.",
            minutes,
        ) % {"minutes": minutes}
        response = JsonResponse({"detail": message, "code": "locked_out"}, status=429)
    else:
        retry_at = timezone.localtime() + dt.timedelta(seconds=wait)
        context = {
            "retry_at": retry_at,
            "retry_same_day": retry_at.date() == timezone.localdate(),
            "minutes": minutes,
        }
        response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(wait)
    add_never_cache_headers(response)
    return response


def record_failure(request, *, username: str) -> bool:
    """Count a failed step of a sign-in that Django's ``authenticate`` does not see (a
    wrong second-factor code) as a failed sign-in; True if the pair is now locked."""
    from django.contrib.auth.signals import user_login_failed

    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
    return bool(getattr(request, "axes_locked_out", False))


def is_locked(request, *, username: str) -> bool:
    return AxesProxyHandler.is_locked(request, {"username": username})


def clear_failures(request, *, username: str) -> None:
    """A sign-in completed: the earlier failures of this username here no longer count."""
    AxesProxyHandler.reset_attempts(ip_address=axes_client_ip(request) or None, username=username)


class AccessAttemptAdmin(admin.ModelAdmin):
    """Failed sign-ins by username and address; a locked pair shows "locked"."""

    list_display = ["username", "ip_address", "failures_since_start", "locked", "attempt_time"]
    list_filter = ["attempt_time"]
    search_fields = ["username", "ip_address"]
    ordering = ["-attempt_time"]
    fields = [
        "username",
        "ip_address",
        "failures_since_start",
        "attempt_time",
        "path_info",
        "user_agent",
    ]
    readonly_fields = fields
    actions = ["lift_lockout"]

    @admin.display(description=_("locked"), boolean=True)
    def locked(self, obj) -> bool:
        cool_off = get_cool_off()
        current = cool_off is None or obj.attempt_time > timezone.now() - cool_off
        return current and obj.failures_since_start >= settings.AXES_FAILURE_LIMIT

    @admin.action(description=_("Lift the lockout of the selected sign-ins"))
    def lift_lockout(self, request, queryset):
        count, _deleted = queryset.delete()
        self.message_user(
            request,
            ngettext(
                "%(count)d lockout lifted: the account can sign in again.",
                "%(count)d lockouts lifted: the accounts can sign in again.",
                count,
            )
            % {"count": count},
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    # Only superusers: who failed to sign in from where is for the site's administrators.
    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser


def register_admin(site) -> None:
    site.register(AccessAttempt, AccessAttemptAdmin)


# The names of django-axes' model and fields, for the admin's pages (its package has no
# Chinese translation): written here so `make messages` keeps them in our catalogue.
THIRD_PARTY_MSGIDS = [
    _("access attempt"),
    _("access attempts"),
    _("Username"),
    _("IP Address"),
    _("Failed Logins"),
    _("Attempt Time"),
    _("Path"),
    _("User Agent"),
]


# --- Headers ------------------------------------------------------------------------------


class PermissionsPolicyMiddleware:
    """``Permissions-Policy`` (``LIAISON_PERMISSIONS_POLICY``): no page of the site uses
    the camera API, the microphone, location or payments, so no script may ask for them.
    (A photo input opens the phone's camera app without the camera API.)"""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "LIAISON_PERMISSIONS_POLICY", "")

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Permissions-Policy", self.policy)
        return response
