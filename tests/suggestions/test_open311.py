"""Open311 GeoReport v2: answers checked against the standard's field lists, public reads
that show nothing personal, and filing with an API key."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from liaison.models import OutboxMessage
from suggestions import hotline, open311, services
from suggestions.models import Case, Event, Integration, Suggestion, WorkOrder

# The field lists of GeoReport v2 (https://wiki.open311.org/GeoReport_v2), with the JSON
# types an answer may carry for each: None where the standard allows an empty value.
SERVICE_FIELDS = {
    "service_code": (str,),
    "service_name": (str,),
    "description": (str,),
    "metadata": (bool,),
    "type": (str,),
    "keywords": (str,),
    "group": (str,),
}
SERVICE_TYPES = {"realtime", "batch", "blackbox"}
REQUEST_FIELDS = {
    "service_request_id": (str,),
    "status": (str,),
    "status_notes": (str, type(None)),
    "service_name": (str, type(None)),
    "service_code": (str, type(None)),
    "description": (str, type(None)),
    "agency_responsible": (str, type(None)),
    "service_notice": (str, type(None)),
    "requested_datetime": (str,),
    "updated_datetime": (str, type(None)),
    "expected_datetime": (str, type(None)),
    "address": (str, type(None)),
    "address_id": (str, type(None)),
    "zipcode": (str, type(None)),
    "lat": (float, type(None)),
    "long": (float, type(None)),
    "media_url": (str, type(None)),
}
POST_ANSWER_FIELDS = {
    "service_request_id": (str,),
    "service_notice": (str, type(None)),
    "account_id": (str, type(None)),
}
DATETIME_FIELDS = ("requested_datetime", "updated_datetime", "expected_datetime")


def check_fields(row: dict, fields: dict) -> None:
    assert set(row) == set(fields), set(row) ^ set(fields)
    for name, types in fields.items():
        assert isinstance(row[name], types), (name, row[name])


def check_request(row: dict) -> None:
    check_fields(row, REQUEST_FIELDS)
    assert row["status"] in ("open", "closed")
    for name in DATETIME_FIELDS:
        if row[name] is not None:
            # ISO 8601 with the offset, as the standard's examples.
            assert dt.datetime.fromisoformat(row[name]).utcoffset() is not None


def check_error(response, status: int) -> None:
    assert response.status_code == status
    body = response.json()
    assert isinstance(body, list) and len(body) == 1
    assert set(body[0]) == {"code", "description"}
    assert body[0]["code"] == status and body[0]["description"]


@pytest.fixture
def app(hengyang_county):
    integration, credentials = hotline.integration_create(
        name="街道随手拍 Open311", kind=Integration.Kind.OPEN311, region=hengyang_county
    )
    integration.credentials = credentials
    return integration


@pytest.fixture
def filed(submit, station, roads_rule, transport_bureau, department_user):
    """Three opinions: one new, one assigned, one replied and closed."""
    Case.objects.all().delete()
    station.latitude, station.longitude, station.address = 26.97, 112.37, "西渡镇人民路1号"
    station.save()
    new = submit(title="路灯不亮")
    assigned = submit(title="村口道路坑洼")
    services.case_route(case_id=assigned.pk)
    done = submit(title="桥面破损")
    services.case_route(case_id=done.pk)
    services.case_reply(
        case=Case.objects.get(pk=done.pk),
        department=transport_bureau,
        author=department_user,
        public_text="已修复，张三先生请放心。",
    )
    services.case_close(case=Case.objects.get(pk=done.pk), user=None, outcome="handled")
    return new, assigned, done


# --- Services ---------------------------------------------------------------------------------


def test_services_are_the_active_categories(client, roads, water):
    water.is_active = False
    water.save()
    response = client.get("/open311/v2/services.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    services_ = response.json()
    assert [s["service_code"] for s in services_] == ["roads"]
    for service in services_:
        check_fields(service, SERVICE_FIELDS)
        assert service["type"] in SERVICE_TYPES and service["metadata"] is False


def test_other_formats_are_refused(client, roads):
    check_error(client.get("/open311/v2/services.xml"), 400)
    check_error(client.get("/open311/v2/requests.xml"), 400)


# --- Reading requests -------------------------------------------------------------------------


def test_requests_follow_the_field_list_and_show_nothing_personal(client, filed):
    new, assigned, done = filed
    response = client.get("/open311/v2/requests.json")
    assert response.status_code == 200
    rows = {row["service_request_id"]: row for row in response.json()}
    assert set(rows) == {str(s.pk) for s in filed}
    for row in rows.values():
        check_request(row)
    assert rows[str(new.pk)]["status"] == "open"
    assert rows[str(assigned.pk)]["status"] == "open"
    assert rows[str(assigned.pk)]["agency_responsible"] == "衡阳县交通运输局"
    assert rows[str(assigned.pk)]["expected_datetime"] is not None
    assert rows[str(done.pk)]["status"] == "closed"
    latest = Event.objects.filter(case=done, is_public=True).order_by("created_at", "id").last()
    assert rows[str(done.pk)]["status_notes"] == latest.public_text != ""
    row = rows[str(assigned.pk)]
    assert row["service_code"] == "roads" and row["description"] == "村口道路坑洼"
    assert row["lat"] == 26.97 and row["address"] == "西渡镇人民路1号"
    text = response.content.decode()
    for personal in ("张三", "13800138000", "雨天无法通行", "已修复"):
        assert personal not in text, personal
    # The tracking code (with four digits of the phone) opens the item's tracking page
    # and its reply: only the constituent has it.
    for suggestion in filed:
        assert suggestion.tracking_code not in text
        detail = client.get(f"/open311/v2/requests/{suggestion.pk}.json").content.decode()
        assert suggestion.tracking_code not in detail
    assert client.get(f"/open311/v2/requests/{new.tracking_code}.json").status_code == 404


def test_the_list_runs_a_fixed_number_of_queries(
    client, filed, submit, django_assert_max_num_queries
):
    with django_assert_max_num_queries(2) as few:
        client.get("/open311/v2/requests.json")
    for number in range(10):
        submit(title=f"问题{number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/open311/v2/requests.json").json()) == 13


def test_the_default_window_is_90_days_and_dates_filter(client, filed):
    new, assigned, done = filed
    Case.objects.filter(pk=new.pk).update(received_at=timezone.now() - dt.timedelta(days=120))
    codes = {r["service_request_id"] for r in client.get("/open311/v2/requests.json").json()}
    assert codes == {str(assigned.pk), str(done.pk)}
    start = (timezone.now() - dt.timedelta(days=200)).date().isoformat()
    end = (timezone.now() - dt.timedelta(days=100)).date().isoformat()
    rows = client.get("/open311/v2/requests.json", {"start_date": start, "end_date": end}).json()
    assert [r["service_request_id"] for r in rows] == [str(new.pk)]
    check_error(client.get("/open311/v2/requests.json", {"start_date": "yesterday"}), 400)


def test_status_service_code_and_id_filters(client, filed, water):
    new, _assigned, done = filed
    closed = client.get("/open311/v2/requests.json", {"status": "closed"}).json()
    assert [r["service_request_id"] for r in closed] == [str(done.pk)]
    assert len(client.get("/open311/v2/requests.json", {"status": "open"}).json()) == 2
    assert client.get("/open311/v2/requests.json", {"service_code": "water"}).json() == []
    ids = f"{new.pk},{done.pk}"
    rows = client.get("/open311/v2/requests.json", {"service_request_id": ids}).json()
    assert {r["service_request_id"] for r in rows} == {str(new.pk), str(done.pk)}
    check_error(client.get("/open311/v2/requests.json", {"status": "pending"}), 400)


def test_at_most_1000_requests(client, filed, monkeypatch):
    monkeypatch.setattr(open311, "MAX_RESULTS", 2)
    assert len(client.get("/open311/v2/requests.json").json()) == 2


def test_one_request_by_its_id(client, filed):
    new = filed[0]
    response = client.get(f"/open311/v2/requests/{new.pk}.json")
    assert response.status_code == 200
    [row] = response.json()
    check_request(row)
    assert row["service_request_id"] == str(new.pk)
    check_error(client.get("/open311/v2/requests/NOSUCHCODE.json"), 404)


# --- Filing requests --------------------------------------------------------------------------


def form(app, **overrides) -> dict:
    return {
        "api_key": app.credentials.key,
        "service_code": "roads",
        "lat": "26.970000",
        "long": "112.370000",
        "address_string": "西渡镇梅花村村口",
        "description": "村口道路坑洼积水，雨天无法通行。",
        "first_name": "三",
        "last_name": "张",
        "phone": "13800138000",
        "email": "zhang@example.com",
    } | overrides


def test_filing_a_request_with_the_api_key(client, app, roads, hengyang_county):
    response = client.post("/open311/v2/requests.json", form(app))
    assert response.status_code == 201, response.json()
    [answer] = response.json()
    check_fields(answer, POST_ANSWER_FIELDS)
    suggestion = Suggestion.objects.get(pk=int(answer["service_request_id"]))
    assert suggestion.channel == "open311" and suggestion.region == hengyang_county
    assert suggestion.category == roads and suggestion.name == "张三"
    assert suggestion.phone == "13800138000"
    assert "西渡镇梅花村村口" in suggestion.content
    order = WorkOrder.objects.get()
    assert order.integration == app and order.latitude is not None
    assert OutboxMessage.objects.filter(task="suggestions.tasks.route_case").exists()
    # And it can be read back by its id, as anyone reads it.
    assert (
        client.get(f"/open311/v2/requests/{answer['service_request_id']}.json").status_code == 200
    )


def test_filing_accepts_json_too(client, app, roads):
    response = client.post(
        "/open311/v2/requests.json", json.dumps(form(app)), content_type="application/json"
    )
    assert response.status_code == 201


@pytest.mark.parametrize("key", ["", "nope", "abc.def"])
def test_filing_without_a_valid_key_is_403(client, app, roads, key):
    check_error(client.post("/open311/v2/requests.json", form(app, api_key=key)), 403)
    assert not Suggestion.objects.exists()


def test_a_hotline_key_or_an_inactive_app_cannot_file(client, app, roads, hengyang_county):
    _hotline, credentials = hotline.integration_create(
        name="12345", kind=Integration.Kind.HOTLINE, region=hengyang_county
    )
    check_error(client.post("/open311/v2/requests.json", form(app, api_key=credentials.key)), 403)
    Integration.objects.filter(pk=app.pk).update(is_active=False)
    check_error(client.post("/open311/v2/requests.json", form(app)), 403)
    assert not Suggestion.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"description": ""},
        {"description": "   "},
        {"description": "长" * 2001},
        {"description": "<script>alert(1)</script>"},
        {"service_code": "nope"},
        {"service_code": ""},
        {"lat": "", "long": "", "address_string": ""},
        {"lat": "999", "long": "112"},
        {"lat": "abc", "long": "112"},
        {"lat": "26.9", "long": ""},
        {"lat": "NaN", "long": "Infinity"},
        {"address_string": "地" * 201},
        {"first_name": "<b>x</b>"},
    ],
)
def test_bad_requests_are_400_and_nothing_is_stored(client, app, roads, overrides):
    check_error(client.post("/open311/v2/requests.json", form(app, **overrides)), 400)
    assert not Suggestion.objects.exists() and not WorkOrder.objects.exists()


def test_sql_looking_text_is_filed_as_text(client, app, roads):
    text = "1'; DELETE FROM suggestions_case; --"
    assert client.post("/open311/v2/requests.json", form(app, description=text)).status_code == 201
    assert Suggestion.objects.get().content.startswith(text)


def test_an_oversized_body_is_413(client, app, roads):
    body = json.dumps(form(app, description="x" * 70_000))
    response = client.post("/open311/v2/requests.json", body, content_type="application/json")
    check_error(response, 413)
    assert not Suggestion.objects.exists()


def test_malformed_json_is_400(client, app, roads):
    for body in ("{", "[1]", "{" * 5000):
        response = client.post("/open311/v2/requests.json", body, content_type="application/json")
        check_error(response, 400)


def test_other_methods_are_refused(client, roads):
    assert client.put("/open311/v2/requests.json").status_code == 405
    assert client.post("/open311/v2/services.json").status_code == 405
