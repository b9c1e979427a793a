"""The department API from the outside: a handler's items, one item (the constituent
masked), reply and return — and what every other role gets.

Dan handles the Hengyang county transport bureau's items; Erin the county water
bureau's; Frank the Hengnan bureau's next door.
"""

import threading

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from suggestions import services
from suggestions.models import Assignment, Case, Reply
from tests.factories import make_user

LIST = reverse("suggestions:api_work_items")
NAME, PHONE = "张三", "13800138000"

pytestmark = pytest.mark.django_db


def item_url(case, action=""):
    name = {"": "api_work_item", "reply": "api_work_reply", "return": "api_work_return"}[action]
    return reverse(f"suggestions:{name}", args=[case.pk])


def client_for(user) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def assigned(submit, roads_rule):
    """An opinion routed to Dan's bureau by the roads rule."""
    suggestion = submit()
    services.case_route(case_id=suggestion.pk)
    return suggestion


@pytest.fixture
def dan(department_user, transport_bureau):
    return client_for(department_user)


def test_the_handler_lists_the_bureaus_items_without_personal_data(dan, assigned):
    response = dan.get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["id"] == assigned.pk and row["reference"] == f"#{assigned.pk}"
    assert row["status"] == "assigned" and row["role"] == "lead"
    assert row["department"] == "衡阳县交通运输局"
    text = response.content.decode()
    assert assigned.tracking_code not in text and NAME not in text and PHONE not in text
    assert "no-store" in response["Cache-Control"]


def test_the_item_shows_the_constituent_masked_as_the_page_does(dan, assigned):
    response = dan.get(item_url(assigned))
    assert response.status_code == 200
    body = response.json()
    assert body["constituent"] == {
        "name": "张*",
        "phone": "138****8000",
        "do_not_contact": False,
        "anonymised": False,
    }
    assert body["actions"] == ["reply", "return"]
    assert body["held"]["role"] == "lead"
    assert [event["kind"] for event in body["events"]] == ["received", "routed"]
    text = response.content.decode()
    assert assigned.tracking_code not in text and PHONE not in text and NAME not in text


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 401), ("deputy", 403), ("clerk", 403), ("admin", 403), ("no_department", 403)],
)
def test_only_handlers_reach_the_department_api(
    who, expected, assigned, deputy_user, county_clerk, admin_user
):
    user = {
        "anonymous": None,
        "deputy": deputy_user,
        "clerk": county_clerk,
        "admin": admin_user,
        "no_department": make_user("nobody", role="department"),
    }[who]
    client = client_for(user)
    for url in (LIST, item_url(assigned)):
        response = client.get(url)
        assert response.status_code == expected
        assert set(response.json()) == {"detail", "code"}
    response = client.post(item_url(assigned, "reply"), {"text": "已处理"}, format="json")
    assert response.status_code == expected
    assert not Reply.objects.exists()


@pytest.mark.parametrize("bureau", ["water_bureau", "other_bureau"])
def test_another_departments_handler_neither_sees_nor_answers_the_item(request, bureau, assigned):
    other = request.getfixturevalue(bureau).users.get()
    client = client_for(other)
    assert client.get(LIST).json()["count"] == 0
    assert client.get(item_url(assigned)).status_code == 404
    response = client.post(item_url(assigned, "reply"), {"text": "不是我们的"}, format="json")
    assert response.status_code == 404
    response = client.post(item_url(assigned, "return"), {"reason": "不归我们"}, format="json")
    assert response.status_code == 404
    assert not Reply.objects.exists()
    assert Assignment.objects.get().status == "active"


