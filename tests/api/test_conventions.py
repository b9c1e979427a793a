"""The API's shared conventions, from the outside: one error shape for every status,
limit/offset pagination, the schema and its documentation pages (no CDN)."""

import json
import re

import pytest
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from tests.api.fixtures import token_client
from tests.factories import StationFactory, make_user

pytestmark = pytest.mark.django_db

STATIONS = reverse("stations_api:stations")
DUTIES = reverse("stations_api:own_duties")
TOKEN = reverse("api_token")


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) <= {"detail", "code", "errors"}
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["code"] == code
    assert "Traceback" not in response.content.decode()
    return body


# --- Errors ---------------------------------------------------------------------------


def test_a_validation_error_names_each_field_and_gives_one_message(xidu):
    body = assert_error(APIClient().get(STATIONS, {"region": "43<script>"}), 400, "invalid")
    assert list(body["errors"]) == ["region"]
    assert body["detail"] == body["errors"]["region"][0]


def test_several_invalid_fields_give_a_summary_and_every_message(xidu):
    response = APIClient().get(STATIONS, {"region": "x", "tier": "palace"})
    body = assert_error(response, 400, "invalid")
    assert set(body["errors"]) == {"region", "tier"}
    assert body["detail"] not in body["errors"]["region"]


def test_unauthenticated_is_401_with_the_shape():
    assert_error(APIClient().get(DUTIES), 401, "not_authenticated")


def test_a_bad_token_is_401_with_the_shape():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nope")
    assert_error(client.get(DUTIES), 401, "authentication_failed")


def test_forbidden_is_403_with_the_shape(county_clerk):
    assert_error(token_client(county_clerk).get(DUTIES), 403, "permission_denied")


def test_not_found_is_404_with_the_shape(db):
    url = reverse("stations_api:station", args=["NOPE"])
    assert_error(APIClient().get(url), 404, "not_found")


def test_an_unknown_api_address_is_a_404_with_the_shape(db):
    assert_error(APIClient().get("/api/v1/no-such-thing/"), 404, "not_found")


def test_a_wrong_method_is_405_with_the_shape(db):
    assert_error(APIClient().post(STATIONS, {}, format="json"), 405, "method_not_allowed")


def test_a_body_that_is_not_json_is_415_with_the_shape(db):
    response = APIClient().post(TOKEN, "a=b", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


def test_an_oversized_body_is_413_with_the_shape(db):
    response = APIClient().post(TOKEN, {"username": "x" * 70_000}, format="json")
    assert_error(response, 413, "payload_too_large")


def test_too_many_requests_is_429_with_the_shape_and_retry_after(db, settings):
    settings.LIAISON_TOKEN_RATE = "1/m"
    client = APIClient()
    client.post(TOKEN, {"username": "a", "password": "b"}, format="json")
    response = client.post(TOKEN, {"username": "a", "password": "b"}, format="json")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_a_crash_is_a_500_in_the_shape_without_details(db, settings):
    # The unknown-address handler's sibling: handler500 answers JSON under /api/.
    from liaison.api import server_error

    request = APIClient().get("/").wsgi_request
    request.path = "/api/v1/stations/"
    response = server_error(request)
    assert response.status_code == 500
    body = json.loads(response.content)
    assert body["code"] == "server_error"
    assert set(body) == {"detail", "code"}


# --- Pagination -----------------------------------------------------------------------


def test_lists_are_limit_offset_pages_capped_at_200(xidu):
    for index in range(3):
        StationFactory(region=xidu, code=f"PG{index:04d}")
    page = APIClient().get(STATIONS, {"limit": 2}).json()
    assert page["count"] == 3
    assert [s["code"] for s in page["results"]] == ["PG0000", "PG0001"]
    assert "offset=2" in page["next"]
    rest = APIClient().get(STATIONS, {"limit": 2, "offset": 2}).json()
    assert [s["code"] for s in rest["results"]] == ["PG0002"]
    assert rest["next"] is None
    huge = APIClient().get(STATIONS, {"limit": 10_000, "offset": 10**20}).json()
    assert huge["results"] == []
    assert "limit=200" in (huge["previous"] or "")


# --- Schema and documentation ----------------------------------------------------------


def test_the_schema_is_openapi_3_with_the_title_and_every_app(db):
    response = APIClient().get(reverse("api_schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "人大代表联络站数字平台 API"
    for path in ("/api/v1/stations/", "/api/v1/deputies/", "/api/v1/projects/", "/api/v1/cycles/"):
        assert path in schema["paths"]
    errors = schema["paths"]["/api/v1/deputy/duties/"]["get"]["responses"]
    assert {"401", "403"} <= set(errors)
    assert errors["403"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")


@pytest.mark.parametrize("name", ["api_docs", "api_redoc"])
def test_the_documentation_pages_load_only_local_assets(db, name):
    response = APIClient().get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert sources, html
    # Swagger UI's start-up script comes from the page's own address (?script=), not
    # inline, for the Content-Security-Policy.
    assert all(s.startswith(("/static/", reverse(name) + "?")) for s in sources), sources
    # No other host anywhere in the page's code either (a CDN named in a script).
    assert not re.search(r"https?://(?!localhost|testserver)", html)


def test_the_documentation_assets_are_in_the_static_files(db):
    from django.contrib.staticfiles import finders

    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert finders.find("drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js")


@override_settings(LANGUAGE_CODE="en")
def test_the_token_endpoint_is_documented_with_its_body(db):
    schema = APIClient().get(reverse("api_schema"), {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert "requestBody" in operation
    assert {"200", "400", "429"} <= set(operation["responses"])


def test_staff_reach_the_docs_too(admin_user):
    # The docs are public, like the schema: the API is documented for every client.
    client = APIClient()
    client.force_authenticate(make_user("someone"))
    assert client.get(reverse("api_docs")).status_code == 200
