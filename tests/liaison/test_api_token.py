"""Token sign-in for the API: ``POST /api/v1/auth/token/``."""

import json

import pytest
from django.urls import reverse
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

TOKEN = reverse("api_token")
PASSWORD = "correct horse battery"

pytestmark = pytest.mark.django_db


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def zh(msgid: str) -> str:
    """The message as a Chinese visitor reads it (the site's default language)."""
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def api():
    # As a real browser would: a CSRF check must not stand in the way of signing in.
    return APIClient(enforce_csrf_checks=True)


def test_a_deputy_gets_a_token_for_a_json_username_and_password(api, deputy_user):
    response = api.post(TOKEN, {"username": "dora", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=deputy_user).key}
    assert "no-store" in response["Cache-Control"]


def test_a_form_body_works_as_well(api, deputy_user):
    response = api.post(TOKEN, {"username": "dora", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["token"] == Token.objects.get(user=deputy_user).key


def test_signing_in_twice_gives_the_same_token(api, deputy_user):
    first = api.post(TOKEN, {"username": "dora", "password": PASSWORD}, format="json")
    second = api.post(TOKEN, {"username": "dora", "password": PASSWORD}, format="json")
    assert first.json()["token"] == second.json()["token"]
    assert Token.objects.count() == 1


def test_the_token_authenticates_api_requests(api, deputy_user):
    key = api.post(TOKEN, {"username": "dora", "password": PASSWORD}, format="json").json()
    client = APIClient()
    assert client.get(reverse("votes_api:ballots")).status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {key['token']}")
    # Authenticated now: dora has no deputy record, so the answer is 403, not 401.
    assert client.get(reverse("votes_api:ballots")).status_code == 403


def test_a_wrong_password_is_a_400_with_a_translated_message(api, deputy_user):
    response = api.post(TOKEN, {"username": "dora", "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": zh("Wrong username or password."), "code": "authorization"}
    assert not Token.objects.exists()


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(api, deputy_user):
    wrong_password = api.post(TOKEN, {"username": "dora", "password": "wrong"}, format="json")
    unknown_user = api.post(TOKEN, {"username": "nobody", "password": PASSWORD}, format="json")
    assert unknown_user.status_code == 400
    assert unknown_user.json() == wrong_password.json()


def test_the_message_follows_the_chosen_language(api, deputy_user, settings):
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = api.post(TOKEN, {"username": "dora", "password": "wrong"}, format="json")
    assert response.json() == {"detail": "Wrong username or password.", "code": "authorization"}


def test_an_inactive_account_gets_no_token(api, deputy_user):
    deputy_user.is_active = False
    deputy_user.save()
    response = api.post(TOKEN, {"username": "dora", "password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": zh("Wrong username or password."), "code": "authorization"}
    assert not Token.objects.exists()


def test_an_inactive_accounts_existing_token_no_longer_works(api, deputy_user):
    key = Token.objects.create(user=deputy_user).key
    deputy_user.is_active = False
    deputy_user.save()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.get(reverse("votes_api:ballots"))
    assert response.status_code == 401
    assert has_chinese(response.json()["detail"])


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"username": "dora"},
        {"password": PASSWORD},
        {"username": "", "password": PASSWORD},
        {"username": "   ", "password": PASSWORD},
        {"username": "dora", "password": ""},
        {"username": ["dora"], "password": PASSWORD},
        {"username": "dora", "password": 12345},
        {"username": None, "password": None},
    ],
)
def test_a_missing_or_malformed_field_is_a_400(api, deputy_user, body):
    response = api.post(TOKEN, body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": zh("Enter the username and the password."),
        "code": "invalid",
    }
    assert not Token.objects.exists()


@pytest.mark.parametrize("body", ["[]", '"dora"', "null", "42"])
def test_a_body_that_is_not_an_object_is_a_400(api, body):
    response = api.post(TOKEN, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": zh("Enter the username and the password."),
        "code": "invalid",
    }


def test_malformed_json_is_a_400_with_a_translated_message(api):
    response = api.post(TOKEN, data='{"username": "dora', content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": zh("The request body is not valid JSON."),
        "code": "parse_error",
    }


@pytest.mark.parametrize(
    "username",
    [
        "dora' OR '1'='1",
        "dora'; DROP TABLE authtoken_token;--",
        "<script>alert(1)</script>",
        "d" * 10_000,
    ],
)
def test_sql_looking_script_and_overlong_usernames_are_just_wrong(api, deputy_user, username):
    response = api.post(TOKEN, {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": zh("Wrong username or password."), "code": "authorization"}
    assert not Token.objects.exists()


def test_json_nested_thousands_deep_is_malformed_not_a_server_error(api):
    response = api.post(TOKEN, data="[" * 30_000, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": zh("The request body is not valid JSON."),
        "code": "parse_error",
    }


def test_an_oversized_body_is_refused(api, deputy_user):
    body = json.dumps({"username": "dora", "password": PASSWORD, "padding": "x" * 65 * 1024})
    response = api.post(TOKEN, data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {
        "detail": zh("The request body is larger than 64 KB."),
        "code": "payload_too_large",
    }
    assert not Token.objects.exists()


def test_a_declared_oversized_body_is_refused_without_reading_it(api):
    response = api.post(TOKEN, data="{}", content_type="application/json", CONTENT_LENGTH="3000000")
    assert response.status_code == 413


def test_a_session_cookie_without_csrf_token_does_not_block_signing_in(api, deputy_user):
    # Sign-in takes no authentication, so a browser's stale session is not a CSRF case.
    api.force_login(deputy_user)
    response = api.post(TOKEN, {"username": "dora", "password": PASSWORD}, format="json")
    assert response.status_code == 200


def test_get_is_not_allowed(api):
    assert api.get(TOKEN).status_code == 405


# --- Rate limit ------------------------------------------------------------------------


def test_signing_in_is_rate_limited_per_address_with_retry_after(api, deputy_user, settings):
    settings.LIAISON_TOKEN_RATE = "3/h"
    assert api.post(TOKEN, {"username": "dora", "password": "a"}, format="json").status_code == 400
    assert api.post(TOKEN, {"username": "dora", "password": "b"}, format="json").status_code == 400
    assert (
        api.post(TOKEN, {"username": "dora", "password": PASSWORD}, format="json").status_code
        == 200
    )
    # The fourth try is refused, the right password too: every attempt counts.
    response = api.post(TOKEN, {"username": "dora", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert has_chinese(response.json()["detail"])
    assert int(response["Retry-After"]) > 0
    # Another address has its own allowance.
    other = api.post(
        TOKEN, {"username": "dora", "password": PASSWORD}, format="json", REMOTE_ADDR="192.0.2.7"
    )
    assert other.status_code == 200


def test_oversized_and_malformed_attempts_count_against_the_limit(api, settings):
    settings.LIAISON_TOKEN_RATE = "2/h"
    api.post(TOKEN, data="x" * (65 * 1024), content_type="application/json")
    api.post(TOKEN, data="{", content_type="application/json")
    assert api.post(TOKEN, {}, format="json").status_code == 429


def test_an_empty_rate_setting_switches_the_limit_off(api, deputy_user, settings):
    settings.LIAISON_TOKEN_RATE = ""
    # A new username each time: five failures for one username lock it (the lockout of
    # tests/security/test_lockout.py), which is not this limit.
    for attempt in range(30):
        body = {"username": f"dora{attempt}", "password": "wrong"}
        response = api.post(TOKEN, body, format="json")
        assert response.status_code == 400
