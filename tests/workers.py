"""A real Celery worker on the real Redis, and a switch for where this process publishes.

Used by every test whose point is delivery: the worker is a subprocess running the
project's Celery app against the test database; SMS go to a local fake gateway.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import kombu.pools
import pytest
from django.db import connection
from django.urls import reverse

from liaison.celery import app as celery_app
from liaison.models import Job
from tests.fakes import FakeGateway

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("TEST_REDIS_BROKER_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture
def broker():
    """Point publishing at a given broker URL for the test, then restore it."""
    conf = celery_app.conf
    saved = conf.get("broker_write_url"), dict(conf.broker_transport_options or {})

    def reset_pools():
        # The app caches its connection and producer pools with the URL they were made for.
        kombu.pools.reset()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    def point(url: str):
        conf.broker_write_url = url
        conf.broker_transport_options = {"socket_timeout": 1, "socket_connect_timeout": 1}
        reset_pools()

    yield point
    conf.broker_write_url, conf.broker_transport_options = saved
    reset_pools()


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def worker(transactional_db):
    """A real Celery worker process on the real Redis, using the test database."""
    if not _redis_up():
        pytest.skip("needs Redis on 127.0.0.1:6379 (CI starts it)")
    subprocess.run(
        ["redis-cli", "-n", REDIS_URL.rsplit("/", 1)[1], "flushdb"],
        check=False,
        capture_output=True,
    )
    gateway = FakeGateway().__enter__()
    env = os.environ | {
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": REDIS_URL,
        "SMS_BACKEND": "liaison.sms.HttpSmsBackend",
        "SMS_HTTP_URL": gateway.url,
        "SMS_HTTP_TOKEN": gateway.token,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "liaison",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield gateway
    process.terminate()
    output = process.communicate(timeout=30)[0]
    gateway.__exit__(None, None, None)
    print(output[-3000:])


@pytest.fixture
def shared_media(tmp_path, monkeypatch, settings):
    """One media folder for this process and the worker it starts (listed before it)."""
    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path / "media"))
    monkeypatch.setenv("PRIVATE_ROOT", str(tmp_path / "private"))
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_ROOT = tmp_path / "private"


def finished_job_state(client, job, seconds: float = 30) -> dict:
    """Poll the job's progress URL, as its page does, until the job has finished; the
    last answer. Fails with the jobs' states if it does not finish in time."""
    progress = reverse("admin:liaison_job_progress", args=[job.pk])
    assert wait_for(lambda: client.get(progress).json()["finished"], seconds), list(
        Job.objects.values("status", "error")
    )
    return client.get(progress).json()


def _database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def wait_for(predicate, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False
