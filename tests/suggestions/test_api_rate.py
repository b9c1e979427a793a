"""Rating a reply through the API (回访): the constituent with the tracking code and the
phone's last four digits, only while the reply waits, once per round."""

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from suggestions import services
from suggestions.models import Case, FollowUp

RATE = reverse("suggestions:api_rate")
PHONE = "13800138000"

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient(enforce_csrf_checks=True)


@pytest.fixture
def opinion(submit, roads_rule):
    suggestion = submit()
    services.case_route(case_id=suggestion.pk)
    return suggestion


@pytest.fixture
def replied(opinion, roads_rule, department_user):
    services.case_reply(
        case=opinion,
        department=roads_rule.department,
        author=department_user,
        public_text="已安排施工队本周内修复。",
        internal_note="内部备注",
    )
    return opinion


def rate(api, suggestion, **overrides):
    body = {"code": suggestion.tracking_code, "phone": PHONE[-4:], "rating": "satisfied"}
    return api.post(RATE, body | overrides, format="json")


def test_the_submitter_rates_the_reply_and_the_item_closes(api, replied):
    response = rate(api, replied, comment="修得很快")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {
        "tracking_code": replied.tracking_code,
        "rating": "satisfied",
        "rating_display": body["rating_display"],
        "status": "closed",
        "reopened": False,
    }
    follow_up = FollowUp.objects.get()
    assert (follow_up.rating, follow_up.method, follow_up.comment) == (
        "satisfied",
        "link",
        "修得很快",
    )
    assert "no-store" in response["Cache-Control"]
    assert "张三" not in response.content.decode() and PHONE not in response.content.decode()


def test_unsatisfied_reopens_the_item_for_handling(api, replied):
    response = rate(api, replied, rating="unsatisfied", comment="还没修")
    assert response.status_code == 201
    assert response.json()["reopened"] is True
    replied.refresh_from_db()
    assert replied.status == Case.Status.REOPENED and replied.reopen_count == 1


def test_a_reply_is_rated_once(api, replied):
    assert rate(api, replied).status_code == 201
    again = rate(api, replied, rating="unsatisfied")
    assert again.status_code == 409
    assert again.json()["code"] == "not_waiting" and again.json()["detail"]
    assert FollowUp.objects.count() == 1


def test_nothing_can_be_rated_before_a_reply(api, opinion):
    response = rate(api, opinion)
    assert response.status_code == 409
    assert set(response.json()) == {"detail", "code"}
    assert not FollowUp.objects.exists()


def test_a_wrong_phone_and_an_unknown_code_look_the_same(api, replied):
    wrong_phone = rate(api, replied, phone="0000")
    unknown = api.post(
        RATE, {"code": "ABCDEFGHJKMN", "phone": "8000", "rating": "satisfied"}, format="json"
    )
    assert wrong_phone.status_code == unknown.status_code == 404
    assert wrong_phone.content == unknown.content
    assert not FollowUp.objects.exists()


def test_a_handler_signed_in_cannot_rate_without_the_code_and_phone(api, replied, department_user):
    # The public endpoint ignores sessions: the credentials are the code and the phone.
    api.force_login(department_user)
    response = api.post(RATE, {"code": replied.tracking_code, "rating": "satisfied"}, format="json")
    assert response.status_code == 400
    assert "phone" in response.json()["errors"]
    assert not FollowUp.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"rating": "great"}, "rating"),
        ({"rating": "not_rated"}, "rating"),
        ({"rating": ""}, "rating"),
        ({"comment": "<script>alert(1)</script>"}, "non_field_errors"),
        ({"comment": "好" * 501}, "comment"),
        ({"phone": "13800138000"}, "phone"),
        ({"code": ["X"]}, "code"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(api, replied, overrides, field):
    response = rate(api, replied, **overrides)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] and body["detail"]
    assert field in body["errors"]
    assert not FollowUp.objects.exists()
    replied.refresh_from_db()
    assert replied.status == Case.Status.REPLIED


def test_an_empty_body_names_every_missing_field(api):
    response = api.post(RATE, {}, format="json")
    assert response.status_code == 400
    assert {"code", "phone", "rating"} <= set(response.json()["errors"])


def test_malformed_json_is_a_400_in_the_shared_shape(api, replied):
    response = api.post(RATE, data='{"code": ', content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"detail", "code"}
    assert not FollowUp.objects.exists()


def test_an_oversized_body_is_refused(api, replied):
    body = json.dumps({"code": replied.tracking_code, "phone": "8000", "comment": "x" * 70000})
    response = api.post(RATE, data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_sql_looking_comments_are_stored_verbatim(api, replied):
    comment = "1' OR '1'='1'; DROP TABLE suggestions_followup;--"
    assert rate(api, replied, comment=comment).status_code == 201
    assert FollowUp.objects.get().comment == comment


def test_rating_counts_on_the_tracking_limit(api, replied, settings):
    settings.LIAISON_TRACK_RATE = "2/h"
    assert (
        api.get(
            reverse("suggestions:api_track"), {"code": replied.tracking_code, "phone": "8000"}
        ).status_code
        == 200
    )
    assert rate(api, replied, phone="0000").status_code == 404
    response = rate(api, replied)
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert not FollowUp.objects.exists()
