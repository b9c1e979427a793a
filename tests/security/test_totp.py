"""Two-factor sign-in for staff (``liaison.twofactor``): enrolment with an authenticator
app, the code step after the password, backup codes, the lockout on wrong codes, the
API token, superusers forced by ``LIAISON_REQUIRE_2FA_SUPERUSERS``, deputies untouched.

Codes are computed from the device's key with django-otp's own TOTP at the current time,
as the phone would.
"""

import datetime as dt
import json

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_otp.middleware import OTPMiddleware
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from liaison import twofactor

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
SETUP = reverse("twofactor_setup")
VERIFY = reverse("twofactor_verify")


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()


def code_of(device: TOTPDevice) -> str:
    """The code the phone shows now."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    right = int(code_of(device))
    return f"{(right + 1) % 1_000_000:06d}"


def enrol(user) -> TOTPDevice:
    """An enrolled account, as the setup page leaves it (with backup codes)."""
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    twofactor._new_backup_codes(user)
    return device


def password_sign_in(client, username, url=None):
    return client.post(url or reverse("login"), {"username": username, "password": PASSWORD})


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def later(seconds: int):
    """Past django-otp's wait after a wrong code (1, 2, 4 … seconds)."""
    return time_machine.travel(timezone.now() + dt.timedelta(seconds=seconds), tick=True)


# --- Enrolment ------------------------------------------------------------------------------


def test_a_clerk_enrols_with_the_qr_code_and_gets_backup_codes(client, county_clerk):
    client.force_login(county_clerk)
    page = client.get(SETUP)
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body  # the QR code, inline (segno)
    device = TOTPDevice.objects.get(user=county_clerk)
    assert not device.confirmed
    # The key for typing in, as the app shows it: base32 in groups of four.
    assert page.context["secret"].replace(" ", "") in device.config_url
    assert "otpauth://totp/" in device.config_url

    response = client.post(SETUP, {"otp_token": code_of(device)})
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    device.refresh_from_db()
    assert device.confirmed
    backup = StaticDevice.objects.get(user=county_clerk)
    assert sorted(t.token for t in backup.token_set.all()) == sorted(codes)
    # Verified in this session: the admin opens at once.
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_wrong_code_does_not_enrol(client, county_clerk):
    client.force_login(county_clerk)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=county_clerk)
    response = client.post(SETUP, {"otp_token": wrong_code(device)})
    assert response.status_code == 200
    assert response.context["error"]
    device.refresh_from_db()
    assert not device.confirmed
    assert not StaticDevice.objects.exists()


def test_reloading_the_setup_page_keeps_one_pending_key(client, county_clerk):
    client.force_login(county_clerk)
    first = client.get(SETUP).context["secret"]
    second = client.get(SETUP).context["secret"]
    assert first == second
    assert TOTPDevice.objects.filter(user=county_clerk).count() == 1


