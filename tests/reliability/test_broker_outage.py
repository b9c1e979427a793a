"""Issue 9, fault 1: the broker is down (a closed port), then silent (a socket that
accepts and never answers), while 1,000 opinions are submitted over HTTP. Every
submission answers within 3 s and is stored; once the broker is back, a real worker
routes every one of them, and none twice."""

import json
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db.models import Count

from liaison.models import Notification, OutboxMessage
from liaison.outbox import outbox_relay
from suggestions.models import Assignment, Event, Suggestion
from tests.fakes import closed_port
from tests.workers import REDIS_URL, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

SUBMISSIONS = 1000
CLIENTS = 4
# The promise to the constituent: an answer within 3 seconds, whatever the broker.
MAX_SECONDS = 3.0
RECEIPT_EVERY = 10


def submit(url: str, station, category, numbers) -> list[tuple[int, float, str]]:
    """POST one opinion per number through the public API; (status, seconds, code)."""

    def one(n: int):
        body = json.dumps(
            {
                "station": station.code,
                "category": category.code,
                "title": f"路灯不亮 {n}",
                "content": f"第{n}号路灯晚上不亮，请尽快修理。",
                "phone": f"139{n:08d}",
                # One in ten asks for the receipt SMS: the worker's time goes to routing.
                "do_not_contact": n % RECEIPT_EVERY != 0,
                "consent": True,
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310
            f"{url}/api/v1/suggestions/",
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": uuid.uuid4().hex,
                # The live server's middleware was set up with production's HTTPS redirect.
                "X-Forwarded-Proto": "https",
            },
        )
        started = time.monotonic()
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            answer = json.loads(response.read())
            return response.status, time.monotonic() - started, answer["tracking_code"]

    with ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(one, numbers))


def test_a_thousand_submissions_survive_a_dead_then_a_silent_broker(
    live_server, broker, silent_port, routed, processes, gateway, settings, figures
):
    station, category, _bureau = routed
    settings.LIAISON_SUBMIT_RATE = ""  # one address sends them all

    # A real worker listens on the real Redis all along; this process publishes elsewhere.
    processes.worker("faults-routing", pool="prefork", concurrency=2)
    half = SUBMISSIONS // 2
    broker(f"redis://127.0.0.1:{closed_port()}/0")
    answers = submit(live_server.url, station, category, range(half))
    broker(f"redis://127.0.0.1:{silent_port}/0")
    answers += submit(live_server.url, station, category, range(half, SUBMISSIONS))

    slowest = max(seconds for _status, seconds, _code in answers)
    statuses = {status for status, _seconds, _code in answers}
    stored = Suggestion.objects.count()
    assert statuses == {201}
    assert slowest < MAX_SECONDS
    assert stored == SUBMISSIONS
    assert {code for _s, _t, code in answers} == set(
        Suggestion.objects.values_list("tracking_code", flat=True)
    )
    assert not Assignment.objects.exists()  # nothing reached the worker meanwhile

    # The broker is back; the relay runs as beat runs it, every few seconds.
    broker(REDIS_URL)

    def all_routed() -> bool:
        outbox_relay(batch=1000)
        return (
            Assignment.objects.count() >= SUBMISSIONS
            and not Notification.objects.filter(channel="sms", status="pending").exists()
        )

    assert wait_for(all_routed, 120), (
        Assignment.objects.count(),
        OutboxMessage.objects.filter(sent_at__isnull=True).count(),
    )
    time.sleep(1)  # anything still running twice would show now

    routed_cases = Assignment.objects.values("case").distinct().count()
    per_case = Assignment.objects.values("case").annotate(n=Count("id"))
    duplicates = sum(row["n"] - 1 for row in per_case)
    routed_events = Event.objects.filter(kind=Event.Kind.ROUTED).count()
    sms_sent = Notification.objects.filter(channel="sms", status="sent").count()
    figures(
        f"faults: broker down then silent: submitted={SUBMISSIONS} stored={stored} "
        f"slowest={slowest:.2f}s routed={routed_cases} duplicates={duplicates} "
        f"receipts_sent={sms_sent} gateway_deliveries={len(gateway.requests)}"
    )
    assert routed_cases == SUBMISSIONS
    assert duplicates == 0
    assert routed_events == SUBMISSIONS
    assert sms_sent == SUBMISSIONS // RECEIPT_EVERY
    phones = [r["json"]["phone"] for r in gateway.requests]
    assert len(phones) == len(set(phones)) == sms_sent  # each receipt SMS once
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
