"""The outbox keeps work safe while the broker is down or silent, and a real worker
finishes it once the broker is back."""

import threading
import time

import pytest
from django.db import connection, transaction

from liaison import notifications
from liaison.models import Notification, OutboxMessage
from liaison.outbox import outbox_enqueue, outbox_relay
from tests.fakes import closed_port
from tests.workers import REDIS_URL, wait_for


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
    assert wait_for(lambda: Notification.objects.get(pk=sms.pk).status == "sent")
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
    assert wait_for(lambda: Notification.objects.get(pk=sms.pk).status == "sent"), list(
        OutboxMessage.objects.values("sent_at", "last_error")
    )
    assert [r["json"]["phone"] for r in gateway.requests] == ["13900139000"]
    assert OutboxMessage.objects.get().sent_at is not None
