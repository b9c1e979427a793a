"""Who sees what in the admin, tried from the outside with a logged-in browser client.

Alice is the Hengyang county clerk, Bob the Hengnan county clerk next door, Tina a
clerk of Xidu township inside Alice's county.
"""

import pytest
from django.urls import reverse

from tests.factories import DeputyFactory, StationFactory


@pytest.fixture
def two_counties(xidu, yunji):
    return {
        "own_station": StationFactory(region=xidu, name="西渡镇中心联络站"),
        "other_station": StationFactory(region=yunji, name="云集镇中心联络站"),
        "own_deputy": DeputyFactory(region=xidu, name="刘西渡"),
        "other_deputy": DeputyFactory(region=yunji, name="王云集"),
    }


def _url(model, action, obj=None):
    name = f"admin:stations_{model}_{action}"
    return reverse(name, args=[obj.pk]) if obj is not None else reverse(name)


@pytest.mark.parametrize("model", ["station", "deputy"])
@pytest.mark.parametrize("action", ["change", "delete", "history"])
def test_county_clerk_gets_404_for_other_county_objects_by_id(
    client, county_clerk, two_counties, model, action
):
    client.force_login(county_clerk)
    other = two_counties[f"other_{model}"]
    assert client.get(_url(model, action, other)).status_code == 404


@pytest.mark.parametrize("model", ["station", "deputy"])
def test_county_clerk_opens_own_county_objects(client, county_clerk, two_counties, model):
    client.force_login(county_clerk)
    assert client.get(_url(model, "change", two_counties[f"own_{model}"])).status_code == 200


@pytest.mark.parametrize("model", ["station", "deputy"])
def test_changelist_lists_only_own_county(client, county_clerk, two_counties, model):
    client.force_login(county_clerk)
    response = client.get(_url(model, "changelist"))
    assert response.status_code == 200
    page = response.content.decode()
    assert two_counties[f"own_{model}"].name in page
    assert two_counties[f"other_{model}"].name not in page


def test_county_clerk_cannot_post_a_change_to_other_county_station(
    client, county_clerk, two_counties
):
    client.force_login(county_clerk)
    other = two_counties["other_station"]
    response = client.post(_url("station", "change", other), {"name": "改名"})
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.name == "云集镇中心联络站"


def test_county_clerk_cannot_move_a_station_into_other_county(
    client, county_clerk, two_counties, yunji
):
    client.force_login(county_clerk)
    own = two_counties["own_station"]
    response = client.post(
        _url("station", "change", own),
        {
            "code": own.code,
            "name": own.name,
            "tier": "station",
            "kind": "fixed",
            "region": yunji.code,
            "is_active": "on",
            "schedules-TOTAL_FORMS": "0",
            "schedules-INITIAL_FORMS": "0",
            "placements-TOTAL_FORMS": "0",
            "placements-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200  # the form comes back with an error
    own.refresh_from_db()
    assert own.region_id == "430421100000"


def test_township_clerk_sees_only_own_township(client, township_clerk, two_counties, xidu):
    village_station = StationFactory(region=xidu, name="本镇联络站")
    client.force_login(township_clerk)
    page = client.get(_url("station", "changelist")).content.decode()
    assert village_station.name in page
    assert two_counties["other_station"].name not in page


def test_city_clerk_sees_both_counties(client, city_clerk, two_counties):
    client.force_login(city_clerk)
    page = client.get(_url("station", "changelist")).content.decode()
    assert two_counties["own_station"].name in page
    assert two_counties["other_station"].name in page


def test_export_contains_only_own_county(client, county_clerk, two_counties):
    client.force_login(county_clerk)
    response = client.post(
        reverse("admin:stations_station_export"),
        {
            "format": "0",
            "resource": "0",
            "stationresource_code": "on",
            "stationresource_name": "on",
        },
    )
    assert response.status_code == 200, response.content[:500]
    body = response.content.decode("utf-8-sig")
    assert two_counties["own_station"].code in body
    assert two_counties["other_station"].code not in body


@pytest.mark.parametrize("who", ["deputy_user", "department_user"])
def test_deputies_and_departments_have_no_admin(client, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_anonymous_visitor_is_sent_to_login(client, two_counties):
    response = client.get(_url("station", "change", two_counties["own_station"]))
    assert response.status_code == 302


def test_office_staff_cannot_manage_accounts(client, county_clerk):
    client.force_login(county_clerk)
    assert client.get(reverse("admin:liaison_user_changelist")).status_code == 403


def test_region_autocomplete_offers_only_own_subtree(client, county_clerk, xidu, yunji):
    client.force_login(county_clerk)
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "stations", "model_name": "station", "field_name": "region", "term": "镇"},
    )
    assert response.status_code == 200
    ids = {item["id"] for item in response.json()["results"]}
    assert ids == {xidu.code}
