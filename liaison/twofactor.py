"""Two-factor sign-in for staff accounts: a time-based code (TOTP, django-otp) from an
authenticator app, after the password.

- Optional for each staff account: ``/accounts/2fa/`` enrols an app (a QR code and the
  secret for typing in), confirmed by its first code, and hands out ten single-use
  backup codes. Deputies and department handlers have no such page: their accounts are
  not staff, and nothing changes for them.
- Once enrolled, a password sign-in (either sign-in page) leaves the session
  *unverified*: :class:`TwoFactorMiddleware` sends every page to ``/accounts/2fa/verify/``
  (and answers 403 under ``/api/``) until a code is entered. The API token endpoint
  asks enrolled accounts for the code in its body (``"otp"``), so a token is no way
  around the second factor.
- ``LIAISON_REQUIRE_2FA_SUPERUSERS``: superusers must enrol and verify before reaching
  any page; they cannot turn it off.
- A wrong code counts as a failed sign-in for the lockout (``liaison.security``); the
  device itself also makes each further try wait 1, 2, 4, 8 … seconds, and a code is
  never accepted twice. Sign-in pages and the code step share one per-address limit.
- A staff member who lost the phone asks a superuser, who resets the account's
  two-factor sign-in in the admin (System administration → two-factor devices).
"""

import base64

import segno
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, path, resolve, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from liaison import security

# Set at password sign-in for an enrolled account; the session is unverified until a
# code is entered. A flag in the session (not a query per request) keeps every other
# page as fast as before.
PENDING_KEY = "liaison:2fa_pending"
BACKUP_CODES = 10
TOKEN_MAX = 16  # a 6-digit code or an 8-character backup code, with spaces

# Views a signed-in user who still owes the second factor may reach.
_OPEN_WHILE_PENDING = {"twofactor_verify", "logout", "admin:logout", "set_language", "healthz"}


# --- Who must do what ---------------------------------------------------------------


def is_enrolled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def required_for(user) -> bool:
    """Superusers must use it when the setting says so."""
    return bool(settings.LIAISON_REQUIRE_2FA_SUPERUSERS and user.is_superuser)


def pending(request) -> str | None:
    """``"verify"`` or ``"enroll"`` while the signed-in user still owes the second
    factor; None once verified or for accounts without it."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None  # no session, nobody signed in: not even the session is read
    user = request.user
    if not user.is_authenticated or user.is_verified():
        return None
    if not (request.session.get(PENDING_KEY) or required_for(user)):
        return None  # no query for everyone else
    if is_enrolled(user):
        return "verify"
    # Not (or no longer: a superuser reset it) enrolled.
    return "enroll" if required_for(user) else None


@receiver(user_logged_in, dispatch_uid="liaison.twofactor.password_step")
def _password_step(sender, request, user, **kwargs):
    """After the password: enrolled staff owe a code; everyone else is signed in, and
    their earlier failures no longer count towards a lockout."""
    if request is None or not hasattr(request, "session"):
        return
    if user.is_staff and is_enrolled(user):
        request.session[PENDING_KEY] = True
    else:
        security.clear_failures(request, username=user.get_username())


class TwoFactorMiddleware:
    """Holds an unverified session at the code step (after django-otp's OTPMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        state = pending(request)
        if state is None or self._open(request, state):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "detail": _("Enter the code of your second factor on the site first."),
                    "code": "otp_required",
                },
                status=403,
            )
        target = reverse("twofactor_verify" if state == "verify" else "twofactor_setup")
        if request.method in ("GET", "HEAD"):
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)

    @staticmethod
    def _open(request, state: str) -> bool:
        try:
            name = resolve(request.path_info).view_name
        except Resolver404:
            return False
        return name in _OPEN_WHILE_PENDING or (state == "enroll" and name == "twofactor_setup")


# --- Codes ----------------------------------------------------------------------------


def _clean(token: str) -> str:
    return "".join((token or "").split()).lower()[:TOKEN_MAX]