@pytest.mark.parametrize("who", ["deputy_user", "department_user"])
def test_deputies_and_handlers_have_no_two_factor_page(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(SETUP).status_code == 403
    assert not TOTPDevice.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(SETUP)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- The code step ----------------------------------------------------------------------------


def test_an_enrolled_clerk_must_enter_a_code_after_the_password(client, county_clerk):
    device = enrol(county_clerk)
    response = password_sign_in(client, "alice", reverse("admin:login"))
    assert response.status_code == 302
    assert signed_in(client)
    admin = client.get(reverse("admin:index"))
    assert admin.status_code == 302
    assert admin["Location"].startswith(VERIFY)
    # Nothing else either, the API with the session included.
    assert client.get(reverse("admin:suggestions_suggestion_changelist")).status_code == 302
    api = client.get(reverse("suggestions:api_staff_list"))
    assert api.status_code == 403
    assert json.loads(api.content)["code"] == "otp_required"

    half_signed_in = client.session.session_key
    response = client.post(VERIFY, {"otp_token": code_of(device), "next": "/admin/"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get(reverse("admin:index")).status_code == 200
    # A session key seen before the code step is worth nothing after it.
    assert client.session.session_key != half_signed_in


def test_the_code_step_sends_nowhere_but_this_site(client, county_clerk):
    device = enrol(county_clerk)
    password_sign_in(client, "alice")
    response = client.post(VERIFY, {"otp_token": code_of(device), "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("start")


def test_a_wrong_code_is_refused_and_the_door_stays_shut(client, county_clerk):
    device = enrol(county_clerk)
    password_sign_in(client, "alice")
    response = client.post(VERIFY, {"otp_token": wrong_code(device)})
    assert response.status_code == 200
    assert response.context["error"]
    assert client.get(reverse("admin:index")).status_code == 302


def test_after_a_wrong_code_the_device_makes_the_next_try_wait(client, county_clerk):
    device = enrol(county_clerk)
    password_sign_in(client, "alice")
    client.post(VERIFY, {"otp_token": wrong_code(device)})
    # At once, even the right code is refused: django-otp's backoff (1, 2, 4 … s).
    hurried = client.post(VERIFY, {"otp_token": code_of(device)})
    assert hurried.status_code == 200 and hurried.context["error"]
    with later(3):
        response = client.post(VERIFY, {"otp_token": code_of(device)})
        assert response.status_code == 302
        assert client.get(reverse("admin:index")).status_code == 200


def test_a_code_is_never_accepted_twice(client, county_clerk):
    device = enrol(county_clerk)
    code = code_of(device)
    password_sign_in(client, "alice")
    assert client.post(VERIFY, {"otp_token": code}).status_code == 302
    thief = type(client)()
    password_sign_in(thief, "alice")
    replay = thief.post(VERIFY, {"otp_token": code})
    assert replay.status_code == 200 and replay.context["error"]
    assert thief.get(reverse("admin:index")).status_code == 302


def test_five_wrong_codes_lock_the_account_and_end_the_session(client, county_clerk):
    device = enrol(county_clerk)
    password_sign_in(client, "alice")
    for attempt in range(5):
        # Past the device's backoff, so each try is really checked.
        with later(60 * (attempt + 1)):
            response = client.post(VERIFY, {"otp_token": wrong_code(device)})
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 30 * 60
    assert not signed_in(client)
    # The password alone gets no further while the lock holds.
    assert password_sign_in(client, "alice").status_code == 429


def test_a_password_sign_in_does_not_reset_the_count_of_wrong_codes(client, county_clerk):
    """Else each fresh password would buy four more guesses at the code."""
    device = enrol(county_clerk)
    for round_ in range(2):
        password_sign_in(client, "alice")
        for attempt in range(2):
            with later(600 * round_ + 60 * (attempt + 1)):
                client.post(VERIFY, {"otp_token": wrong_code(device)})
        client.post(reverse("logout"))
    password_sign_in(client, "alice")
    with later(1800 - 60):
        assert client.post(VERIFY, {"otp_token": wrong_code(device)}).status_code == 429


def test_the_code_step_shares_the_sign_in_rate_limit(client, county_clerk, settings):
    device = enrol(county_clerk)
    settings.LIAISON_LOGIN_RATE = "2/h"
    password_sign_in(client, "alice")
    client.post(VERIFY, {"otp_token": wrong_code(device)})
    response = client.post(VERIFY, {"otp_token": code_of(device)})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_a_backup_code_works_once(client, county_clerk):
    enrol(county_clerk)
    code = StaticToken.objects.filter(device__user=county_clerk).first().token
    password_sign_in(client, "alice")
    assert client.post(VERIFY, {"otp_token": code}).status_code == 302
    assert StaticToken.objects.filter(device__user=county_clerk).count() == 9
    client.post(reverse("logout"))
    password_sign_in(client, "alice")
    again = client.post(VERIFY, {"otp_token": code})
    assert again.status_code == 200 and again.context["error"]


def test_sign_out_is_open_at_the_code_step(client, county_clerk):
    enrol(county_clerk)
    password_sign_in(client, "alice")
    client.post(reverse("logout"))
    assert not signed_in(client)


# --- Deputies, handlers and staff without it ---------------------------------------------------


@pytest.mark.parametrize(
    ("who", "username", "lands"),
    [
        ("deputy_user", "dora", "suggestions:deputy_home"),
        ("department_user", "dan", "suggestions:workspace"),
        ("township_clerk", "tina", "admin:index"),
    ],
)
def test_accounts_without_it_sign_in_with_the_password_alone(client, request, who, username, lands):
    request.getfixturevalue(who)
    response = password_sign_in(client, username)
    assert response.status_code == 302
    start = client.get(response["Location"])
    assert start.status_code == 302
    assert start["Location"] == reverse(lands)
    assert not start["Location"].startswith(VERIFY)


def test_without_an_enrolment_the_middleware_costs_no_query(deputy_user, django_assert_num_queries):
    request = RequestFactory().get("/deputy/")
    request.COOKIES[django_settings.SESSION_COOKIE_NAME] = "a-session"
    request.user = deputy_user
    request.session = {}
    OTPMiddleware(lambda r: r)(request)  # installs user.is_verified(), lazily
    with django_assert_num_queries(0):
        response = twofactor.TwoFactorMiddleware(lambda r: HttpResponse("ok"))(request)
    assert response.status_code == 200


# --- Superusers ---------------------------------------------------------------------------------


def test_superusers_are_free_while_the_setting_is_off(client, admin_user):
    password_sign_in(client, "root", reverse("admin:login"))
    assert client.get(reverse("admin:index")).status_code == 200


def test_superusers_must_enrol_when_the_setting_is_on(client, admin_user, settings):
    settings.LIAISON_REQUIRE_2FA_SUPERUSERS = True
    password_sign_in(client, "root", reverse("admin:login"))
    admin = client.get(reverse("admin:index"))
    assert admin.status_code == 302
    assert admin["Location"].startswith(SETUP)
    assert client.get(reverse("inbox")).status_code == 302
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=admin_user)
    assert client.post(SETUP, {"otp_token": code_of(device)}).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200


def test_an_enrolled_superuser_must_verify_and_cannot_turn_it_off(client, admin_user, settings):
    settings.LIAISON_REQUIRE_2FA_SUPERUSERS = True
    device = enrol(admin_user)
    password_sign_in(client, "root", reverse("admin:login"))
    assert client.get(reverse("admin:index"))["Location"].startswith(VERIFY)
    # The setup page is no way around the code step once enrolled.
    assert client.get(SETUP)["Location"].startswith(VERIFY)
    client.post(VERIFY, {"otp_token": code_of(device)})
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.post(reverse("twofactor_disable")).status_code == 403
    assert TOTPDevice.objects.filter(user=admin_user).exists()


def test_a_clerk_may_turn_it_off(client, county_clerk):
    device = enrol(county_clerk)
    password_sign_in(client, "alice")
    client.post(VERIFY, {"otp_token": code_of(device)})
    assert client.post(reverse("twofactor_disable")).status_code == 302
    assert not TOTPDevice.objects.exists() and not StaticDevice.objects.exists()
    client.post(reverse("logout"))
    password_sign_in(client, "alice")
    assert client.get(reverse("admin:index")).status_code == 200


# --- The API token ------------------------------------------------------------------------------


def token(client, username, otp=None):
    body = {"username": username, "password": PASSWORD}
    if otp is not None:
        body["otp"] = otp
    return client.post(reverse("api_token"), body, content_type="application/json")


def test_an_enrolled_clerk_needs_the_code_for_a_token(client, county_clerk):
    device = enrol(county_clerk)
    missing = token(client, "alice")
    assert missing.status_code == 400
    assert json.loads(missing.content)["code"] == "otp_required"
    wrong = token(client, "alice", wrong_code(device))
    assert wrong.status_code == 400
    assert json.loads(wrong.content)["code"] == "otp_invalid"
    assert not Token.objects.exists()
    with later(3):
        right = token(client, "alice", code_of(device))
    assert right.status_code == 200
    assert json.loads(right.content)["token"] == Token.objects.get(user=county_clerk).key


def test_wrong_codes_at_the_token_endpoint_lock_too(client, county_clerk):
    device = enrol(county_clerk)
    for attempt in range(5):
        with later(60 * (attempt + 1)):
            response = token(client, "alice", wrong_code(device))
    assert response.status_code == 429
    assert json.loads(response.content)["code"] == "locked_out"


def test_a_superuser_who_must_enrol_gets_no_token_before(client, admin_user, settings):
    settings.LIAISON_REQUIRE_2FA_SUPERUSERS = True
    response = token(client, "root")
    assert response.status_code == 400
    assert json.loads(response.content)["code"] == "otp_setup_required"


def test_a_deputy_gets_a_token_with_the_password_alone(client, deputy_user):
    assert token(client, "dora").status_code == 200


# --- The admin --------------------------------------------------------------------------------


def test_a_superuser_resets_a_clerks_two_factor_sign_in(client, county_clerk, admin_user):
    device = enrol(county_clerk)
    client.force_login(admin_user)
    changelist = client.get(reverse("admin:otp_totp_totpdevice_changelist"))
    assert changelist.status_code == 200
    assert device.key not in changelist.content.decode()  # never the secret
    response = client.post(
        reverse("admin:otp_totp_totpdevice_changelist"),
        {"action": "reset_two_factor", "_selected_action": [device.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.exists() and not StaticDevice.objects.exists()
    clerk = type(client)()
    password_sign_in(clerk, "alice")
    assert clerk.get(reverse("admin:index")).status_code == 200


def test_the_backup_codes_list_shows_counts_not_codes(client, county_clerk, admin_user):
    enrol(county_clerk)
    codes = list(StaticToken.objects.values_list("token", flat=True))
    client.force_login(admin_user)
    page = client.get(reverse("admin:otp_static_staticdevice_changelist")).content.decode()
    assert "alice" in page
    assert not any(code in page for code in codes)


@pytest.mark.parametrize("who", ["county_clerk", "other_county_clerk", "township_clerk"])
def test_clerks_cannot_open_the_device_lists(client, request, who):
    client.force_login(request.getfixturevalue(who))
    for name in ("otp_totp_totpdevice", "otp_static_staticdevice"):
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 403
