import time

import pytest

from liaison.celery import app as celery_app
from tests.fakes import closed_port


def test_healthz_reports_database_and_broker(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


@pytest.fixture
def broker_at():
    conf = celery_app.conf
    original = conf.get("broker_write_url"), conf.broker_transport_options

    def point(port: int):
        # The write URL, because Celery prefers the CELERY_BROKER_URL environment
        # variable (set in CI) over conf.broker_url.
        conf.broker_write_url = f"redis://127.0.0.1:{port}/0"
        celery_app.conf.broker_transport_options = {
            "socket_timeout": 1,
            "socket_connect_timeout": 1,
        }

    yield point
    conf.broker_write_url, conf.broker_transport_options = original


@pytest.mark.parametrize("kind", ["down", "silent"])
def test_healthz_answers_503_quickly_when_broker_is_dead_or_silent(
    client, db, broker_at, silent_port, kind
):
    broker_at(closed_port() if kind == "down" else silent_port)
    started = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert response.json()["broker"] == "down"
    assert response.json()["database"] == "ok"
