"""The public JSON API: categories, submitting an opinion, tracking it, rate limits."""

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from liaison.models import Notification
from suggestions import services
from suggestions.models import Category, Event, Suggestion

CATEGORIES = reverse("suggestions:api_categories")
SUBMIT = reverse("suggestions:api_submit")
TRACK = reverse("suggestions:api_track")

NAME = "张三"
PHONE = "13800138000"
MISSING = object()

pytestmark = pytest.mark.django_db


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture
def api():
    # CSRF enforced as for a real browser: the public API must not need a token.
    return APIClient(enforce_csrf_checks=True)


@pytest.fixture
def payload(station, roads):
    return {
        "station": station.code,
        "category": roads.code,
        "title": "村口道路坑洼",
        "content": "西渡镇梅花村村口道路坑洼积水，雨天无法通行，请尽快修复。",
        "name": NAME,
        "phone": PHONE,
        "consent": True,
    }


@pytest.fixture
def post(api, payload):
    """POST the valid payload with some fields changed (MISSING removes one)."""

    def _post(headers=None, **overrides):
        body = {key: value for key, value in (payload | overrides).items() if value is not MISSING}
        return api.post(SUBMIT, body, format="json", headers=headers or {})

    return _post


def track(api, code, phone=PHONE[-4:], forwarded_for=None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return api.get(TRACK, {"code": code, "phone": phone}, headers=headers)


# --- Categories -----------------------------------------------------------------------


def test_categories_are_the_active_ones_in_the_offices_order(
    api, roads, water, django_assert_max_num_queries
):
    water.sort_order = 1
    water.save()
    Category.objects.create(code="retired", name="已停用", is_active=False)
    with django_assert_max_num_queries(1):
        response = api.get(CATEGORIES)
    assert response.status_code == 200
    assert response.json() == [
        {"code": "water", "name": "饮水与水利"},
        {"code": "roads", "name": "道路交通"},
    ]


# --- Submitting -----------------------------------------------------------------------


def test_a_valid_submission_is_stored_with_a_receipt_sms(post, station, roads):
    response = post()
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"tracking_code", "status", "received_at", "track_url"}
    assert body["status"] == "received"
    assert body["track_url"].startswith("http://testserver/")
    assert body["track_url"].endswith(f"?code={body['tracking_code']}")
    text = response.content.decode()
    assert NAME not in text and PHONE not in text

    suggestion = Suggestion.objects.get()
    assert suggestion.tracking_code == body["tracking_code"]
    assert suggestion.channel == "api"
    assert suggestion.status == "received"
    assert (suggestion.station, suggestion.category) == (station, roads)
    assert (suggestion.name, suggestion.phone) == (NAME, PHONE)
    assert suggestion.consent_at is not None
    sms = Notification.objects.get(kind="receipt")
    assert sms.channel == "sms" and sms.address == PHONE
    assert suggestion.tracking_code in sms.body


def test_codes_are_read_as_people_type_them(post, station):
    response = post(station=f" {station.code.lower()} ", phone="+86 138-0013-8000")
    assert response.status_code == 201
    suggestion = Suggestion.objects.get()
    assert suggestion.station == station and suggestion.phone == PHONE


def test_a_retry_with_the_same_idempotency_key_makes_one_opinion(post):
    first = post(headers={"Idempotency-Key": "b7c1e0f4-retry"})
    again = post(headers={"Idempotency-Key": "b7c1e0f4-retry"})
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Suggestion.objects.count() == 1
    assert Notification.objects.filter(kind="receipt").count() == 1

    other = post(headers={"Idempotency-Key": "another-key"})
    assert other.status_code == 201
    assert other.json()["tracking_code"] != first.json()["tracking_code"]
    assert Suggestion.objects.count() == 2


def test_someone_else_using_the_same_key_gets_their_own_opinion(post):
    mine = post(headers={"Idempotency-Key": "1"})
    theirs = post(headers={"Idempotency-Key": "1"}, phone="13900139000")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["tracking_code"] != theirs.json()["tracking_code"]


def test_an_overlong_idempotency_key_is_refused(post):
    response = post(headers={"Idempotency-Key": "k" * 65})
    assert response.status_code == 400
    assert "idempotency_key" in response.json()["errors"]
    assert not Suggestion.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"content": ""}, "content"),
        ({"content": "路" * 2001}, "content"),
        ({"title": "<script>alert(1)</script>"}, "title"),
        ({"content": 'Look <img src=x onerror="alert(1)">'}, "content"),
        ({"phone": "12345"}, "phone"),
        ({"phone": ""}, "phone"),
        ({"consent": MISSING}, "consent"),
        ({"consent": False}, "consent"),
        ({"consent": "perhaps"}, "consent"),
        ({"station": "NOPE99"}, "station"),
        ({"station": ["XD001"]}, "station"),
        ({"station": MISSING}, "station"),
        ({"category": "nope"}, "category"),
        ({"category": MISSING}, "category"),
        ({"deputy": "NOBODY"}, "deputy"),
        ({"title": {"nested": "object"}}, "title"),
        ({"photos": ["data:image/png;base64,iVBORw0KGgo="]}, "photos"),
    ],
)
def test_bad_input_is_refused_per_field_and_nothing_is_stored(post, overrides, field):
    response = post(**overrides)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and body["detail"]
    errors = body["errors"]
    assert field in errors
    assert isinstance(errors[field], list) and errors[field]
    assert all(isinstance(message, str) and message for message in errors[field])
    assert not Suggestion.objects.exists()
    assert not Notification.objects.exists()