def _wait_message(info: dict) -> str:
    locked_until = info.get("locked_until")
    seconds = int((locked_until - timezone.now()).total_seconds()) + 1 if locked_until else 1
    return ngettext(
        "Too many wrong codes: wait %(seconds)d second before the next try.",
        "Too many wrong codes: wait %(seconds)d seconds before the next try.",
        max(1, seconds),
    ) % {"seconds": max(1, seconds)}


def check_code(user, token: str) -> tuple[object | None, str]:
    """The device that accepts ``token`` (an app's code or a backup code), and if none,
    why: wrong or throttled. Devices are locked while checked, so one code cannot be
    used twice by two requests at once."""
    token = _clean(token)
    if not token:
        return None, _("Enter the code.")
    throttled = None
    with transaction.atomic():
        devices = [
            *TOTPDevice.objects.filter(user=user, confirmed=True).select_for_update(),
            *StaticDevice.objects.filter(user=user, confirmed=True).select_for_update(),
        ]
        for device in devices:
            allowed, info = device.verify_is_allowed()
            if not allowed:
                throttled = info
                continue
            if device.verify_token(token):
                return device, ""
    if throttled is not None:
        return None, _wait_message(throttled)
    return None, _("The code is not correct.")


def _new_backup_codes(user) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name="backup", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def check_api_sign_in(request, user, token) -> tuple[str, str] | None:
    """For the API token endpoint: None if the account may have a token, else the
    message and code of the 400 (a wrong code also counts towards the lockout)."""
    if not user.is_staff:
        return None
    if not is_enrolled(user):
        if required_for(user):
            return _("Turn on two-factor sign-in on the site first."), "otp_setup_required"
        return None
    if not isinstance(token, str) or not _clean(token):
        return _("Enter the code of your second factor as well (otp)."), "otp_required"
    device, error = check_code(user, token)
    if device is None:
        security.record_failure(request, username=user.get_username())
        return error, "otp_invalid"
    security.clear_failures(request, username=user.get_username())
    return None


# --- Pages ----------------------------------------------------------------------------


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("start")


def _staff_only(user) -> None:
    if not user.is_staff:
        raise PermissionDenied


@never_cache
@sensitive_post_parameters("otp_token")
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def verify(request):
    """The code step after the password."""
    state = pending(request)
    if state is None:
        request.session.pop(PENDING_KEY, None)
        return redirect(_next(request))
    if state == "enroll":
        return redirect("twofactor_setup")
    username = request.user.get_username()
    error = ""
    if request.method == "POST":
        if security.is_locked(request, username=username):
            logout(request)
            return security.lockout_response(request)
        device, error = check_code(request.user, request.POST.get("otp_token", ""))
        if device is not None:
            _verified(request, device)
            security.clear_failures(request, username=username)
            if isinstance(device, StaticDevice):
                left = StaticToken.objects.filter(device=device).count()
                messages.warning(
                    request,
                    ngettext(
                        "You signed in with a backup code: %(count)d is left.",
                        "You signed in with a backup code: %(count)d are left.",
                        left,
                    )
                    % {"count": left},
                )
            return redirect(_next(request))
        if security.record_failure(request, username=username):
            # Locked: the half-signed-in session ends; the lockout page follows.
            logout(request)
            return security.lockout_response(request)
    return render(
        request,
        "registration/twofactor_verify.html",
        {"error": error, "next": _next(request)},
    )


def _verified(request, device) -> None:
    """The session passed the second factor: a new session key, as at sign-in, so a key
    seen before the code step is worth nothing after it."""
    request.session.cycle_key()
    otp_login(request, device)
    request.session.pop(PENDING_KEY, None)


def _qr_svg(url: str) -> str:
    # segno writes plain SVG paths: no script, no style attribute (CSP-clean).
    return mark_safe(  # noqa: S308  (our own SVG from a URL we built)
        segno.make(url, error="m").svg_inline(scale=5, border=2, omitsize=False)
    )


