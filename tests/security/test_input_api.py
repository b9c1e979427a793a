# ruff: noqa: F811  (a test naming an imported fixture is not a redefinition)
"""Every write endpoint of the JSON API, tried with the catalogue of bad values.

The fields come from each endpoint's input serializer (its writable fields, and the
fields of nested serializers), so a field added later is tried too. Each request runs
in a savepoint rolled back afterwards. What must hold:

- never a server error;
- a value the field never accepts: 400 in the project's error shape,
  ``{"detail", "code", "errors"}``, naming the field (``matters.0.content`` for a nested
  one), in Chinese; a body over 64 KB is a 413 in the same shape; nothing is stored;
- text a person could type: refused as above, or stored exactly as sent.

Ballots (``tests/votes/test_api.py``) and the 12345 hotline's signed orders
(``tests/suggestions/test_hotline_inbound.py``) have their own tests of malformed input.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.urls import reverse
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from liaison.api import MAX_BODY_BYTES, TokenRequest
from suggestions import deputy_suggestions as ds
from suggestions import serializers as inputs_of
from suggestions import services
from suggestions.models import (
    Assignment,
    CoSigner,
    DeputySuggestion,
    Event,
    FollowUp,
    Reply,
    Suggestion,
)
from tests.factories import DeputyFactory, make_department, make_user, place, seat
from tests.security import inputs
from tests.security.input_world import (  # noqa: F401  (fixtures)
    at_once,
    bureau,
    congress,
    dora,
    opinion,
    roads,
    routed,
    rows_of,
    station,
    texts,
)
from tests.security.inputs import REFUSED, REFUSED_IF_REQUIRED, Bad

pytestmark = pytest.mark.django_db

GROUPS = ["empty", "oversized", "malformed", "script", "sql"]
TEXT_GROUPS = {
    "empty": [*inputs.EMPTY, inputs.NULL],
    "oversized": inputs.OVERSIZED,
    "malformed": [*inputs.MALFORMED_TEXT, inputs.LONE_SURROGATE, *inputs.WRONG_TYPES],
    "script": inputs.SCRIPT_TEXT,
    "sql": inputs.SQL_TEXT,
}
NOT_A_CODE = [*inputs.NOT_A_CHOICE, *inputs.WRONG_TYPES]
OTHER_KINDS = {
    "code": NOT_A_CODE,
    "id": inputs.WRONG_TYPES_FOR_ID,
    "date": [*inputs.NOT_A_DATE, *inputs.WRONG_TYPES],
    "boolean": [Bad("word", "maybe", REFUSED), Bad("list", [], REFUSED), Bad("two", 2, REFUSED)],
    "list": inputs.NOT_A_LIST,
    "dict": [
        Bad("list", ["x"], REFUSED),
        Bad("string", "x", REFUSED),
        Bad("bad-key", {"abc": "好"}, REFUSED),
        Bad("nul-value", {"1": inputs.NUL}, REFUSED),
    ],
}


@dataclass
class Endpoint:
    """An API write: who calls it, a valid body, its input serializer."""

    client: APIClient
    url: str
    data: dict
    serializer: type[serializers.Serializer]
    rows: Callable[[], tuple]
    method: str = "post"
    required: set[str] = field(default_factory=set)  # required by the service
    codes: set[str] = field(default_factory=set)  # text fields that are not free text
    limits: dict[str, int] = field(default_factory=dict)
    # Other keys the errors of a field come under: the service's own name for it, or
    # non_field_errors where it refuses markup without naming the field.
    aliases: dict[str, set[str]] = field(default_factory=dict)
    skip: set[str] = field(default_factory=set)  # fields other tests own
    lookup: bool = False  # refusals say nothing about which field (sign-in)
    misses: dict[str, int] = field(default_factory=dict)  # a lookup's "not found" status
    stored: Callable[[], str] = str

    def send(self, data):
        # ASCII escapes, so a lone surrogate travels as "\\ud800" as a client would send it.
        body = json.dumps(data, ensure_ascii=True)
        return self.client.generic(self.method.upper(), self.url, body, "application/json")


def kind_of(api_field: serializers.Field) -> str:
    if isinstance(api_field, serializers.BooleanField):
        return "boolean"
    if isinstance(api_field, serializers.DateField):
        return "date"
    if isinstance(api_field, serializers.IntegerField | serializers.PrimaryKeyRelatedField):
        return "id"
    if isinstance(api_field, serializers.ListField):
        return "list"
    if isinstance(api_field, serializers.DictField):
        return "dict"
    if isinstance(api_field, serializers.RelatedField | serializers.ChoiceField):
        return "code"
    if isinstance(api_field, serializers.RegexField):
        return "code"
    return "text"


def fields_of(endpoint: Endpoint) -> list[tuple[tuple, serializers.Field]]:
    """(path, field) of every writable field, nested serializers' fields included."""
    found = []
    for name, api_field in endpoint.serializer().fields.items():
        if api_field.read_only or name in endpoint.skip:
            continue
        if isinstance(api_field, serializers.ListSerializer):
            for child_name, child in api_field.child.fields.items():
                found.append(((name, 0, child_name), child))
        else:
            found.append(((name,), api_field))
    assert found
    return found


