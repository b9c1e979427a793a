"""Every door a stranger can knock on has a per-address limit with a Chinese 429 and
``Retry-After``: the opinion form and its API, tracking (page and API), rating (page and
API), both sign-in pages, the second-factor step and the API token.

Each door is tried with its limit set to 2 an hour: the first two requests pass (whatever
their answer), the third is refused. Doors that share a counter are refused together,
so switching doors gains a guesser nothing.
"""

import json
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from tests.factories import StationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters():
    # The limits count in the cache: every test starts from nothing.
    cache.clear()


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture
def station(xidu):
    return StationFactory(code="XD001", name="西渡镇人大代表联络站", region=xidu)


@dataclass
class Door:
    name: str
    setting: str
    api: bool

    def knock(self, client, station, n: int):
        """One request at the door; ``n`` keeps usernames apart so no lockout interferes."""
        if self.name == "submit form":
            url = reverse("suggestions:submit_station", args=[station.code])
            return client.post(url, {"title": "x"})
        if self.name == "submit API":
            return client.post(
                reverse("suggestions:api_submit"), {}, content_type="application/json"
            )
        if self.name == "track page":
            return client.post(
                reverse("suggestions:track"), {"code": "ABCDEFGHJKMN", "last4": "1234"}
            )
        if self.name == "track API":
            return client.get(reverse("suggestions:api_track"), {"code": "X", "phone": "1234"})
        if self.name == "rate page":
            return client.post(reverse("suggestions:rate", args=["1-abc"]), {"rating": "satisfied"})
        if self.name == "rate API":
            return client.post(reverse("suggestions:api_rate"), {}, content_type="application/json")
        if self.name == "site sign-in":
            return client.post(reverse("login"), {"username": f"who{n}", "password": "x"})
        if self.name == "admin sign-in":
            return client.post(reverse("admin:login"), {"username": f"who{n}", "password": "x"})
        if self.name == "API token":
            body = {"username": f"who{n}", "password": "x"}
            return client.post(reverse("api_token"), body, content_type="application/json")
        raise AssertionError(self.name)


DOORS = [
    Door("submit form", "LIAISON_SUBMIT_RATE", api=False),
    Door("submit API", "LIAISON_SUBMIT_RATE", api=True),
    Door("track page", "LIAISON_TRACK_RATE", api=False),
    Door("track API", "LIAISON_TRACK_RATE", api=True),
    Door("rate page", "LIAISON_RATING_RATE", api=False),
    Door("rate API", "LIAISON_TRACK_RATE", api=True),
    Door("site sign-in", "LIAISON_LOGIN_RATE", api=False),
    Door("admin sign-in", "LIAISON_LOGIN_RATE", api=False),
    Door("API token", "LIAISON_TOKEN_RATE", api=True),
]


def assert_chinese_429(response, *, api: bool) -> None:
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 0 < wait <= 3600
    if api:
        body = json.loads(response.content)
        assert body["code"] == "throttled"
        assert has_chinese(body["detail"]), body
    else:
        page = response.content.decode()
        assert response["Content-Type"].startswith("text/html")
        assert zh("Too many attempts") in page
        assert has_chinese(zh("Too many attempts"))


@pytest.mark.parametrize("door", DOORS, ids=lambda door: door.name)
def test_the_third_request_in_the_hour_is_refused_in_chinese(client, settings, station, door):
    setattr(settings, door.setting, "2/h")
    for n in range(2):
        assert door.knock(client, station, n).status_code != 429, f"{door.name}: {n + 1}"
    assert_chinese_429(door.knock(client, station, 2), api=door.api)


@pytest.mark.parametrize("door", DOORS, ids=lambda door: door.name)
def test_another_address_is_still_served(client, settings, station, door):
    setattr(settings, door.setting, "1/h")
    door.knock(client, station, 0)
    assert door.knock(client, station, 1).status_code == 429
    other = type(client)(REMOTE_ADDR="10.9.8.7")
    assert door.knock(other, station, 2).status_code != 429


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("submit form", "submit API"),
        ("track page", "track API"),
        ("track API", "rate API"),
        ("site sign-in", "admin sign-in"),
    ],
)
def test_doors_that_share_a_counter_are_refused_together(client, settings, station, first, second):
    doors = {door.name: door for door in DOORS}
    setattr(settings, doors[first].setting, "2/h")
    doors[first].knock(client, station, 0)
    doors[first].knock(client, station, 1)
    assert doors[second].knock(client, station, 2).status_code == 429


def test_a_forged_forwarded_for_header_does_not_reset_the_count(client, settings):
    settings.LIAISON_LOGIN_RATE = "2/h"
    for n in range(2):
        client.post(reverse("login"), {"username": f"who{n}", "password": "x"})
    response = client.post(
        reverse("login"), {"username": "who9", "password": "x"}, HTTP_X_FORWARDED_FOR="1.2.3.4"
    )
    assert response.status_code == 429


def test_showing_the_sign_in_form_is_never_counted(client, settings):
    settings.LIAISON_LOGIN_RATE = "1/h"
    for _ in range(5):
        assert client.get(reverse("login")).status_code == 200
        assert client.get(reverse("admin:login")).status_code == 200
    assert client.post(reverse("login"), {"username": "a", "password": "x"}).status_code == 200


def test_a_correct_password_over_the_limit_is_refused_too(client, settings, deputy_user):
    settings.LIAISON_LOGIN_RATE = "1/h"
    client.post(reverse("login"), {"username": "nobody", "password": "x"})
    response = client.post(
        reverse("login"), {"username": "dora", "password": "correct horse battery"}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_an_empty_login_rate_switches_the_limit_off(client, settings):
    settings.LIAISON_LOGIN_RATE = ""
    for n in range(12):
        response = client.post(reverse("login"), {"username": f"who{n}", "password": "x"})
        assert response.status_code == 200


def test_the_429_page_says_when_to_come_back_and_is_not_cached(client, settings):
    settings.LIAISON_RATING_RATE = "1/h"
    url = reverse("suggestions:rate", args=["1-abc"])
    client.post(url, {"rating": "satisfied"})
    response = client.post(url, {"rating": "satisfied"})
    assert response.status_code == 429
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    retry_at = response.context["retry_at"]
    assert retry_at is not None
    # The time on the page is the time in Retry-After, to the minute.
    assert retry_at.strftime("%H:%M") in response.content.decode()
