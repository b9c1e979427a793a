"""Public pages: Chinese by default, never a phone number, a fixed number of queries."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

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


def _station_with_deputies(region, count: int, *, code: str):
    congress = CongressFactory(region=make_region("430421000000", "衡阳县"), level="county")
    station = StationFactory(region=region, code=code, name=f"{code}人大代表联络站")
    ScheduleFactory(station=station, rule="weekly", weekday=2, day_of_month=None)
    for _ in range(count):
        deputy = DeputyFactory(region=region)
        seat(deputy, congress)
        place(deputy, station)
    today = timezone.localdate()
    reception_days_roll(station=station, start=today, end=today + dt.timedelta(days=60))
    return station


def test_home_page_speaks_chinese_by_default(client, xidu):
    response = client.get(reverse("stations:home"))
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    page = response.content.decode()
    assert "找到您身边的代表联络站" in page
    assert 'lang="zh-Hans"' in page


def test_browser_language_does_not_override_chinese(client, xidu):
    response = client.get(reverse("stations:home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "找到您身边的代表联络站" in response.content.decode()


def test_english_is_available_by_choice(client, xidu):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("stations:home")).content.decode()
    assert "Find your deputies' liaison station" in page


def test_finder_drills_down_by_region_and_searches_by_name(client, xidu, yunji):
    StationFactory(region=xidu, name="西渡镇人大代表中心联络站")
    StationFactory(region=yunji, name="云集镇人大代表中心联络站")
    page = client.get(reverse("stations:home"), {"region": "430421000000"}).content.decode()
    assert "西渡镇人大代表中心联络站" in page
    assert "云集镇人大代表中心联络站" not in page
    page = client.get(reverse("stations:home"), {"q": "云集"}).content.decode()
    assert "云集镇人大代表中心联络站" in page
    assert "西渡镇人大代表中心联络站" not in page


def test_finder_with_unknown_region_is_404(client, db):
    assert client.get(reverse("stations:home"), {"region": "999999999999"}).status_code == 404


def test_station_page_shows_address_deputies_and_duty(client, xidu):
    station = _station_with_deputies(xidu, 3, code="XD001")
    response = client.get(reverse("stations:station", args=[station.code]))
    page = response.content.decode()
    assert response.status_code == 200
    assert station.name in page and station.address in page
    assert "近期接待日" in page and "值班代表" in page
    for deputy in station.deputies.all():
        assert deputy.name in page
        assert deputy.phone not in page
    assert "每星期三" in page


def test_deputy_page_shows_levels_and_stations_but_never_a_phone(client, xidu):
    station = _station_with_deputies(xidu, 1, code="XD002")
    deputy = station.deputies.get()
    deputy.phone = "13812345678"
    deputy.save()
    page = client.get(reverse("stations:deputy", args=[deputy.code])).content.decode()
    assert deputy.name in page
    assert "衡阳县人民代表大会" in page
    assert station.name in page
    assert deputy.phone not in page
    assert deputy.phone[-4:] not in page


def test_inactive_station_and_unknown_codes_are_404(client, xidu):
    station = StationFactory(region=xidu, is_active=False)
    assert client.get(reverse("stations:station", args=[station.code])).status_code == 404
    assert client.get(reverse("stations:station", args=["NOPE1"])).status_code == 404
    assert client.get(reverse("stations:deputy", args=["NOPE1"])).status_code == 404


@pytest.mark.parametrize("size", [2, 25])
def test_station_page_queries_do_not_grow_with_deputies(
    client, xidu, size, django_assert_max_num_queries
):
    station = _station_with_deputies(xidu, size, code=f"Q{size:04d}")
    with django_assert_max_num_queries(6):
        assert client.get(reverse("stations:station", args=[station.code])).status_code == 200


@pytest.mark.parametrize("size", [1, 20])
def test_finder_queries_do_not_grow_with_stations(
    client, xidu, size, django_assert_max_num_queries
):
    for _ in range(size):
        StationFactory(region=xidu)
    # region, breadcrumbs, child regions, their counts, the page count, the page
    with django_assert_max_num_queries(6):
        client.get(reverse("stations:home"), {"region": "430421000000"})
    with django_assert_max_num_queries(5):
        client.get(reverse("stations:home"))


def test_deputy_page_queries_are_bounded(client, xidu, django_assert_max_num_queries):
    station = _station_with_deputies(xidu, 1, code="XD003")
    deputy = station.deputies.get()
    for index in range(5):
        other = StationFactory(region=xidu, code=f"XO{index:03d}")
        place(deputy, other)
    with django_assert_max_num_queries(5):
        assert client.get(reverse("stations:deputy", args=[deputy.code])).status_code == 200


def test_hostile_search_text_is_escaped(client, xidu):
    page = client.get(reverse("stations:home"), {"q": "<script>alert(1)</script>' OR 1=1"})
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.content.decode()
