"""The deputies' API from the outside: the reception ledger and formal deputy
suggestions, each deputy seeing only their own.

Dora (刘代表, the deputy_user account) and Eve (易代表) are placed at the Xidu station
and sit in the Hengyang county congress; Wang is placed there without an account; Yun
is a Hengnan deputy with an account of his own.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from stations.models import Reception
from suggestions import deputy_suggestions as ds
from suggestions.models import CoSigner, DeputySuggestion, ReceptionMatter, Suggestion
from tests.factories import CongressFactory, DeputyFactory, make_user, place, seat

RECEPTIONS = reverse("suggestions:api_receptions")
SUGGESTIONS = reverse("suggestions:api_deputy_suggestions")
PHONE = "13800138000"

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def reception_url(reception) -> str:
    return reverse("suggestions:api_reception", args=[reception.pk])


def suggestion_url(suggestion, action="") -> str:
    name = f"api_deputy_suggestion_{action}" if action else "api_deputy_suggestion"
    return reverse(f"suggestions:{name}", args=[suggestion.pk])


@pytest.fixture
def congress(hengyang_county):
    return CongressFactory(region=hengyang_county, level="county")


@pytest.fixture
def eve(xidu, station, congress):
    deputy = DeputyFactory(
        code="EVE001", name="易代表", region=xidu, user=make_user("eve", role="deputy")
    )
    place(deputy, station)
    seat(deputy, congress)
    return deputy


@pytest.fixture
def dora(addressed_deputy, station, congress, eve):
    place(addressed_deputy, station)
    seat(addressed_deputy, congress)
    return addressed_deputy


@pytest.fixture
def yun(hengnan_county, other_station):
    deputy = DeputyFactory(
        code="YUN001", name="云代表", region=hengnan_county, user=make_user("yun", role="deputy")
    )
    place(deputy, other_station)
    return deputy


@pytest.fixture
def api(dora, deputy_user):
    return client_for(deputy_user)


def reception_body(station, deputies, roads, overrides=None):
    return {
        "station": station.code,
        "date": f"{dt.date.today():%Y-%m-%d}",
        "deputies": [d.code for d in deputies],
        "visitors": 6,
        "summary": "",
        "matters": [
            {
                "content": "梅花村村口道路坑洼积水",
                "category": roads.code,
                "name": "张三",
                "phone": PHONE,
            },
            {
                "content": "咨询低保政策",
                "category": roads.code,
                "handling": "answered_on_spot",
                "answer": "已当场解释政策",
                "name": "李四",
                "phone": "13900139000",
            },
        ],
    } | (overrides or {})


# --- Receptions -------------------------------------------------------------------------


def test_a_deputy_logs_a_reception_and_a_matter_becomes_an_opinion(api, station, dora, eve, roads):
    response = api.post(RECEPTIONS, reception_body(station, [dora, eve], roads), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["station"] == {"code": "XD001", "name": station.name}
    assert sorted(body["deputies"]) == sorted(["刘代表", "易代表"])
    passed_on, on_spot = body["matters"]
    suggestion = Suggestion.objects.get()
    assert suggestion.channel == "reception"
    assert passed_on["suggestion"]["tracking_code"] == suggestion.tracking_code
    assert passed_on["constituent"]["name"] == "张*"
    assert on_spot["suggestion"] is None and on_spot["constituent"]["phone"] == "139****9000"
    text = response.content.decode()
    assert PHONE not in text and "张三" not in text and "李四" not in text
    assert api.get(reception_url(Reception.objects.get())).status_code == 200


def test_a_retried_post_with_its_key_logs_one_reception(api, station, dora, roads):
    body = reception_body(station, [dora], roads)
    first = api.post(RECEPTIONS, body, format="json", headers={"Idempotency-Key": "r-1"})
    again = api.post(RECEPTIONS, body, format="json", headers={"Idempotency-Key": "r-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Reception.objects.count() == 1 and Suggestion.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"matters": []}, "matters"),
        ({"visitors": None}, "visitors"),
        ({"visitors": -1}, "visitors"),
        ({"deputies": []}, "deputies"),
        ({"deputies": ["NOBODY"]}, "deputies"),
        ({"station": "YJ001"}, "station"),
        ({"station": "NOPE"}, "station"),
        ({"date": "2999-01-01"}, "date"),
        ({"summary": "<script>alert(1)</script>"}, "summary"),
        ({"matters": [{"content": "<b>x</b>", "category": "roads"}]}, "matters-0-content"),
        ({"matters": [{"content": "路" * 2001, "category": "roads"}]}, "matters-0-content"),
        ({"matters": [{"content": "x", "category": "nope"}]}, "matters.0.category"),
        ({"matters": [{"content": "x", "category": "roads", "phone": "123"}]}, "matters-0-phone"),
    ],
)
def test_a_bad_reception_is_refused_and_nothing_is_stored(
    api, station, other_station, dora, roads, overrides, field
):
    response = api.post(
        RECEPTIONS, reception_body(station, [dora], roads, overrides), format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert not Reception.objects.exists() and not ReceptionMatter.objects.exists()
    assert not Suggestion.objects.exists()


def test_another_deputy_sees_none_of_it(api, station, dora, roads, yun):
    api.post(RECEPTIONS, reception_body(station, [dora], roads), format="json")
    reception = Reception.objects.get()
    other = client_for(yun.user)
    assert other.get(RECEPTIONS).json()["count"] == 0
    assert other.get(reception_url(reception)).status_code == 404


@pytest.mark.parametrize("who", ["anonymous", "handler", "clerk", "unlinked_deputy"])
def test_only_linked_deputies_reach_the_deputy_api(who, department_user, county_clerk):
    user = {
        "anonymous": None,
        "handler": department_user,
        "clerk": county_clerk,
        "unlinked_deputy": make_user("ghost", role="deputy"),
    }[who]
    client = client_for(user)
    for url in (RECEPTIONS, SUGGESTIONS):
        response = client.get(url)
        assert response.status_code == (401 if user is None else 403)
        assert set(response.json()) == {"detail", "code"}


def test_the_reception_list_runs_the_same_queries_for_2_or_12(api, station, dora, eve, roads):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(RECEPTIONS).status_code == 200
        return len(captured)

    body = reception_body(station, [dora, eve], roads)
    for _i in range(2):
        api.post(RECEPTIONS, body, format="json")
    few = queries()
    for _i in range(10):
        api.post(RECEPTIONS, body, format="json")
    assert queries() == few
    assert api.get(RECEPTIONS).json()["count"] == 12


# --- Deputy suggestions -------------------------------------------------------------------


def draft_body(congress, overrides=None):
    return {
        "congress": congress.pk,
        "title": "关于改善黄高线路况的建议",
        "content": "黄高线多处路面破损，建议列入年度养护计划。",
        "category": "roads",
    } | (overrides or {})


def test_draft_invite_cosign_and_submit(api, congress, eve, roads, deputy_user):
    response = api.post(SUGGESTIONS, draft_body(congress), format="json")
    assert response.status_code == 201, response.content
    draft = response.json()
    assert draft["status"] == "draft" and draft["is_author"] is True
    assert set(draft["actions"]) == {"edit", "invite", "submit"}
    suggestion = DeputySuggestion.objects.get()

    invited = api.post(
        suggestion_url(suggestion, "invite"), {"deputies": ["eve001"]}, format="json"
    )
    assert invited.status_code == 200
    assert invited.json()["cosigners"] == [
        {"code": "EVE001", "name": "易代表", "status": "invited"}
    ]

    eve_api = client_for(eve.user)
    row = eve_api.get(SUGGESTIONS, {"waiting": "true"}).json()["results"][0]
    assert row["id"] == suggestion.pk and row["my_cosign"] == "invited"
    assert eve_api.post(suggestion_url(suggestion, "submit"), format="json").status_code == 400
    assert (
        eve_api.put(suggestion_url(suggestion), draft_body(congress), format="json").status_code
        == 400
    )
    confirmed = eve_api.post(
        suggestion_url(suggestion, "cosign"), {"answer": "confirm"}, format="json"
    )
    assert confirmed.status_code == 200
    assert CoSigner.objects.get().status == "confirmed"

    submitted = api.post(suggestion_url(suggestion, "submit"), format="json")
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted"
    assert api.post(suggestion_url(suggestion, "submit"), format="json").status_code == 400
    edited = api.put(
        suggestion_url(suggestion), draft_body(congress, {"title": "改"}), format="json"
    )
    assert edited.status_code == 400
    suggestion.refresh_from_db()
    assert suggestion.title == "关于改善黄高线路况的建议"


def test_a_deputy_not_invited_gets_a_404(api, congress, roads, yun, deputy_user):
    suggestion_id = api.post(SUGGESTIONS, draft_body(congress), format="json").json()["id"]
    suggestion = DeputySuggestion.objects.get(pk=suggestion_id)
    other = client_for(yun.user)
    assert other.get(SUGGESTIONS).json()["count"] == 0
    assert other.get(suggestion_url(suggestion)).status_code == 404
    for action in ("submit", "cosign", "rate", "invite"):
        response = other.post(suggestion_url(suggestion, action), {}, format="json")
        assert response.status_code == 404
    suggestion.refresh_from_db()
    assert suggestion.status == "draft"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "<script>x</script>"}, "title"),
        ({"title": "长" * 101}, "title"),
        ({"content": ""}, "content"),
        ({"congress": 999999}, "congress"),
        ({"congress": "one"}, "congress"),
        ({"category": "nope"}, "category"),
        ({"timing": "whenever"}, "timing"),
        ({"source_cases": [999999]}, "source_cases"),
    ],
)
def test_a_bad_draft_is_refused(api, congress, roads, overrides, field):
    response = api.post(SUGGESTIONS, draft_body(congress, overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not DeputySuggestion.objects.exists()


def test_a_congress_the_deputy_does_not_sit_in_is_refused(api, hengnan_county, roads):
    other = CongressFactory(region=hengnan_county, level="county")
    response = api.post(SUGGESTIONS, draft_body(other), format="json")
    assert response.status_code == 400
    assert "congress" in response.json()["errors"]
    assert not DeputySuggestion.objects.exists()


def test_inviting_a_deputy_of_another_congress_is_refused(api, congress, roads, yun):
    suggestion_id = api.post(SUGGESTIONS, draft_body(congress), format="json").json()["id"]
    response = api.post(
        reverse("suggestions:api_deputy_suggestion_invite", args=[suggestion_id]),
        {"deputies": ["YUN001"]},
        format="json",
    )
    assert response.status_code == 400
    assert not CoSigner.objects.exists()


def test_the_suggestion_list_runs_the_same_queries_for_2_or_12(api, congress, roads, deputy_user):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(SUGGESTIONS).status_code == 200
        return len(captured)

    for i in range(2):
        ds.deputy_suggestion_draft(
            user=deputy_user, congress=congress, title=f"建议{i}", content="内容"
        )
    few = queries()
    for i in range(10):
        ds.deputy_suggestion_draft(
            user=deputy_user, congress=congress, title=f"又{i}", content="内容"
        )
    assert queries() == few
    assert api.get(SUGGESTIONS, {"status": "draft"}).json()["count"] == 12
    assert api.get(SUGGESTIONS, {"status": "submitted"}).json()["count"] == 0