def values_for(endpoint: Endpoint, path: tuple, api_field, group: str) -> list[Bad]:
    name = ".".join(str(part) for part in path)
    kind = "code" if name in endpoint.codes else kind_of(api_field)
    if kind != "text":
        return OTHER_KINDS[kind] if group == "malformed" else []
    values = list(TEXT_GROUPS[group])
    if group == "oversized":
        limit = endpoint.limits.get(name) or api_field.max_length
        if limit:
            values.append(inputs.over(limit))
    return values


def with_value(data: dict, path: tuple, value) -> dict:
    changed = json.loads(json.dumps(data))
    target = changed
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return changed


@pytest.fixture(autouse=True)
def _no_limits(settings):
    settings.LIAISON_SUBMIT_RATE = settings.LIAISON_TRACK_RATE = ""
    settings.LIAISON_TOKEN_RATE = ""
    from django.core.cache import cache

    cache.clear()


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize(
    "endpoint_name",
    [
        "submit",
        "rate",
        "token",
        "reception_log",
        "deputy_suggestion_create",
        "deputy_suggestion_edit",
        "deputy_suggestion_invite",
        "deputy_suggestion_cosign",
        "department_reply",
        "department_return",
        "staff_assign",
    ],
)
def test_every_field_refuses_bad_input_in_the_error_shape(request, endpoint_name, group):
    endpoint: Endpoint = request.getfixturevalue(f"api_{endpoint_name}")
    with transaction.atomic():
        before = endpoint.rows()
        valid = endpoint.send(endpoint.data)
        assert valid.status_code < 300, f"the valid body failed: {valid.content[:300]}"
        assert endpoint.lookup or endpoint.rows() != before, "the valid body stored nothing"
        transaction.set_rollback(True)
    problems = []
    for path, api_field in fields_of(endpoint):
        for bad in values_for(endpoint, path, api_field, group):
            with transaction.atomic():
                problem = _try(endpoint, path, bad)
                transaction.set_rollback(True)
            if problem:
                problems.append(f"{'.'.join(map(str, path))}={bad}: {problem}")
    assert not problems, "\n".join(problems)


def _try(endpoint: Endpoint, path: tuple, bad: Bad) -> str:
    name = ".".join(str(part) for part in path)
    body = with_value(endpoint.data, path, bad.value)
    before = endpoint.rows()
    response = endpoint.send(body)
    if response.status_code >= 500:
        return f"server error {response.status_code}"
    if response.status_code < 300:
        return _accepted(endpoint, name, bad)
    if not response["Content-Type"].startswith("application/json"):
        return f"not JSON: {response['Content-Type']}"
    answer = response.json()
    if endpoint.rows() != before:
        return "refused, but something was stored"
    if not (isinstance(answer.get("detail"), str) and isinstance(answer.get("code"), str)):
        return f"not the error shape: {answer}"
    if not inputs.has_chinese(answer["detail"]):
        return f"detail not in Chinese: {answer['detail']}"
    if response.status_code == 413:
        too_big = len(json.dumps(body).encode()) > MAX_BODY_BYTES
        return "" if too_big and answer["code"] == "payload_too_large" else "413 for a small body"
    if response.status_code == endpoint.misses.get(name):
        return ""
    if response.status_code != 400:
        return f"status {response.status_code}: {answer}"
    if endpoint.lookup:
        return ""
    errors = answer.get("errors", {})
    names = {name, *endpoint.aliases.get(name, ())}
    named = [key for key in errors if key in names or key.startswith(f"{name}.")]
    if not named:
        return f"the field is not named: {answer}"
    messages = [message for key in named for message in errors[key]]
    if not all(inputs.has_chinese(message) for message in messages):
        return f"message not in Chinese: {messages}"
    return ""


