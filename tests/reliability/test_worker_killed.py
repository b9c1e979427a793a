"""Issue 9, fault 2: a Celery worker killed with SIGKILL in the middle of routing and in
the middle of sending an SMS. The work is delivered again and finished; no assignment,
notification or SMS happens twice."""

import os
import signal
import time

import pytest
from django.db import transaction

from liaison import notifications
from liaison.models import Notification
from suggestions import services
from suggestions.models import Assignment, Event, Suggestion
from tests.reliability.procs import children_of, kill_group
from tests.workers import REDIS_URL, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def paused_pid(folder) -> int | None:
    marker = folder / "paused"
    text = marker.read_text() if marker.exists() else ""
    return int(text.split()[0]) if text else None


def submit(station, category) -> Suggestion:
    with transaction.atomic():
        return services.suggestion_submit(
            channel=Suggestion.Channel.WEB,
            category=category,
            station=station,
            title="村口路灯不亮",
            content="村口的路灯坏了一个月，晚上出行不便。",
            phone="13912345678",
            do_not_contact=True,
            consent=True,
        )


@pytest.mark.parametrize(
    "point",
    [
        # The assignment is written, the transaction not committed: the kill rolls it back.
        "save:suggestions.Assignment",
        # The routing committed, the message not acknowledged: the next run must see it.
        "after:suggestions.tasks.route_case",
    ],
)
def test_a_worker_killed_while_routing_leaves_one_assignment(
    processes, broker, routed, tmp_path, point, figures
):
    station, category, bureau = routed
    broker(REDIS_URL)
    first = processes.worker("faults-first", FAULT_PAUSE=point)
    suggestion = submit(station, category)

    assert wait_for(lambda: paused_pid(tmp_path) is not None, 60), processes.logs()
    committed_before_kill = Assignment.objects.filter(case=suggestion).count()
    kill_group(first)  # SIGKILL, worker and all

    # A new worker takes the message the dead one never acknowledged.
    processes.worker("faults-second", FAULT_PAUSE=point, FAULT_VISIBILITY_TIMEOUT="2")
    assert wait_for(lambda: Assignment.objects.filter(case=suggestion).exists(), 60)
    # Give a second delivery, if any, the time to run before counting.
    assert wait_for(lambda: not _unacked(), 30)
    time.sleep(2)

    assignments = Assignment.objects.filter(case=suggestion)
    handler_notices = Notification.objects.filter(kind="assigned")
    routed_events = Event.objects.filter(case=suggestion, kind=Event.Kind.ROUTED)
    figures(
        f"faults: worker SIGKILLed at {point}: assignments committed before the kill="
        f"{committed_before_kill} after={assignments.count()} routed_events="
        f"{routed_events.count()} handler_notices={handler_notices.count()}"
    )
    assert committed_before_kill == (1 if point.startswith("after:") else 0)
    assert assignments.count() == 1 and assignments.get().department == bureau
    assert routed_events.count() == 1
    assert handler_notices.count() == 1
    suggestion.refresh_from_db()
    assert suggestion.status == "assigned"


def test_a_worker_process_killed_while_sending_an_sms_sends_it_once(
    processes, broker, gateway, figures
):
    gateway.hold_next = 1  # the first request waits at the gateway until released
    broker(REDIS_URL)
    worker = processes.worker("faults-sms", pool="prefork", concurrency=1)
    with transaction.atomic():
        sms = notifications.notification_create(
            channel="sms",
            kind="receipt",
            subject="受理回执",
            body="您的意见已受理，查询码 FLT123",
            address="13800138000",
            dedupe_key="faults:receipt",
        )

    # The gateway has the message; the worker process has not heard back: kill it.
    assert gateway.arrived.wait(60), processes.logs()
    children = children_of(worker.pid)
    assert len(children) == 1
    os.kill(children[0], signal.SIGKILL)
    gateway.release.set()

    # The worker's main process sees its child die and puts the message back
    # (acks_late + reject_on_worker_lost); a new child sends it again.
    assert wait_for(lambda: Notification.objects.get(pk=sms.pk).status == "sent", 60)
    sms.refresh_from_db()
    figures(
        "faults: worker process SIGKILLed mid-SMS: gateway_requests="
        f"{len(gateway.received)} delivered={len(gateway.requests)} "
        f"notifications={Notification.objects.count()} status={sms.status}"
    )
    assert len(gateway.received) == 2  # the redelivery did reach the gateway …
    assert [r["json"]["phone"] for r in gateway.requests] == ["13800138000"]  # … once
    assert Notification.objects.count() == 1


def _unacked() -> bool:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    return bool(client.hlen("unacked") or client.llen("celery"))
