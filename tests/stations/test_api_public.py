# ruff: noqa: F811  (fixtures imported from tests.api.fixtures are redefined as arguments)
"""The stations API from the outside: public stations and deputies (only what the
pages show, only active ones), and the deputy's own duties for each role."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from stations.models import Duty
from tests.api.fixtures import (  # noqa: F401  (fixtures)
    api_deputy,
    county_congress,
    station,
    token_client,
)
from tests.factories import DeputyFactory, StationFactory, make_user, place

pytestmark = pytest.mark.django_db

STATIONS = reverse("stations_api:stations")
DEPUTIES = reverse("stations_api:deputies")
DUTIES = reverse("stations_api:own_duties")


def station_url(code: str) -> str:
    return reverse("stations_api:station", args=[code])


def deputy_url(code: str) -> str:
    return reverse("stations_api:deputy", args=[code])


# --- Stations -------------------------------------------------------------------------


def test_anyone_lists_active_stations_with_page_links(api_deputy, station, yunji):
    StationFactory(region=yunji, code="YJ0001", is_active=False)
    body = APIClient().get(STATIONS).json()
    assert body["count"] == 1
    [row] = body["results"]
    assert row["code"] == "XD0001"
    assert row["region"] == {"code": "430421100000", "name": "西渡镇", "level": "township"}
    assert row["url"] == "http://testserver/stations/XD0001/"


def test_stations_filter_by_region_subtree_level_and_search(station, yunji, hengyang_county):
    StationFactory(region=yunji, code="YJ0001", name="云集镇联络站", tier="centre")
    codes = lambda **q: [s["code"] for s in APIClient().get(STATIONS, q).json()["results"]]  # noqa: E731
    assert codes(region="430421000000") == ["XD0001"]
    assert codes(region="430422000000") == ["YJ0001"]
    assert codes(region="430400000000") == ["XD0001", "YJ0001"]
    assert codes(region_level="township") == ["XD0001", "YJ0001"]
    assert codes(tier="centre") == ["YJ0001"]
    assert codes(search="云集") == ["YJ0001"]
    assert codes(search="xd0001") == ["XD0001"]  # a whole code, in any case
    assert codes(search="XD000") == []  # not a part of one


@pytest.mark.parametrize(
    "query",
    [
        {"region": "4304"},
        {"region": "' OR 1=1 --"},
        {"region": "<script>alert(1)</script>"},
        {"region_level": "planet"},
        {"kind": "x" * 500},
    ],
)
def test_a_bad_station_filter_is_a_400_naming_the_field(station, query):
    response = APIClient().get(STATIONS, query)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["errors"]) == list(query)


def test_sql_looking_or_script_search_is_just_text(station):
    for text in ["' OR '1'='1", "<script>alert(1)</script>", "%", "_"]:
        assert APIClient().get(STATIONS, {"search": text}).json()["count"] == 0


def test_the_station_list_is_a_fixed_number_of_queries(
    station, xidu, django_assert_max_num_queries
):
    for index in range(30):
        StationFactory(region=xidu, code=f"Q{index:05d}")
    with django_assert_max_num_queries(2):  # the count and the page
        response = APIClient().get(STATIONS, {"limit": 50})
    assert response.json()["count"] == 31


def test_a_station_page_shows_schedule_days_deputies_and_codes(api_deputy, station):
    body = APIClient().get(station_url("XD0001")).json()
    assert body["name"] == "西渡镇人大代表联络站"
    assert body["schedules"][0]["start_time"] == "09:00:00"
    assert [d["code"] for d in body["deputies"]] == ["D900001"]
    assert body["deputies"][0]["titles"]
    [day] = body["upcoming_days"]
    # Tomorrow with two days' notice: announced, so who is on duty is public.
    assert day["announced"] is True
    assert day["on_duty"] == [{"code": "D900001", "name": "杜拉"}]
    assert body["qr_svg"].endswith("/stations/XD0001/qr.svg")
    assert "13812345678" not in str(body)


def test_an_inactive_or_unknown_station_is_404(station, xidu):
    StationFactory(region=xidu, code="OLD001", is_active=False)
    for code in ["OLD001", "NOPE", "x" * 300]:
        response = APIClient().get(station_url(code))
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_the_station_page_is_a_fixed_number_of_queries(
    api_deputy, station, django_assert_max_num_queries
):
    for _index in range(10):
        place(DeputyFactory(region=station.region), station)
    with django_assert_max_num_queries(6):
        assert APIClient().get(station_url("XD0001")).status_code == 200


# --- Deputies -------------------------------------------------------------------------


def test_a_deputy_profile_shows_the_public_page_and_never_the_phone(api_deputy, station):
    api_deputy.bio = "为民办实事。"
    api_deputy.save()
    body = APIClient().get(deputy_url("D900001")).json()
    assert body["name"] == "杜拉"
    assert body["stations"] == [{"code": "XD0001", "name": station.name, "region": "西渡镇"}]
    assert body["memberships"][0]["level"] == "county"
    assert body["bio"] == "为民办实事。"
    for private in ("phone", "gender", "user", "id_number", "region"):
        assert private not in body
    assert "13812345678" not in str(body)


def test_an_inactive_deputy_is_neither_listed_nor_shown(api_deputy, station):
    DeputyFactory(region=station.region, code="D900002", is_active=False)
    assert [d["code"] for d in APIClient().get(DEPUTIES).json()["results"]] == ["D900001"]
    assert APIClient().get(deputy_url("D900002")).status_code == 404


def test_deputies_filter_by_station_level_and_name(api_deputy, station, yunji):
    other = StationFactory(region=yunji, code="YJ0001")
    place(DeputyFactory(region=yunji, code="D900003", name="王五"), other)
    codes = lambda **q: [d["code"] for d in APIClient().get(DEPUTIES, q).json()["results"]]  # noqa: E731
    assert codes(station="XD0001") == ["D900001"]
    assert codes(station="YJ0001") == ["D900003"]
    assert codes(level="county") == ["D900001"]
    assert codes(level="national") == []
    assert codes(search="王") == ["D900003"]
    assert APIClient().get(DEPUTIES, {"level": "galactic"}).status_code == 400


def test_the_deputy_list_is_a_fixed_number_of_queries(
    api_deputy, station, county_congress, django_assert_max_num_queries
):
    from tests.factories import seat

    for _index in range(20):
        seat(DeputyFactory(region=station.region), county_congress)
    with django_assert_max_num_queries(3):  # count, page, memberships
        assert APIClient().get(DEPUTIES).json()["count"] == 21


# --- The deputy's own duties ----------------------------------------------------------


def test_a_deputy_reads_their_own_duties_with_a_token(api_deputy):
    response = token_client(api_deputy.user).get(DUTIES)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    [duty] = response.json()["upcoming"]
    assert duty["station"]["code"] == "XD0001"
    assert duty["id"] == Duty.objects.get(deputy=api_deputy).pk


def test_a_deputy_reads_their_own_duties_with_a_session(api_deputy):
    client = APIClient()
    client.force_login(api_deputy.user)
    assert len(client.get(DUTIES).json()["upcoming"]) == 1


def test_another_deputy_sees_only_their_own(api_deputy, station):
    colleague = DeputyFactory(region=station.region, user=make_user("eve", role="deputy"))
    body = token_client(colleague.user).get(DUTIES).json()
    assert body["upcoming"] == [] and body["past"] == []


@pytest.mark.parametrize(
    "who", ["county_clerk", "other_county_clerk", "department_user", "admin_user"]
)
def test_no_one_but_a_deputy_has_duties(request, api_deputy, who):
    user = request.getfixturevalue(who)
    response = token_client(user).get(DUTIES)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_an_anonymous_visitor_is_asked_to_sign_in(api_deputy):
    response = APIClient().get(DUTIES)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_deputy_role_without_a_deputy_record_is_refused(deputy_user):
    assert token_client(deputy_user).get(DUTIES).status_code == 403


def test_the_duty_list_is_read_only(api_deputy):
    response = token_client(api_deputy.user).post(DUTIES, {}, format="json")
    assert response.status_code == 405