def test_several_mistakes_are_reported_together(post):
    response = post(title="", content="", consent=False)
    assert response.status_code == 400
    assert {"title", "content", "consent"} <= set(response.json()["errors"])


def test_an_inactive_station_is_refused(post, station):
    station.is_active = False
    station.save()
    response = post()
    assert response.status_code == 400
    assert "station" in response.json()["errors"]
    assert not Suggestion.objects.exists()


def test_an_inactive_category_is_refused(post, roads):
    roads.is_active = False
    roads.save()
    response = post()
    assert response.status_code == 400
    assert "category" in response.json()["errors"]
    assert not Suggestion.objects.exists()


def test_malformed_json_is_a_400(api):
    response = api.post(SUBMIT, data='{"title": "unfinished', content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()
    assert not Suggestion.objects.exists()


def test_json_nested_thousands_deep_is_a_400_not_a_crash(api):
    response = api.post(SUBMIT, data="[" * 30000, content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()
    assert not Suggestion.objects.exists()


def test_a_json_list_is_not_an_opinion(api, payload):
    response = api.post(SUBMIT, [payload], format="json")
    assert response.status_code == 400
    assert not Suggestion.objects.exists()


def test_an_oversized_body_is_refused_before_parsing(api, payload):
    body = json.dumps(payload | {"content": "x" * (65 * 1024)})
    response = api.post(SUBMIT, data=body, content_type="application/json")
    assert response.status_code == 413
    assert "detail" in response.json()
    assert not Suggestion.objects.exists()


def test_a_declared_oversized_body_is_refused_without_reading_it(api):
    # Past Django's 2.5 MB limit reading the body would itself fail: the declared
    # length alone decides.
    response = api.post(
        SUBMIT, data="{}", content_type="application/json", CONTENT_LENGTH="3000000"
    )
    assert response.status_code == 413
    assert not Suggestion.objects.exists()


def test_only_json_is_accepted(api, payload):
    response = api.post(SUBMIT, payload, format="multipart")
    assert response.status_code == 415
    assert not Suggestion.objects.exists()


def test_sql_looking_text_is_stored_verbatim(post):
    title = "Robert'); DROP TABLE suggestions_case;--"
    content = "1' OR '1'='1'; SELECT * FROM liaison_user WHERE ''=''"
    response = post(title=title, content=content, name="O'Brien")
    assert response.status_code == 201
    suggestion = Suggestion.objects.get()
    assert (suggestion.title, suggestion.content, suggestion.name) == (title, content, "O'Brien")


def test_a_deputy_code_addresses_the_opinion_to_that_deputy(post, addressed_deputy, xidu):
    response = post(station=MISSING, deputy=addressed_deputy.code.lower())
    assert response.status_code == 201
    suggestion = Suggestion.objects.get()
    assert suggestion.deputy == addressed_deputy
    assert suggestion.station is None
    assert suggestion.region == xidu
    kinds = list(suggestion.events.order_by("id").values_list("kind", flat=True))
    assert kinds == [Event.Kind.RECEIVED, Event.Kind.AWAITING_DEPUTY]
    inbox = Notification.objects.get(kind="addressed")
    assert inbox.recipient == addressed_deputy.user


# --- Tracking -------------------------------------------------------------------------


def test_tracking_shows_the_public_view_only(api, post, django_assert_max_num_queries):
    code = post().json()["tracking_code"]
    with django_assert_max_num_queries(4):
        response = track(api, code.lower())
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "tracking_code",
        "status",
        "status_display",
        "category",
        "title",
        "station",
        "received_at",
        "due_date",
        "events",
        "reply",
        "rating_url",
    }
    assert body["tracking_code"] == code
    assert body["status"] == "received"
    assert body["category"] == "道路交通"
    assert body["station"] == "西渡镇人大代表联络站"
    assert body["due_date"] is None
    assert body["reply"] is None and body["rating_url"] is None
    assert [event["kind"] for event in body["events"]] == ["received"]
    assert set(body["events"][0]) == {"kind", "kind_display", "text", "at"}
    text = response.content.decode()
    assert NAME not in text
    assert PHONE not in text and "138****8000" not in text
    assert "no-store" in response["Cache-Control"]


def test_an_unknown_code_and_a_wrong_phone_look_the_same(api, post):
    code = post().json()["tracking_code"]
    wrong_phone = track(api, code, phone="0000")
    unknown_code = track(api, "ABCDEFGHJKMN")
    assert wrong_phone.status_code == unknown_code.status_code == 404
    assert wrong_phone.content == unknown_code.content
    assert set(wrong_phone.json()) == {"detail", "code"}


@pytest.mark.parametrize("query", [{"code": "ABCDEFGHJKMN"}, {"phone": "8000"}])
def test_tracking_needs_a_code_and_a_phone(api, query):
    response = api.get(TRACK, query)
    assert response.status_code == 400
    assert {"code", "phone"} - set(query) <= set(response.json()["errors"])


def test_tracking_needs_the_last_four_digits_not_the_whole_number(api, post):
    code = post().json()["tracking_code"]
    response = track(api, code, phone=PHONE)
    assert response.status_code == 400
    assert "phone" in response.json()["errors"]


def test_after_a_reply_tracking_shows_it_and_the_rating_link(
    api, post, roads_rule, department_user, django_assert_max_num_queries
):
    code = post().json()["tracking_code"]
    suggestion = Suggestion.objects.get(tracking_code=code)
    services.case_route(case_id=suggestion.pk)
    services.case_reply(
        case=suggestion,
        department=roads_rule.department,
        author=department_user,
        public_text="已安排施工队本周内修复。",
        internal_note="预算已批，内部备注不得公开",
    )
    with django_assert_max_num_queries(4):
        response = track(api, code)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "replied"
    assert body["reply"]["text"] == "已安排施工队本周内修复。"
    assert set(body["reply"]) == {"text", "at"}
    assert body["due_date"]
    assert [event["kind"] for event in body["events"]] == ["received", "routed", "replied"]
    assert body["rating_url"].startswith("http://testserver/rate/")
    token = body["rating_url"].removeprefix("http://testserver/rate/").rstrip("/")
    assert services.case_for_rating_token(token).pk == suggestion.pk
    assert "内部备注" not in response.content.decode()
    assert NAME not in response.content.decode()

    services.case_rate(case=suggestion, rating="satisfied")
    rated = track(api, code).json()
    assert rated["status"] == "closed"
    assert rated["rating_url"] is None
    assert rated["reply"]["text"] == "已安排施工队本周内修复。"


def test_an_answer_on_the_spot_waits_for_its_rating_too(api, post, addressed_deputy, deputy_user):
    code = post(station=MISSING, deputy=addressed_deputy.code).json()["tracking_code"]
    suggestion = Suggestion.objects.get(tracking_code=code)
    services.suggestion_deputy_decide(
        suggestion=suggestion,
        user=deputy_user,
        decision=services.DeputyDecision.ON_SPOT,
        text="已与村委会联系，下周修复。",
    )
    body = track(api, code).json()
    assert body["status"] == "answered_on_spot"
    assert body["station"] is None
    assert body["reply"]["text"] == "已与村委会联系，下周修复。"
    assert "/rate/" in body["rating_url"]


# --- Rate limits ----------------------------------------------------------------------


def test_submitting_is_rate_limited_with_a_chinese_message(post, settings):
    settings.LIAISON_SUBMIT_RATE = "2/h"
    assert post().status_code == 201
    assert post(title="").status_code == 400  # refused attempts count too
    response = post()
    assert response.status_code == 429
    assert has_chinese(response.json()["detail"])
    assert int(response["Retry-After"]) > 0
    assert Suggestion.objects.count() == 1


def test_the_rate_limit_message_follows_the_chosen_language(api, post, settings):
    settings.LIAISON_SUBMIT_RATE = "1/h"
    post()
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = post()
    assert response.status_code == 429
    assert "throttled" in response.json()["detail"]


def test_tracking_is_rate_limited(api, post, settings):
    settings.LIAISON_TRACK_RATE = "2/h"
    code = post().json()["tracking_code"]
    assert track(api, code, phone="0000").status_code == 404
    assert track(api, code).status_code == 200
    response = track(api, code)
    assert response.status_code == 429
    assert has_chinese(response.json()["detail"])


def test_without_a_proxy_setting_a_made_up_forwarded_header_does_not_escape_the_limit(
    api, post, settings
):
    settings.LIAISON_TRACK_RATE = "1/h"
    code = post().json()["tracking_code"]
    assert track(api, code, forwarded_for="198.51.100.9").status_code == 200
    assert track(api, code, forwarded_for="198.51.100.10").status_code == 429


def test_behind_one_proxy_the_limit_counts_the_address_the_proxy_saw(api, post, settings):
    settings.LIAISON_TRACK_RATE = "1/h"
    settings.NUM_PROXIES = 1
    code = post().json()["tracking_code"]
    assert track(api, code, forwarded_for="1.1.1.1, 203.0.113.7").status_code == 200
    # A client cannot escape by making up the part of the header it controls …
    assert track(api, code, forwarded_for="2.2.2.2, 203.0.113.7").status_code == 429
    # … while another client behind the same proxy has its own allowance.
    assert track(api, code, forwarded_for="198.51.100.9").status_code == 200


def test_an_empty_rate_setting_switches_the_limit_off(api, post, settings):
    settings.LIAISON_TRACK_RATE = ""
    code = post().json()["tracking_code"]
    for _attempt in range(5):
        assert track(api, code).status_code == 200