def _spaced(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@sensitive_post_parameters("otp_token")
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def setup(request):
    """Enrol an authenticator app, or (when enrolled) its status and the way out."""
    user = request.user
    _staff_only(user)
    if is_enrolled(user):
        left = StaticToken.objects.filter(device__user=user).count()
        return render(
            request,
            "registration/twofactor_setup.html",
            {"enrolled": True, "backup_left": left, "required": required_for(user)},
        )
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by(
        "pk"
    ).first() or TOTPDevice.objects.create(user=user, name="app", confirmed=False)
    error = ""
    if request.method == "POST":
        token = _clean(request.POST.get("otp_token", ""))
        with transaction.atomic():
            device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
            ok = bool(token) and device.verify_is_allowed()[0] and device.verify_token(token)
            if ok:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                TOTPDevice.objects.filter(user=user, confirmed=False).delete()
                codes = _new_backup_codes(user)
        if ok:
            _verified(request, device)
            return render(
                request, "registration/twofactor_codes.html", {"codes": codes, "new": True}
            )
        error = _("The code is not correct. Check the phone's time and try the next code.")
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return render(
        request,
        "registration/twofactor_setup.html",
        {
            "enrolled": False,
            "qr_svg": _qr_svg(device.config_url),
            "secret": _spaced(secret),
            "error": error,
            "required": required_for(user),
        },
    )


@never_cache
@login_required
@require_POST
def backup_codes(request):
    """New backup codes (the old ones stop working), shown once."""
    _staff_only(request.user)
    if not is_enrolled(request.user):
        return redirect("twofactor_setup")
    codes = _new_backup_codes(request.user)
    return render(request, "registration/twofactor_codes.html", {"codes": codes, "new": False})


@never_cache
@login_required
@require_POST
def disable(request):
    """Turn two-factor sign-in off (not for superusers who must use it)."""
    user = request.user
    _staff_only(user)
    if required_for(user):
        raise PermissionDenied
    remove_devices(user)
    request.session.pop(PENDING_KEY, None)
    messages.success(request, _("Two-factor sign-in is off."))
    return redirect("twofactor_setup")


def remove_devices(user) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


urlpatterns = [
    path("", setup, name="twofactor_setup"),
    path("verify/", verify, name="twofactor_verify"),
    path("backup-codes/", backup_codes, name="twofactor_backup_codes"),
    path("disable/", disable, name="twofactor_disable"),
]


# --- Admin ----------------------------------------------------------------------------


class _SuperuserOnly:
    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class TOTPDeviceAdmin(_SuperuserOnly, admin.ModelAdmin):
    """Who has an authenticator app; never its secret. Deleting resets the account."""

    list_display = ["user", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    fields = ["user", "confirmed", "created_at", "last_used_at"]
    readonly_fields = fields
    actions = ["reset_two_factor"]

    @admin.action(description=gettext_lazy("Reset two-factor sign-in of the selected accounts"))
    def reset_two_factor(self, request, queryset):
        users = {device.user for device in queryset.select_related("user")}
        for user in users:
            remove_devices(user)
        self.message_user(
            request,
            ngettext(
                "Two-factor sign-in reset for %(count)d account: it signs in with the "
                "password and can enrol again.",
                "Two-factor sign-in reset for %(count)d accounts: they sign in with the "
                "password and can enrol again.",
                len(users),
            )
            % {"count": len(users)},
        )

    def changelist_view(self, request, extra_context=None):
        # django-otp names the model in English only.
        extra_context = {"title": _("Two-factor devices")} | (extra_context or {})
        return super().changelist_view(request, extra_context)

    def delete_model(self, request, obj):
        remove_devices(obj.user)

    def delete_queryset(self, request, queryset):
        for user in {device.user for device in queryset.select_related("user")}:
            remove_devices(user)


class StaticDeviceAdmin(_SuperuserOnly, admin.ModelAdmin):
    """Who holds backup codes and how many are left; never the codes themselves
    (django-otp's own admin lists them)."""

    list_display = ["user", "codes_left"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    fields = ["user", "codes_left"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(unused=Count("token_set"))

    @admin.display(description=gettext_lazy("unused codes"), ordering="unused")
    def codes_left(self, obj) -> int:
        return obj.unused

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": _("Backup codes")} | (extra_context or {})
        return super().changelist_view(request, extra_context)


def register_admin(site) -> None:
    site.register(TOTPDevice, TOTPDeviceAdmin)
    site.register(StaticDevice, StaticDeviceAdmin)