def _accepted(endpoint: Endpoint, name: str, bad: Bad) -> str:
    required = bad.outcome == REFUSED_IF_REQUIRED and name in endpoint.required
    if bad.outcome == REFUSED or required:
        return "accepted"
    typed = bad.value.strip() if isinstance(bad.value, str) else ""
    if typed and typed not in endpoint.stored():
        return f"not stored as sent: {endpoint.stored()[:200]!r}"
    return ""


def test_text_kept_as_typed_comes_back_verbatim_as_json_never_as_a_page(api_submit):
    title = f"{inputs.SQL_QUOTE} {inputs.FORMULA} 1<2 & 3>2"
    response = api_submit.send(api_submit.data | {"title": title})
    assert response.status_code == 201, response.content
    code = response.json()["tracking_code"]
    track = APIClient().get(reverse("suggestions:api_track"), {"code": code, "phone": "8000"})
    assert track.json()["title"] == title
    assert track["Content-Type"] == "application/json"
    assert track["X-Content-Type-Options"] == "nosniff"


# --- Raw bodies ---------------------------------------------------------------------------


@pytest.mark.parametrize("body_id", list(inputs.RAW_BODIES))
@pytest.mark.parametrize("endpoint_name", ["submit", "reception_log", "department_reply"])
def test_a_body_that_is_not_json_or_not_an_object_is_a_400_in_the_shape(
    request, endpoint_name, body_id
):
    endpoint: Endpoint = request.getfixturevalue(f"api_{endpoint_name}")
    before = endpoint.rows()
    method = getattr(endpoint.client, endpoint.method)
    response = method(endpoint.url, inputs.RAW_BODIES[body_id], content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    answer = response.json()
    assert set(answer) <= {"detail", "code", "errors"} and inputs.has_chinese(answer["detail"])
    assert endpoint.rows() == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/stations/?search=%00",
        "/api/v1/deputies/?region=43%00",
        "/api/v1/suggestions/track/?code=%00&phone=8000",
        "/api/v1/stations/%00/",
        "/api/v1/projects/?ordering=%00",
    ],
)
def test_a_nul_in_the_address_or_query_is_a_400_in_the_shape(db, path):
    response = APIClient().get(path)
    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == "null_characters_not_allowed" and inputs.has_chinese(answer["detail"])


def test_a_nul_in_the_username_is_a_wrong_sign_in_not_a_crash(db, deputy_user):
    client = APIClient()
    body = {"username": f"{deputy_user.username}\x00", "password": "correct horse battery"}
    response = client.post(reverse("api_token"), body, format="json")
    assert response.status_code == 400 and response.json()["code"] == "authorization"
    assert not Token.objects.exists()


# --- The endpoints ------------------------------------------------------------------------


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def api_submit(station, roads) -> Endpoint:
    return Endpoint(
        client=APIClient(enforce_csrf_checks=True),
        url=reverse("suggestions:api_submit"),
        data={
            "station": station.code,
            "category": roads.code,
            "title": "村口道路坑洼",
            "content": "西渡镇梅花村村口道路坑洼积水，雨天无法通行。",
            "name": "张三",
            "phone": "13800138000",
            "consent": True,
        },
        serializer=inputs_of.SuggestionSubmitSerializer,
        rows=rows_of(Suggestion),
        required={"category", "title", "content", "phone", "consent"},
        codes={"phone"},
        limits={"title": 100, "content": 2000, "name": 50},
        stored=lambda: texts(Suggestion, "title", "content", "name"),
    )


@pytest.fixture
def api_rate(station, roads, bureau, department_user) -> Endpoint:
    item = opinion(station, roads)
    services.case_route(case_id=item.pk)
    services.case_reply(
        case=item, department=bureau, author=department_user, public_text="已安排修复。"
    )
    return Endpoint(
        client=APIClient(),
        url=reverse("suggestions:api_rate"),
        data={"code": item.tracking_code, "phone": "8000", "rating": "satisfied", "comment": "好"},
        serializer=inputs_of.RateSerializer,
        rows=rows_of(FollowUp),
        required={"code", "phone", "rating"},
        codes={"code", "rating"},
        aliases={"comment": {"non_field_errors"}},
        misses={"code": 404},  # as tracking: an unknown code is "not found"
        stored=lambda: texts(FollowUp, "comment"),
    )


@pytest.fixture
def api_token(deputy_user) -> Endpoint:
    return Endpoint(
        client=APIClient(),
        url=reverse("api_token"),
        data={"username": deputy_user.username, "password": "correct horse battery"},
        serializer=TokenRequest,
        rows=lambda: (Token.objects.count(),),
        lookup=True,
        skip={"otp"},  # the second factor's tests try it (tests/liaison)
    )


