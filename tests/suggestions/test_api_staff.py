"""The office's API from the outside: scoped lists and reads of opinions, the admin's
filters, and assigning an item to a department with a time limit.

Tina is the Xidu township clerk, Alice the Hengyang county clerk, Bob the Hengnan
county clerk next door, Carol the Hengyang city clerk; root is the administrator.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from suggestions.models import Assignment, Case, Event, Suggestion
from tests.factories import make_department

LIST = reverse("suggestions:api_staff_list")
NAME, PHONE = "张三", "13800138000"

pytestmark = pytest.mark.django_db


def detail_url(suggestion) -> str:
    return reverse("suggestions:api_staff_detail", args=[suggestion.pk])


def assign_url(suggestion) -> str:
    return reverse("suggestions:api_staff_assign", args=[suggestion.pk])


def client_for(user) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def xidu_item(submit):
    return submit()


@pytest.fixture
def yunji_item(submit, other_station):
    return submit(station=other_station, title="云集镇路灯不亮", phone="13900139000")


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize(
    ("clerk", "sees_xidu", "sees_yunji"),
    [
        ("township_clerk", True, False),
        ("county_clerk", True, False),
        ("other_county_clerk", False, True),
        ("city_clerk", True, True),
        ("admin_user", True, True),
    ],
)
def test_each_office_sees_its_own_subtree(
    request, clerk, sees_xidu, sees_yunji, xidu_item, yunji_item
):
    client = client_for(request.getfixturevalue(clerk))
    expected = {xidu_item.pk} if sees_xidu else set()
    expected |= {yunji_item.pk} if sees_yunji else set()
    assert ids(client.get(LIST)) == expected
    for item, visible in ((xidu_item, sees_xidu), (yunji_item, sees_yunji)):
        response = client.get(detail_url(item))
        assert response.status_code == (200 if visible else 404)


def test_a_county_clerk_cannot_assign_the_other_countys_item(
    other_county_clerk, xidu_item, transport_bureau
):
    response = client_for(other_county_clerk).post(
        assign_url(xidu_item), {"lead": transport_bureau.pk}, format="json"
    )
    assert response.status_code == 404
    assert set(response.json()) == {"detail", "code"}
    assert not Assignment.objects.exists()


@pytest.mark.parametrize("who", ["anonymous", "deputy", "handler"])
def test_only_the_office_reaches_the_staff_api(
    who, xidu_item, deputy_user, department_user, transport_bureau
):
    user = {"anonymous": None, "deputy": deputy_user, "handler": department_user}[who]
    client = client_for(user)
    expected = 401 if user is None else 403
    assert client.get(LIST).status_code == expected
    assert client.get(detail_url(xidu_item)).status_code == expected
    response = client.post(assign_url(xidu_item), {"lead": transport_bureau.pk}, format="json")
    assert response.status_code == expected
    assert not Assignment.objects.exists()


def test_names_and_phones_are_masked(county_clerk, xidu_item):
    client = client_for(county_clerk)
    row = client.get(LIST).json()["results"][0]
    assert row["constituent"]["name"] == "张*"
    assert row["constituent"]["phone"] == "138****8000"
    detail = client.get(detail_url(xidu_item))
    assert detail.json()["tracking_code"] == xidu_item.tracking_code
    for response in (client.get(LIST), detail):
        assert PHONE not in response.content.decode() and NAME not in response.content.decode()


def test_filters_and_the_tracking_code_search(county_clerk, submit, water, xidu_item):
    other = submit(category=water, title="饮水问题")
    Suggestion.objects.filter(pk=other.pk).update(
        status=Case.Status.ASSIGNED, due_date="2000-01-01", received_at="2020-05-01T10:00+08:00"
    )
    client = client_for(county_clerk)
    assert ids(client.get(LIST, {"category": "water"})) == {other.pk}
    assert ids(client.get(LIST, {"status": "received"})) == {xidu_item.pk}
    assert ids(client.get(LIST, {"status": ["received", "assigned"]})) == {xidu_item.pk, other.pk}
    assert ids(client.get(LIST, {"overdue": "true"})) == {other.pk}
    assert ids(client.get(LIST, {"overdue": "false"})) == {xidu_item.pk}
    assert ids(client.get(LIST, {"channel": "api"})) == set()
    assert ids(client.get(LIST, {"channel": "web"})) == {xidu_item.pk, other.pk}
    assert ids(client.get(LIST, {"received_before": "2021-01-01"})) == {other.pk}
    assert ids(client.get(LIST, {"received_after": "2021-01-01"})) == {xidu_item.pk}
    assert ids(client.get(LIST, {"region": "430421100000"})) == {xidu_item.pk, other.pk}
    assert ids(client.get(LIST, {"region": "430422000000"})) == set()
    assert ids(client.get(LIST, {"region": "nonsense"})) == set()
    assert ids(client.get(LIST, {"code": xidu_item.tracking_code.lower()})) == {xidu_item.pk}
    assert ids(client.get(LIST, {"code": "' OR 1=1 --"})) == set()
    for bad in ({"status": "nonsense"}, {"received_after": "yesterday"}, {"channel": "fax"}):
        response = client.get(LIST, bad)
        assert response.status_code == 400
        assert response.json()["code"] == "invalid" and response.json()["errors"]


def test_the_region_filter_never_widens_the_jurisdiction(township_clerk, xidu_item, yunji_item):
    client = client_for(township_clerk)
    assert ids(client.get(LIST, {"region": "430000000000"})) == {xidu_item.pk}


def test_the_list_runs_the_same_queries_for_2_or_25_items(county_clerk, submit, water):
    client = client_for(county_clerk)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST).status_code == 200
        return len(captured)

    submit()
    submit(category=water)
    few = queries()
    for i in range(23):
        submit(title=f"第{i}件")
    assert queries() == few
    assert few <= 6


def test_the_clerk_assigns_with_a_time_limit_as_the_admin_does(
    county_clerk, xidu_item, transport_bureau, water_bureau
):
    response = client_for(county_clerk).post(
        assign_url(xidu_item),
        {
            "lead": transport_bureau.pk,
            "co_handlers": [water_bureau.pk],
            "time_limit_days": 5,
            "reason": "涉及供水管线",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "assigned"
    assert [(a["department"], a["role"]) for a in body["assignments"]] == [
        ("衡阳县交通运输局", "lead"),
        ("衡阳县水利局", "co"),
    ]
    lead = Assignment.objects.get(role="lead")
    assert lead.time_limit_days == 5 and lead.assigned_by == county_clerk
    assert body["due_date"] == f"{lead.due_date:%Y-%m-%d}"
    event = Event.objects.filter(case=xidu_item, kind="assigned").get()
    assert event.note == "涉及供水管线"


def test_without_a_time_limit_the_routing_rules_applies(county_clerk, xidu_item, roads_rule):
    response = client_for(county_clerk).post(
        assign_url(xidu_item), {"lead": roads_rule.department.pk}, format="json"
    )
    assert response.status_code == 200
    assert Assignment.objects.get().time_limit_days == roads_rule.time_limit_days


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "lead"),
        ({"lead": "transport"}, "lead"),
        ({"lead": "OTHER"}, "lead"),
        ({"lead": "LEAD", "co_handlers": ["LEAD"]}, "co_handlers"),
        ({"lead": "LEAD", "time_limit_days": 0}, "time_limit_days"),
        ({"lead": "LEAD", "time_limit_days": 1000}, "time_limit_days"),
        ({"lead": "LEAD", "reason": "x" * 501}, "reason"),
        ({"lead": "LEAD", "co_handlers": ["OTHER"]}, "co_handlers"),
    ],
)
def test_bad_assignments_are_refused_and_nothing_is_stored(
    county_clerk, xidu_item, transport_bureau, other_bureau, body, field
):
    swap = {"LEAD": transport_bureau.pk, "OTHER": other_bureau.pk}

    def resolve(value):
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return swap.get(value, value) if isinstance(value, str) else value

    body = {key: resolve(value) for key, value in body.items()}
    response = client_for(county_clerk).post(assign_url(xidu_item), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Assignment.objects.exists()


def test_a_department_above_the_clerks_region_is_not_theirs_to_use(
    township_clerk, xidu_item, transport_bureau, xidu
):
    # The county bureau serves Xidu but lies outside the township clerk's jurisdiction.
    response = client_for(township_clerk).post(
        assign_url(xidu_item), {"lead": transport_bureau.pk}, format="json"
    )
    assert response.status_code == 400
    township_office = make_department("西渡镇人民政府", xidu)
    response = client_for(township_clerk).post(
        assign_url(xidu_item), {"lead": township_office.pk}, format="json"
    )
    assert response.status_code == 200


def test_a_closed_item_cannot_be_assigned(county_clerk, xidu_item, transport_bureau):
    Suggestion.objects.filter(pk=xidu_item.pk).update(status=Case.Status.CLOSED)
    response = client_for(county_clerk).post(
        assign_url(xidu_item), {"lead": transport_bureau.pk}, format="json"
    )
    assert response.status_code == 400
    assert "non_field_errors" in response.json()["errors"]
    assert not Assignment.objects.exists()