def test_the_lead_replies_and_the_constituent_can_rate(dan, assigned):
    response = dan.post(
        item_url(assigned, "reply"),
        {"text": "已安排施工队本周内修复。", "internal_note": "预算已批"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "replied" and body["actions"] == []
    assert body["replies"][0]["text"] == "已安排施工队本周内修复。"
    assigned.refresh_from_db()
    assert assigned.status == Case.Status.REPLIED
    again = dan.post(item_url(assigned, "reply"), {"text": "再答一次"}, format="json")
    assert again.status_code == 409
    assert Reply.objects.count() == 1


def test_a_session_works_with_its_csrf_token(assigned, department_user, transport_bureau):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(department_user)
    assert client.get(LIST).status_code == 200
    response = client.post(item_url(assigned, "reply"), {"text": "已处理"}, format="json")
    assert response.status_code == 403  # no CSRF token
    assert not Reply.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "public_text"),
        ({"text": "   "}, "public_text"),
        ({"text": "<script>alert(1)</script>"}, "non_field_errors"),
        ({"text": "修" * 2001}, "text"),
        ({"text": ["a"]}, "text"),
    ],
)
def test_a_bad_reply_is_refused_and_nothing_is_stored(dan, assigned, body, field):
    response = dan.post(item_url(assigned, "reply"), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Reply.objects.exists()
    assigned.refresh_from_db()
    assert assigned.status == Case.Status.ASSIGNED


def test_malformed_json_is_refused(dan, assigned):
    response = dan.post(item_url(assigned, "reply"), '{"text": "x', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert not Reply.objects.exists()


def test_sql_looking_text_is_stored_verbatim(dan, assigned):
    text = "'; DELETE FROM suggestions_reply; --"
    assert dan.post(item_url(assigned, "reply"), {"text": text}, format="json").status_code == 200
    assert Reply.objects.get().public_text == text


def test_returning_needs_a_reason_and_sends_the_item_back(dan, assigned):
    response = dan.post(item_url(assigned, "return"), {"reason": ""}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    response = dan.post(item_url(assigned, "return"), {"reason": "应由乡镇处理"}, format="json")
    assert response.status_code == 204
    assigned.refresh_from_db()
    assert assigned.status == Case.Status.RECEIVED
    assert Assignment.objects.get().status == "returned"
    # A returned share no longer reads the item.
    assert dan.get(item_url(assigned)).status_code == 404


def test_filters_status_overdue_and_due_dates(dan, submit, roads_rule):
    items = [submit(title=f"第{i}件") for i in range(3)]
    for item in items:
        services.case_route(case_id=item.pk)
    late = Assignment.objects.get(case=items[0])
    late.due_date = late.due_date.replace(year=2000)
    late.save(update_fields=["due_date"])
    overdue = dan.get(LIST, {"overdue": "true"}).json()
    assert [row["id"] for row in overdue["results"]] == [items[0].pk]
    assert dan.get(LIST, {"overdue": "false"}).json()["count"] == 2
    assert dan.get(LIST, {"due_before": "2001-01-01"}).json()["count"] == 1
    assert dan.get(LIST, {"status": "reopened"}).json()["count"] == 0
    assert dan.get(LIST, {"status": "assigned"}).json()["count"] == 3
    assert dan.get(LIST, {"status": "nonsense"}).status_code == 400
    assert dan.get(LIST, {"due_after": "not-a-date"}).status_code == 400
    first = dan.get(LIST, {"limit": 1}).json()
    assert first["count"] == 3 and len(first["results"]) == 1 and first["next"]
    assert first["results"][0]["id"] == items[0].pk  # nearest (overdue) first
    assert dan.get(LIST, {"sort": "-due"}).json()["results"][-1]["id"] == items[0].pk


def test_the_list_runs_the_same_queries_for_3_or_30_items(
    dan, submit, roads_rule, django_assert_num_queries
):
    def count_queries() -> int:
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert dan.get(LIST).status_code == 200
        return len(captured)

    for i in range(3):
        services.case_route(case_id=submit(title=f"第{i}件").pk)
    few = count_queries()
    for i in range(27):
        services.case_route(case_id=submit(title=f"又{i}件").pk)
    assert count_queries() == few
    assert few <= 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_replies_at_once_make_one(submit, roads_rule, department_user):
    suggestion = submit()
    services.case_route(case_id=suggestion.pk)
    token = Token.objects.create(user=department_user)
    barrier = threading.Barrier(2)
    codes = []

    def reply(text):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        barrier.wait()
        try:
            codes.append(
                client.post(
                    item_url(suggestion, "reply"), {"text": text}, format="json"
                ).status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=reply, args=(text,)) for text in ("答复一", "答复二")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes)[0] == 200 and sorted(codes)[1] in (400, 409)
    assert Reply.objects.filter(case=suggestion).count() == 1