@pytest.fixture
def api_reception_log(dora, deputy_user, station, roads) -> Endpoint:
    from stations.models import Reception
    from suggestions.models import ReceptionMatter

    return Endpoint(
        client=token_client(deputy_user),
        url=reverse("suggestions:api_receptions"),
        data={
            "station": station.code,
            "date": "2025-03-08",
            "deputies": [dora.code],
            "visitors": 12,
            "summary": "与镇政府联合接待",
            "matters": [
                {
                    "content": "村口路灯不亮，晚上出行不便。",
                    "category": roads.code,
                    "handling": "answered_on_spot",
                    "answer": "已当场答复：下周修复。",
                    "name": "李四",
                    "phone": "13900139000",
                }
            ],
        },
        serializer=inputs_of.ReceptionInputSerializer,
        rows=rows_of(Reception, ReceptionMatter, Suggestion),
        required={
            "station",
            "date",
            "deputies",
            "visitors",
            "matters.0.content",
            "matters.0.category",
            "matters.0.answer",
        },
        codes={"matters.0.handling", "matters.0.phone"},
        # The service names a matter's fields as the page's formset does.
        aliases={
            f"matters.0.{name}": {f"matters-0-{name}"}
            for name in ("content", "category", "handling", "answer", "name", "phone")
        },
        stored=lambda: "\n".join(
            [texts(Reception, "summary"), texts(ReceptionMatter, "name", "content", "answer")]
        ),
    )


@pytest.fixture
def api_deputy_suggestion_create(dora, deputy_user, congress, roads) -> Endpoint:
    return Endpoint(
        client=token_client(deputy_user),
        url=reverse("suggestions:api_deputy_suggestions"),
        data={
            "congress": congress.pk,
            "title": "关于修复黄高公路的建议",
            "content": "黄高公路路面破损严重，建议列入今年养护计划。",
            "category": roads.code,
            "timing": "interim",
        },
        serializer=inputs_of.DeputySuggestionInputSerializer,
        rows=rows_of(DeputySuggestion),
        required={"title", "content"},
        codes={"timing"},
        limits={"title": 100, "content": 10_000},
        stored=lambda: texts(DeputySuggestion, "title", "content"),
    )


@pytest.fixture
def draft(dora, deputy_user, congress):
    return ds.deputy_suggestion_draft(
        user=deputy_user, congress=congress, title="关于路灯的建议", content="建议安装路灯。"
    )


@pytest.fixture
def eve(station, congress, xidu):
    deputy = DeputyFactory(
        code="EVE001", name="易代表", region=xidu, user=make_user("eve", role="deputy")
    )
    place(deputy, station)
    seat(deputy, congress)
    return deputy


def suggestion_url(suggestion, action="") -> str:
    name = f"api_deputy_suggestion_{action}" if action else "api_deputy_suggestion"
    return reverse(f"suggestions:{name}", args=[suggestion.pk])


@pytest.fixture
def api_deputy_suggestion_edit(draft, deputy_user) -> Endpoint:
    return Endpoint(
        client=token_client(deputy_user),
        url=suggestion_url(draft),
        method="put",
        data={"title": "关于路灯的建议（修改）", "content": "建议安装太阳能路灯。"},
        serializer=inputs_of.DeputySuggestionEditSerializer,
        rows=lambda: (texts(DeputySuggestion, "title", "content"),),
        required={"title", "content"},
        limits={"title": 100, "content": 10_000},
        stored=lambda: texts(DeputySuggestion, "title", "content"),
    )


@pytest.fixture
def api_deputy_suggestion_invite(draft, deputy_user, eve) -> Endpoint:
    return Endpoint(
        client=token_client(deputy_user),
        url=suggestion_url(draft, "invite"),
        data={"deputies": [eve.code]},
        serializer=inputs_of.InviteInputSerializer,
        rows=rows_of(CoSigner),
    )


@pytest.fixture
def api_deputy_suggestion_cosign(draft, deputy_user, eve) -> Endpoint:
    ds.deputy_suggestion_invite(suggestion=draft, user=deputy_user, deputies=[eve])
    return Endpoint(
        client=token_client(eve.user),
        url=suggestion_url(draft, "cosign"),
        data={"answer": "confirm"},
        serializer=inputs_of.CosignInputSerializer,
        rows=lambda: tuple(CoSigner.objects.values_list("status", flat=True)),
    )


