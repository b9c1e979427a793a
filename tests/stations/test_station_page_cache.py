"""The station page (the QR code's target) is rendered once and kept in the cache, and
every change to what it shows is visible on the next request."""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from stations.models import Duty, ReceptionDay
from stations.services import reception_days_roll
from tests.factories import (
    CongressFactory,
    DeputyFactory,
    ScheduleFactory,
    StationFactory,
    make_region,
    place,
    seat,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


@pytest.fixture
def station(xidu):
    congress = CongressFactory(region=make_region("430421000000", "衡阳县"), level="county")
    station = StationFactory(region=xidu, code="XD0001", name="西渡镇人大代表联络站")
    deputy = DeputyFactory(region=xidu, name="李文华")
    seat(deputy, congress)
    place(deputy, station)
    return station


def _get(client, station, **headers):
    return client.get(reverse("stations:station", args=[station.code]), **headers)


def _queries(client, station) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = _get(client, station)
    assert response.status_code == 200
    return len(captured)


def test_second_visit_reads_no_rows(client, station):
    first = _queries(client, station)
    assert first >= 3  # station, deputies and their seats, reception days
    assert _queries(client, station) == 0
    page = _get(client, station).content.decode()
    assert "西渡镇人大代表联络站" in page and "李文华" in page
    assert "<title>西渡镇人大代表联络站" in page


def test_the_frame_stays_the_visitors_own(client, station, django_user_model):
    _get(client, station)  # cached while nobody is signed in
    user = django_user_model.objects.create_user("visitor", password="pw-Liaison#2026")
    client.force_login(user)
    page = _get(client, station).content.decode()
    assert reverse("start") in page  # "my workspace", not "sign in"


def test_editing_the_station_shows_at_once(client, station):
    _get(client, station)
    station.name = "西渡镇人大代表中心联络站"
    station.save()
    assert "西渡镇人大代表中心联络站" in _get(client, station).content.decode()


def test_closing_the_station_answers_404(client, station):
    _get(client, station)
    station.is_active = False
    station.save()
    assert _get(client, station).status_code == 404


def test_a_new_deputy_placed_shows(client, station, xidu):
    _get(client, station)
    newcomer = DeputyFactory(region=xidu, name="周晓梅")
    place(newcomer, station)
    assert "周晓梅" in _get(client, station).content.decode()


def test_reception_days_rolled_in_bulk_show(client, station):
    # reception_days_roll writes days and duties with bulk_create, which sends no signal.
    ScheduleFactory(station=station, rule="weekly", weekday=2, day_of_month=None)
    before = _get(client, station).content.decode()
    today = timezone.localdate()
    created = reception_days_roll(station=station, start=today, end=today + dt.timedelta(days=30))
    assert created and ReceptionDay.objects.filter(station=station).exists()
    after = _get(client, station).content.decode()
    first_day = ReceptionDay.objects.filter(station=station).order_by("date").first()
    assert first_day.date.isoformat() in after
    assert first_day.date.isoformat() not in before


def test_a_duty_swapped_by_update_is_refreshed_next_day_at_the_latest(client, station, xidu):
    # QuerySet.update() sends no signal: the date in the key bounds how stale it can be.
    ScheduleFactory(station=station, rule="weekly", weekday=2, day_of_month=None)
    today = timezone.localdate()
    reception_days_roll(station=station, start=today, end=today + dt.timedelta(days=30))
    _get(client, station)
    other = DeputyFactory(region=xidu, name="赵一鸣")
    place(other, station)  # a save: bumps the version
    Duty.objects.update(deputy=other)
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        assert "赵一鸣" in _get(client, station).content.decode()


def test_each_language_has_its_own_copy(client, station):
    chinese = _get(client, station).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = _get(client, station).content.decode()
    assert "Deputies at this station" in english
    assert "Deputies at this station" not in chinese


def test_unknown_station_is_404_and_not_cached(client, station):
    assert client.get(reverse("stations:station", args=["NOPE01"])).status_code == 404
    StationFactory(region=station.region, code="NOPE01", name="新站")
    assert client.get(reverse("stations:station", args=["NOPE01"])).status_code == 200


def test_each_visitor_gets_a_working_csrf_token_of_their_own(station):
    import re

    from django.test import Client

    tokens = []
    for _ in range(2):
        visitor = Client(enforce_csrf_checks=True)
        page = _get(visitor, station).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        assert "csrf_slot" not in page
        tokens.append(token)
        # The language form of the cached page works for this visitor.
        response = visitor.post(
            reverse("set_language"),
            {"language": "en", "next": "/", "csrfmiddlewaretoken": token},
        )
        assert response.status_code == 302
    assert tokens[0] != tokens[1]


def test_a_pending_message_is_shown_not_swallowed_by_the_cache(client, station, rf):
    from django.contrib.messages import constants
    from django.contrib.messages.storage.base import Message
    from django.contrib.messages.storage.cookie import CookieStorage

    _get(client, station)  # the page is cached
    # A message queued for this visitor (e.g. "signed out") appears on the page.
    client.cookies["messages"] = CookieStorage(rf.get("/"))._encode(
        [Message(constants.INFO, "您已退出登录")]
    )
    assert "您已退出登录" in _get(client, station).content.decode()
