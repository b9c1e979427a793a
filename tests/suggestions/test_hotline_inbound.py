"""The 12345 hotline files work orders: signed, fresh, once, and nothing stored otherwise."""

import json
import threading
import time

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from liaison.models import OutboxMessage
from suggestions import hotline
from suggestions.models import Event, InboundNonce, Integration, Suggestion, WorkOrder
from tests.factories import DeputyFactory, StationFactory
from tests.fakes import closed_port
from tests.suggestions.hotline_fake import order_body, signed_headers

URL = "/api/v1/hotline/orders/"


@pytest.fixture
def integration(hengyang_county):
    integration, credentials = hotline.integration_create(
        name="衡阳市12345热线", kind=Integration.Kind.HOTLINE, region=hengyang_county
    )
    integration.credentials = credentials
    return integration


def post(client, integration, body: bytes, *, timestamp=None, key=None, secret=None, **headers):
    credentials = integration.credentials
    signed = signed_headers(
        key if key is not None else credentials.key,
        secret if secret is not None else credentials.secret,
        body,
        timestamp=timestamp,
    )
    return client.post(URL, data=body, content_type="application/json", headers=signed | headers)


def nothing_stored():
    return (
        not Suggestion.objects.exists()
        and not WorkOrder.objects.exists()
        and not InboundNonce.objects.exists()
        and not OutboxMessage.objects.exists()
    )


def test_the_endpoint_is_the_one_the_docs_name():
    assert reverse("hotline:orders") == URL


def test_a_signed_order_becomes_a_hotline_suggestion_queued_for_routing(
    client, integration, station, roads
):
    response = post(client, integration, order_body(station="XD001"))
    assert response.status_code == 201, response.json()
    answer = response.json()
    suggestion = Suggestion.objects.get()
    assert answer == {
        "external_id": "HY12345-20261101-0001",
        "tracking_code": suggestion.tracking_code,
        "status": "received",
        "received_at": answer["received_at"],
    }
    assert suggestion.channel == "hotline"
    assert suggestion.station == station and suggestion.region_id == station.region_id
    assert suggestion.category == roads
    assert suggestion.name == "李四" and suggestion.phone == "13700137000"
    # The hotline talks to its caller: we send no receipt SMS of our own.
    assert suggestion.do_not_contact
    assert "西渡镇梅花村村口" in suggestion.content and "26.97" in suggestion.content
    order = WorkOrder.objects.get()
    assert order.suggestion == suggestion and str(order.deadline) == "2026-12-15"
    assert order.address == "西渡镇梅花村村口"
    assert OutboxMessage.objects.filter(task="suggestions.tasks.route_case").count() == 1
    note = Event.objects.get(case=suggestion, kind="note")
    assert not note.is_public and "HY12345-20261101-0001" in note.note and "2026-12-15" in note.note
    integration.refresh_from_db()
    assert integration.last_used_at is not None


def test_without_station_or_deputy_it_goes_to_the_integrations_region(
    client, integration, hengyang_county, roads
):
    assert post(client, integration, order_body()).status_code == 201
    suggestion = Suggestion.objects.get()
    assert suggestion.region == hengyang_county and suggestion.station is None


def test_a_named_deputy_gets_the_order(client, integration, xidu, roads):
    deputy = DeputyFactory(code="HYD001", region=xidu)
    assert post(client, integration, order_body(deputy="hyd001")).status_code == 201
    suggestion = Suggestion.objects.get()
    assert suggestion.deputy == deputy and suggestion.region == xidu


def test_an_unknown_category_files_it_uncategorised_with_a_note(client, integration, english):
    response = post(client, integration, order_body(category="城市管理-占道经营"))
    assert response.status_code == 201
    suggestion = Suggestion.objects.get()
    assert suggestion.category is None
    assert "城市管理-占道经营" in Event.objects.get(case=suggestion, kind="note").note


def test_a_landline_is_not_kept(client, integration, roads, english):
    body = order_body(caller={"name": "王五", "phone": "0734-8888888"})
    assert post(client, integration, body).status_code == 201
    suggestion = Suggestion.objects.get()
    assert suggestion.phone == ""
    assert "not a mobile" in Event.objects.get(case=suggestion, kind="note").note


def test_the_same_order_again_answers_200_with_the_same_item(client, integration, roads):
    first = post(client, integration, order_body(), timestamp=int(time.time()) - 1)
    again = post(client, integration, order_body())
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["tracking_code"] == again.json()["tracking_code"]
    assert Suggestion.objects.count() == 1 and WorkOrder.objects.count() == 1


def test_the_same_external_id_with_other_content_is_a_conflict(client, integration, roads):
    post(client, integration, order_body(), timestamp=int(time.time()) - 1)
    before = Suggestion.objects.get()
    response = post(client, integration, order_body(content="完全不同的内容"))
    assert response.status_code == 409
    assert response.json()["code"] == "external_id_conflict"
    assert set(response.json()) >= {"detail", "code"}
    after = Suggestion.objects.get()
    assert after.content == before.content and Suggestion.objects.count() == 1


def test_two_integrations_may_use_the_same_external_id(client, integration, hunan, roads):
    other, credentials = hotline.integration_create(
        name="省12345", kind=Integration.Kind.HOTLINE, region=hunan
    )
    other.credentials = credentials
    assert post(client, integration, order_body()).status_code == 201
    assert post(client, other, order_body()).status_code == 201
    assert Suggestion.objects.count() == 2


# --- Refused: nothing stored ----------------------------------------------------------------