def item_url(case, action: str) -> str:
    return reverse(f"suggestions:api_work_{action}", args=[case.pk])


@pytest.fixture
def api_department_reply(routed, department_user) -> Endpoint:
    return Endpoint(
        client=token_client(department_user),
        url=item_url(routed, "reply"),
        data={"text": "已安排施工队本月修复。", "internal_note": "预算已批"},
        serializer=inputs_of.DepartmentReplyInputSerializer,
        rows=rows_of(Reply),
        required={"text"},
        codes={"result_class"},
        aliases={"text": {"public_text", "non_field_errors"}},
        stored=lambda: texts(Reply, "public_text", "internal_note"),
    )


@pytest.fixture
def api_department_return(routed, department_user) -> Endpoint:
    return Endpoint(
        client=token_client(department_user),
        url=item_url(routed, "return"),
        data={"reason": "应由镇政府处理"},
        serializer=inputs_of.ReturnInputSerializer,
        rows=lambda: tuple(Assignment.objects.values_list("status", flat=True)),
        required={"reason"},
        stored=lambda: texts(Assignment, "return_reason"),
    )


@pytest.fixture
def api_staff_assign(station, roads, county_clerk, hengyang_county) -> Endpoint:
    item = opinion(station, roads)
    lead = make_department("衡阳县交通运输局", hengyang_county)
    other = make_department("衡阳县水利局", hengyang_county)
    return Endpoint(
        client=token_client(county_clerk),
        url=reverse("suggestions:api_staff_assign", args=[item.pk]),
        data={"lead": lead.pk, "co_handlers": [other.pk], "time_limit_days": 10, "reason": "急"},
        serializer=inputs_of.AssignInputSerializer,
        rows=rows_of(Assignment),
        stored=lambda: texts(Event, "note"),
    )


# --- The same body twice at the same moment -----------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_posts_with_one_idempotency_key_at_the_same_moment_make_one_opinion(settings, request):
    settings.LIAISON_SUBMIT_RATE = ""
    endpoint: Endpoint = request.getfixturevalue("api_submit")
    body = json.dumps(endpoint.data)

    def post():
        return APIClient().post(
            endpoint.url, body, content_type="application/json", headers={"Idempotency-Key": "k-1"}
        )

    answers = at_once(post)
    assert sorted(answers) in ([200, 201], [201, 201])
    assert Suggestion.objects.count() == 1


# --- Open311: a form or JSON parsed by hand -----------------------------------------------

OPEN311_FORM = {
    "service_code": "roads",
    "lat": "26.970000",
    "long": "112.370000",
    "address_string": "西渡镇梅花村村口",
    "description": "村口道路坑洼积水，雨天无法通行。",
    "first_name": "三",
    "last_name": "张",
    "phone": "13800138000",
    "email": "zhang@example.com",
}
OPEN311_BAD = [
    inputs.Bad("nul", inputs.NUL, REFUSED),
    inputs.LONE_SURROGATE,
    *(bad for bad in inputs.WRONG_TYPES if bad.outcome == REFUSED),
]


@pytest.fixture
def open311_key(hengyang_county, roads):
    from suggestions import hotline
    from suggestions.models import Integration

    _app, credentials = hotline.integration_create(
        name="街道随手拍 Open311", kind=Integration.Kind.OPEN311, region=hengyang_county
    )
    return credentials.key


@pytest.mark.parametrize("body", ["form", "json"])
@pytest.mark.parametrize("name", ["api_key", *OPEN311_FORM])
def test_open311_refuses_a_nul_a_surrogate_or_a_wrong_type_in_any_field(
    client, open311_key, name, body
):
    data = OPEN311_FORM | {"api_key": open311_key}
    url = "/open311/v2/requests.json"
    assert client.post(url, data).status_code == 201  # the valid filing
    Suggestion.objects.all().delete()
    for bad in OPEN311_BAD:
        form_cannot_carry = not isinstance(bad.value, str) or bad is inputs.LONE_SURROGATE
        if body == "form" and form_cannot_carry:
            continue
        changed = data | {name: bad.value}
        if body == "form":
            response = client.post(url, changed)
        else:
            response = client.post(
                url, json.dumps(changed, ensure_ascii=True), content_type="application/json"
            )
        assert response.status_code in (400, 403), f"{bad}: {response.status_code}"
        [error] = response.json()
        assert error["code"] == response.status_code and inputs.has_chinese(error["description"])
        assert not Suggestion.objects.exists()
