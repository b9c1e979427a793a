"""Reference rows kept per process (liaison/refcache.py): fewer queries per submission,
and an edit is seen at once in the process that made it and within the TTL elsewhere."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from liaison.refcache import RefCache
from suggestions.models import Category, Suggestion
from tests.factories import StationFactory, make_category

pytestmark = pytest.mark.django_db


def _post(client, station, category, n: int):
    body = {
        "station": station.code,
        "category": category.code,
        "title": f"路灯不亮{n}",
        "content": "村口路灯不亮已有一段时间，请尽快修复。",
        "name": "张三",
        "phone": f"139{n:08d}",
        "consent": True,
    }
    return client.post(
        "/api/v1/suggestions/",
        json.dumps(body),
        content_type="application/json",
    )


@pytest.fixture
def station_and_category(xidu):
    return StationFactory(region=xidu, code="XD0009"), make_category("roads")


def test_a_submission_reads_neither_station_nor_category_twice(client, station_and_category):
    station, category = station_and_category
    assert _post(client, station, category, 1).status_code == 201
    with CaptureQueriesContext(connection) as captured:
        assert _post(client, station, category, 2).status_code == 201
    tables = " ".join(q["sql"] for q in captured if q["sql"].startswith("SELECT"))
    assert "stations_station" not in tables
    assert "suggestions_category" not in tables
    # What is left: the transaction's inserts (item, audit, event, receipt SMS, outbox).
    assert len(captured) <= 12


def test_deactivating_a_category_is_refused_at_once(client, station_and_category):
    station, category = station_and_category
    assert _post(client, station, category, 3).status_code == 201
    category.is_active = False
    category.save()
    response = _post(client, station, category, 4)
    assert response.status_code == 400
    assert "category" in response.json()["errors"]
    assert Suggestion.objects.count() == 1


def test_closing_a_station_is_refused_at_once(client, station_and_category):
    station, category = station_and_category
    assert _post(client, station, category, 5).status_code == 201
    station.is_active = False
    station.save()
    response = _post(client, station, category, 6)
    assert response.status_code == 400
    assert "station" in response.json()["errors"]


def test_unknown_code_and_nul_byte_are_refused_cleanly(client, station_and_category):
    station, category = station_and_category
    station.code = "XD\x000"
    response = _post(client, station, category, 7)
    assert response.status_code == 400
    assert "station" in response.json()["errors"]


def test_entries_expire_after_the_ttl(settings, monkeypatch):
    # Another process's edit sends no signal here: the TTL bounds how long it is unseen.
    settings.LIAISON_REFCACHE_SECONDS = 30
    now = [1000.0]
    monkeypatch.setattr("liaison.refcache.time.monotonic", lambda: now[0])
    calls = []
    cache = RefCache("t", lambda key: calls.append(key) or len(calls))
    assert cache.get("a") == 1
    now[0] += 29
    assert cache.get("a") == 1
    now[0] += 2
    assert cache.get("a") == 2
    assert calls == ["a", "a"]


def test_zero_ttl_switches_caching_off(settings):
    settings.LIAISON_REFCACHE_SECONDS = 0
    calls = []
    cache = RefCache("t", lambda key: calls.append(key) or key)
    cache.get("a")
    cache.get("a")
    assert calls == ["a", "a"]


def test_a_save_of_a_watched_model_clears(settings):
    settings.LIAISON_REFCACHE_SECONDS = 30
    calls = []
    cache = RefCache(
        "t",
        lambda code: calls.append(code) or Category.objects.filter(code=code).first(),
        watch=["suggestions.Category"],
    )
    assert cache.get("parks") is None
    Category.objects.create(code="parks", name="公园")
    assert cache.get("parks").name == "公园"
    assert calls == ["parks", "parks"]
