"""Lockout after repeated failed sign-ins (django-axes, ``liaison.security``).

Five failures for one username from one address lock that pair for the cool-off (30
minutes): the right password is refused too, on both sign-in pages and the API token
endpoint, with a Chinese page (or the API's JSON) and ``Retry-After``. A superuser lifts
it in the admin; the cool-off lifts it by itself.
"""

import datetime as dt
import json

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
LOGIN = reverse("login")
ADMIN_LOGIN = reverse("admin:login")
TOKEN = reverse("api_token")


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def sign_in(client, username, password, url=LOGIN, **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def fail(client, username, times, url=LOGIN, **extra):
    for _ in range(times):
        response = sign_in(client, username, "wrong", url, **extra)
    return response


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- Locking ---------------------------------------------------------------------------


def test_four_failures_do_not_lock(client, deputy_user):
    assert fail(client, "dora", 4).status_code == 200
    assert sign_in(client, "dora", PASSWORD).status_code == 302
    assert signed_in(client)


def test_the_fifth_failure_locks_with_a_chinese_page_and_retry_after(client, deputy_user, settings):
    response = fail(client, "dora", 5)
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 30 * 60
    page = response.content.decode()
    assert zh("Sign-in locked") in page
    assert has_chinese(zh("Sign-in locked"))
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    assert AccessAttempt.objects.get(username="dora").failures_since_start == 5


def test_a_locked_account_is_refused_with_the_right_password(client, deputy_user):
    fail(client, "dora", 5)
    response = sign_in(client, "dora", PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)


def test_the_lock_holds_on_the_admin_sign_in_page_too(client, county_clerk):
    fail(client, "alice", 5, url=ADMIN_LOGIN)
    response = sign_in(client, "alice", PASSWORD, url=ADMIN_LOGIN)
    assert response.status_code == 429
    assert not signed_in(client)
    # One lock per username and address, whichever page it came from.
    assert sign_in(client, "alice", PASSWORD).status_code == 429


def test_the_lock_is_per_username_and_address(client, deputy_user, county_clerk):
    fail(client, "dora", 5)
    # Another account from the same address signs in.
    assert sign_in(client, "alice", PASSWORD).status_code == 302
    # The same account from another address signs in.
    elsewhere = type(client)(REMOTE_ADDR="10.20.30.40")
    assert sign_in(elsewhere, "dora", PASSWORD).status_code == 302


def test_an_unknown_username_locks_like_a_real_one(client, deputy_user):
    """The lockout says nothing about which accounts exist."""
    real = fail(client, "dora", 5)
    made_up = fail(client, "nobody-here", 5)
    assert real.status_code == made_up.status_code == 429
    assert real["Retry-After"] == made_up["Retry-After"]


def test_a_forged_forwarded_for_header_does_not_dodge_the_lock(client, deputy_user):
    for n in range(5):
        sign_in(client, "dora", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert sign_in(client, "dora", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429


def test_a_completed_sign_in_clears_earlier_failures(client, deputy_user):
    fail(client, "dora", 4)
    assert sign_in(client, "dora", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    assert fail(client, "dora", 4).status_code == 200
    assert sign_in(client, "dora", PASSWORD).status_code == 302


def test_the_cool_off_lifts_the_lock_by_itself(client, deputy_user):
    fail(client, "dora", 5)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=31)):
        assert sign_in(client, "dora", PASSWORD).status_code == 302
        assert signed_in(client)


def test_any_try_during_the_lock_starts_the_cool_off_again(client, deputy_user):
    """So Retry-After is always the whole cool-off from the refused request."""
    start = timezone.now()
    fail(client, "dora", 5)
    with time_machine.travel(start + dt.timedelta(minutes=20)):
        assert fail(client, "dora", 1).status_code == 429
    # 40 minutes after the fifth failure, but 20 after the last try: still locked,
    # and this try (with the right password) counts as one more.
    with time_machine.travel(start + dt.timedelta(minutes=40)):
        assert sign_in(client, "dora", PASSWORD).status_code == 429
    with time_machine.travel(start + dt.timedelta(minutes=71)):
        assert sign_in(client, "dora", PASSWORD).status_code == 302


def test_the_limit_and_cool_off_are_settings(client, deputy_user, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=5)
    response = fail(client, "dora", 2)
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 300


# --- The API token endpoint ------------------------------------------------------------------


def token(client, username, password):
    body = {"username": username, "password": password}
    return client.post(TOKEN, body, content_type="application/json")


def test_the_token_endpoint_locks_with_json_in_chinese(client, deputy_user):
    for _ in range(4):
        assert token(client, "dora", "wrong").status_code == 400
    response = token(client, "dora", "wrong")
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 30 * 60
    body = json.loads(response.content)
    assert body["code"] == "locked_out"
    assert has_chinese(body["detail"]), body
    refused = token(client, "dora", PASSWORD)
    assert refused.status_code == 429
    assert not Token.objects.exists()


def test_failures_on_the_page_and_the_api_add_up(client, deputy_user):
    fail(client, "dora", 3)
    token(client, "dora", "wrong")
    assert token(client, "dora", "wrong").status_code == 429
    assert sign_in(client, "dora", PASSWORD).status_code == 429


# --- Lifting a lock ------------------------------------------------------------------------


def test_a_superuser_sees_locked_sign_ins_in_the_admin(client, deputy_user, admin_user):
    fail(type(client)(), "dora", 5)
    client.force_login(admin_user)
    response = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "dora" in page
    # Translated: the model's name comes from our catalogue (the package has no Chinese).
    assert zh("access attempts") != "access attempts"
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:axes_accessattempt_changelist") in index


def test_a_superuser_lifts_the_lock_and_the_account_signs_in(client, deputy_user, admin_user):
    fail(client, "dora", 5)
    attempt = AccessAttempt.objects.get(username="dora")
    office = type(client)()
    office.force_login(admin_user)
    response = office.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "lift_lockout", "_selected_action": [attempt.pk]},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert sign_in(client, "dora", PASSWORD).status_code == 302
    assert signed_in(client)


def test_deleting_the_row_in_the_admin_lifts_the_lock(client, deputy_user, admin_user):
    fail(client, "dora", 5)
    attempt = AccessAttempt.objects.get(username="dora")
    office = type(client)()
    office.force_login(admin_user)
    url = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert office.post(url, {"post": "yes"}).status_code == 302
    assert sign_in(client, "dora", PASSWORD).status_code == 302


def test_the_axes_reset_command_lifts_the_lock(client, deputy_user):
    fail(client, "dora", 5)
    call_command("axes_reset_username", "dora", verbosity=0)
    assert sign_in(client, "dora", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "who",
    ["county_clerk", "other_county_clerk", "township_clerk", "deputy_user", "department_user"],
)
def test_only_superusers_see_the_lockouts(client, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert response.status_code in (302, 403)
    assert "dora" not in response.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(ADMIN_LOGIN)


# --- Code on the server ----------------------------------------------------------------------


def test_authenticating_without_a_request_still_works(client, deputy_user):
    """Django's test client and shell scripts call authenticate() without a request; the
    lockout backend lets them through (there is no address to lock)."""
    assert client.login(username="dora", password=PASSWORD)
