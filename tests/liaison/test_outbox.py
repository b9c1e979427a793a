"""The outbox keeps work safe while the broker is down or silent, and a real worker
finishes it once the broker is back."""

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import kombu.pools
import pytest
from django.db import connection, transaction

from liaison import notifications
from liaison.celery import app as celery_app
from liaison.models import Notification, OutboxMessage
from liaison.outbox import outbox_enqueue, outbox_relay
from tests.fakes import FakeGateway, closed_port

ROOT = Path(__file__).resolve().parents[2]
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


def test_enqueued_work_rolls_back_with_its_transaction(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_enqueue(task="liaison.tasks.relay_outbox", kwargs={}, publish_now=False)
        raise RuntimeError
    assert not OutboxMessage.objects.exists()


@pytest.mark.parametrize("kind", ["down", "silent"])
def test_relay_with_a_dead_broker_returns_fast_and_keeps_the_message(db, broker, silent_port, kind):
    port = closed_port() if kind == "down" else silent_port
    broker(f"redis://127.0.0.1:{port}/0")
    message = outbox_enqueue(task="liaison.tasks.relay_outbox", kwargs={}, publish_now=False)
    started = time.monotonic()
    assert outbox_relay() == 0
    # The relay runs in the worker, never in a request; it gives up on a silent broker
    # after a few socket timeouts (1 s each here) instead of hanging.
    assert time.monotonic() - started < 6
    message.refresh_from_db()
    assert message.sent_at is None and message.attempts == 1 and message.last_error


def test_a_notification_key_is_used_once(db, deputy_user):
    first = notifications.notification_create(
        channel="inbox",
        kind="reminder",
        subject="提醒",
        recipient=deputy_user,
        dedupe_key="suggestion:1:reminder:2026-12-01",
    )
    second = notifications.notification_create(
        channel="inbox",
        kind="reminder",
        subject="提醒",
        recipient=deputy_user,
        dedupe_key="suggestion:1:reminder:2026-12-01",
    )
    assert first is not None and second is None
    assert Notification.objects.count() == 1


@pytest.mark.postgres
def test_two_sweeps_at_once_create_one_reminder(transactional_db, deputy_user):
    barrier = threading.Barrier(8)
    results = []

    def sweep():
        barrier.wait()
        try:
            results.append(
                notifications.notification_create(
                    channel="inbox",
                    kind="reminder",
                    subject="提醒",
                    recipient=deputy_user,
                    dedupe_key="suggestion:7:overdue:2026-12-01",
                )
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result is not None for result in results) == 1
    assert Notification.objects.count() == 1


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


def _database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _wait_for(predicate, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.postgres
def test_sms_waits_out_a_dead_broker_then_a_real_worker_sends_it_once(worker, broker):
    gateway = worker
    broker(f"redis://127.0.0.1:{closed_port()}/0")
    with transaction.atomic():
        sms = notifications.notification_create(
            channel="sms",
            kind="receipt",
            subject="受理回执",
            body="您的意见已受理，查询码 ABC",
            address="13800138000",
            dedupe_key="suggestion:42:receipt",
        )
    time.sleep(1.5)  # the after-commit publish thread meets the dead broker
    assert OutboxMessage.objects.get().sent_at is None
    assert gateway.requests == []

    broker(REDIS_URL)  # the broker is back
    OutboxMessage.objects.update(available_at=sms.created_at)
    assert outbox_relay() == 1, OutboxMessage.objects.get().last_error
    assert _wait_for(lambda: Notification.objects.get(pk=sms.pk).status == "sent")
    assert len(gateway.requests) == 1
    assert gateway.requests[0]["json"]["phone"] == "13800138000"
    assert gateway.requests[0]["signed"]

    # A second relay pass and a redelivered task change nothing.
    assert outbox_relay() == 0
    assert notifications.notification_deliver(notification_id=sms.pk)
    assert len(gateway.requests) == 1


@pytest.mark.postgres
def test_with_a_live_broker_the_commit_alone_gets_the_sms_sent(worker, broker):
    gateway = worker
    broker(REDIS_URL)
    with transaction.atomic():
        sms = notifications.notification_create(
            channel="sms",
            kind="receipt",
            subject="受理回执",
            body="您的意见已受理",
            address="13900139000",
        )
    # No relay call: the after-commit publish thread hands it to the worker.
    assert _wait_for(lambda: Notification.objects.get(pk=sms.pk).status == "sent"), list(
        OutboxMessage.objects.values("sent_at", "last_error")
    )
    assert [r["json"]["phone"] for r in gateway.requests] == ["13900139000"]
    assert OutboxMessage.objects.get().sent_at is not None