def test_a_replayed_request_is_refused(client, integration, roads):
    body = order_body()
    stamp = int(time.time())
    assert post(client, integration, body, timestamp=stamp).status_code == 201
    stored = (Suggestion.objects.count(), InboundNonce.objects.count())
    replay = post(client, integration, body, timestamp=stamp)
    assert replay.status_code == 401
    assert replay.json()["code"] == "replayed"
    assert (Suggestion.objects.count(), InboundNonce.objects.count()) == stored


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("stale", "stale_timestamp"),
        ("future", "stale_timestamp"),
        ("no timestamp", "bad_timestamp"),
        ("bad signature", "bad_signature"),
        ("other secret", "bad_signature"),
        ("unknown key", "unknown_key"),
        ("no key", "unknown_key"),
        ("tampered body", "bad_signature"),
    ],
)
def test_a_request_that_does_not_prove_itself_is_refused(client, integration, roads, case, code):
    body = order_body()
    now = int(time.time())
    credentials = integration.credentials
    headers = signed_headers(credentials.key, credentials.secret, body, timestamp=now)
    if case == "stale":
        headers = signed_headers(credentials.key, credentials.secret, body, timestamp=now - 301)
    elif case == "future":
        headers = signed_headers(credentials.key, credentials.secret, body, timestamp=now + 301)
    elif case == "no timestamp":
        headers["X-Liaison-Timestamp"] = ""
    elif case == "bad signature":
        headers["X-Liaison-Signature"] = "0" * 64
    elif case == "other secret":
        headers = signed_headers(credentials.key, "not-the-secret", body, timestamp=now)
    elif case == "unknown key":
        headers["X-Liaison-Key"] = credentials.key[:-2] + "xx"
    elif case == "no key":
        del headers["X-Liaison-Key"]
    elif case == "tampered body":
        body = order_body(content="被改过的内容")
    response = client.post(URL, data=body, content_type="application/json", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert nothing_stored()


def test_an_inactive_integration_is_refused(client, integration, roads):
    Integration.objects.filter(pk=integration.pk).update(is_active=False)
    response = post(client, integration, order_body())
    assert response.status_code == 401 and response.json()["code"] == "unknown_key"
    assert nothing_stored()


def test_an_open311_key_cannot_file_hotline_orders(client, hengyang_county, roads):
    client_app, credentials = hotline.integration_create(
        name="Open311 app", kind=Integration.Kind.OPEN311, region=hengyang_county
    )
    client_app.credentials = credentials
    assert post(client, client_app, order_body()).status_code == 401
    assert nothing_stored()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"content": ""}, "content"),
        ({"content": "长" * 2001}, "content"),
        ({"content": "<script>alert(1)</script>"}, "content"),
        ({"external_id": ""}, "external_id"),
        ({"external_id": "a b"}, "external_id"),
        ({"external_id": "x" * 65}, "external_id"),
        ({"deadline": "next week"}, "deadline"),
        ({"location": {"lat": 200, "lon": 10}}, "location.lat"),
        ({"location": {"lat": 20}}, "location.non_field_errors"),
        ({"station": "NOPE01"}, "station"),
        ({"caller": {"name": "<b>x</b>", "phone": ""}}, "name"),
        ({"title": "t" * 101}, "title"),
    ],
)
def test_bad_orders_are_refused_with_the_field_and_nothing_stored(
    client, integration, roads, overrides, field
):
    response = post(client, integration, order_body(**overrides))
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] and body["detail"] and field in body["errors"], body
    assert not Suggestion.objects.exists() and not WorkOrder.objects.exists()


def test_sql_looking_text_is_stored_as_text(client, integration, roads):
    text = "'; DROP TABLE suggestions_case; --"
    assert post(client, integration, order_body(content=text)).status_code == 201
    assert Suggestion.objects.get().content.startswith(text)


def test_a_station_of_another_region_is_unknown_here(client, integration, yunji, roads):
    StationFactory(code="YJ001", region=yunji)
    response = post(client, integration, order_body(station="YJ001"))
    assert response.status_code == 400 and "station" in response.json()["errors"]


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b"{" * 5000, '{"content": "\udcff"}'.encode("utf-8", "surrogatepass")],
)
def test_malformed_bodies_are_400(client, integration, body):
    response = post(client, integration, body)
    assert response.status_code == 400 and response.json()["code"] == "parse_error"
    assert not Suggestion.objects.exists()


def test_an_oversized_body_is_413(client, integration):
    body = json.dumps({"external_id": "A1", "content": "x" * 70_000}).encode()
    response = post(client, integration, body)
    assert response.status_code == 413
    assert nothing_stored()


# --- Concurrency (PostgreSQL) ------------------------------------------------------------


@pytest.mark.postgres
def test_two_copies_of_one_order_posted_at_once_make_one_suggestion(
    transactional_db, integration, roads, broker
):
    # Publishing after commit goes nowhere: this test is about the database.
    broker(f"redis://127.0.0.1:{closed_port()}/0")
    body = order_body()
    barrier = threading.Barrier(2)
    statuses = []

    def send(stamp):
        try:
            barrier.wait()
            statuses.append(post(Client(), integration, body, timestamp=stamp).status_code)
        finally:
            connection.close()

    now = int(time.time())
    threads = [threading.Thread(target=send, args=(now - n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 201]
    assert Suggestion.objects.count() == 1 and WorkOrder.objects.count() == 1


@pytest.mark.postgres
def test_a_replay_racing_its_original_is_refused(transactional_db, integration, roads, broker):
    broker(f"redis://127.0.0.1:{closed_port()}/0")
    body = order_body()
    stamp = int(time.time())
    barrier = threading.Barrier(2)
    statuses = []

    def send():
        try:
            barrier.wait()
            statuses.append(post(Client(), integration, body, timestamp=stamp).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 401]
    assert Suggestion.objects.count() == 1
