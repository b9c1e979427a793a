"""Status changes and replies go back to the hotline: signed, in order, retried with
backoff while it fails, dead-lettered after the last try and sent again from the admin.

The hotline is a real HTTP server on 127.0.0.1 (``FakeHotline``) that checks every
callback's signature. Outbox messages are run as the worker runs them: the Celery task
by name, with the stored arguments.
"""

import datetime as dt
import time

import pytest
import time_machine
from django.contrib.admin import helpers
from django.urls import reverse
from django.utils import timezone

import liaison.tasks  # noqa: F401  (registers the tasks by name)
import suggestions.tasks  # noqa: F401
from liaison.celery import app as celery_app
from liaison.models import OutboxMessage
from suggestions import hotline, services
from suggestions.models import CallbackDelivery, Case, Integration, Suggestion, WorkOrder
from tests.fakes import closed_port
from tests.suggestions.hotline_fake import FakeHotline, order_body, signed_headers
from tests.workers import REDIS_URL, wait_for

URL = "/api/v1/hotline/orders/"


@pytest.fixture
def fake():
    with FakeHotline() as server:
        yield server


@pytest.fixture
def integration(hengyang_county, fake):
    integration, credentials = hotline.integration_create(
        name="衡阳市12345热线",
        kind=Integration.Kind.HOTLINE,
        region=hengyang_county,
        callback_url=fake.url,
    )
    integration.credentials = credentials
    fake.secret = credentials.secret
    return integration


def file_order(client, integration, **overrides) -> Suggestion:
    body = order_body(**overrides)
    credentials = integration.credentials
    response = client.post(
        URL,
        data=body,
        content_type="application/json",
        headers=signed_headers(credentials.key, credentials.secret, body),
    )
    assert response.status_code == 201, response.json()
    return Suggestion.objects.get(tracking_code=response.json()["tracking_code"])


def run_outbox() -> int:
    """Run every waiting outbox message as the worker would, oldest first."""
    ran = 0
    while message := OutboxMessage.objects.filter(sent_at__isnull=True).order_by("id").first():
        message.sent_at = timezone.now()
        message.save(update_fields=["sent_at"])
        celery_app.tasks[message.task](**message.kwargs)
        ran += 1
    return ran


@pytest.fixture
def routed_order(client, integration, station, roads_rule, fake):
    suggestion = file_order(client, integration, station="XD001")
    run_outbox()  # routing, then the "dispatched" callback
    return suggestion


def test_round_trip_order_routed_replied_and_the_hotline_hears_it_signed(
    client, integration, station, roads_rule, transport_bureau, department_user, fake
):
    suggestion = file_order(client, integration, station="XD001")
    run_outbox()
    suggestion.refresh_from_db()
    assert suggestion.status == "assigned"
    assert fake.stages() == ["dispatched"]

    services.case_reply(
        case=Case.objects.get(pk=suggestion.pk),
        department=transport_bureau,
        author=department_user,
        public_text="已安排施工队修复村口道路，预计本周完工。",
    )
    run_outbox()
    assert fake.stages() == ["dispatched", "replied"]
    assert all(callback["verified"] for callback in fake.callbacks)
    replied = fake.callbacks[-1]["json"]
    assert replied["external_id"] == "HY12345-20261101-0001"
    assert replied["tracking_code"] == suggestion.tracking_code
    assert replied["status"] == "replied" and replied["event"] == "replied"
    assert replied["reply"] == "已安排施工队修复村口道路，预计本周完工。"
    assert replied["replied_at"] and replied["department"] == "衡阳县交通运输局"
    # Nothing personal goes back: the hotline has its caller's details already.
    assert "13700137000" not in str(fake.callbacks) and "李四" not in str(fake.callbacks)
    deliveries = CallbackDelivery.objects.order_by("id")
    assert [d.delivered_at is not None for d in deliveries] == [True, True]
    assert [c["delivery"] for c in fake.callbacks] == [str(d.pk) for d in deliveries]


def test_closing_and_a_rating_are_heard_too(
    routed_order, transport_bureau, department_user, county_clerk, fake
):
    case = Case.objects.get(pk=routed_order.pk)
    services.case_reply(
        case=case, department=transport_bureau, author=department_user, public_text="已修复"
    )
    services.case_rate(case=case, rating="satisfied", method="phone", recorded_by=county_clerk)
    run_outbox()
    assert fake.stages() == ["dispatched", "replied", "evaluated", "closed"]
    assert fake.callbacks[-1]["json"]["satisfaction"] == "satisfied"


def test_items_from_other_channels_send_no_callbacks(submit, roads_rule, integration, fake):
    suggestion = submit()
    services.case_route(case_id=suggestion.pk)
    run_outbox()
    assert not CallbackDelivery.objects.exists() and fake.calls == 0


def test_an_integration_without_callback_url_gets_no_callbacks(
    routed_order, integration, transport_bureau, department_user, fake
):
    Integration.objects.filter(pk=integration.pk).update(callback_url="")
    services.case_reply(
        case=Case.objects.get(pk=routed_order.pk),
        department=transport_bureau,
        author=department_user,
        public_text="已修复",
    )
    run_outbox()
    assert fake.stages() == ["dispatched"]


def test_a_failing_hotline_is_retried_with_backoff_then_delivered(
    client, integration, station, roads_rule, fake
):
    fake.fail_next = 2
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        file_order(client, integration, station="XD001")
        run_outbox()
        delivery = CallbackDelivery.objects.get()
        assert delivery.attempts == 1 and delivery.delivered_at is None
        assert delivery.last_error == "HTTP 503"
        assert delivery.next_attempt_at == start + dt.timedelta(minutes=1)
        # Not due yet: the sweep queues nothing and a stray task posts nothing.
        assert hotline.callbacks_retry_due() == 0
        assert hotline.callbacks_deliver(order_id=delivery.order_id) == 0
        assert fake.calls == 1

    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        assert hotline.callbacks_retry_due() == 1
        run_outbox()
        delivery.refresh_from_db()
        assert delivery.attempts == 2
        assert delivery.next_attempt_at == start + dt.timedelta(seconds=61 + 120)

    with time_machine.travel(start + dt.timedelta(seconds=61 + 121), tick=False):
        assert hotline.callbacks_retry_due() == 1
        run_outbox()
    delivery.refresh_from_db()
    assert delivery.delivered_at is not None and delivery.attempts == 3
    assert fake.calls == 3 and fake.stages() == ["dispatched"]
    assert fake.callbacks[0]["verified"]
    # Delivered is delivered: another sweep or a redelivered task posts nothing more.
    assert hotline.callbacks_retry_due(now=timezone.now() + dt.timedelta(hours=9)) == 0
    assert hotline.callbacks_deliver(order_id=delivery.order_id) == 0
    assert fake.calls == 3


def test_an_unreachable_hotline_counts_as_a_failure(routed_order, integration, settings):
    settings.LIAISON_HOTLINE_TIMEOUT = 1
    Integration.objects.filter(pk=integration.pk).update(
        callback_url=f"http://127.0.0.1:{closed_port()}/callback"
    )
    case = Case.objects.get(pk=routed_order.pk)
    services.case_close(case=case, user=None, outcome="not_feasible", note="涉诉事项，不予受理")
    run_outbox()
    delivery = CallbackDelivery.objects.order_by("id").last()
    assert delivery.event_kind == "rejected"
    assert delivery.delivered_at is None and "unreachable" in delivery.last_error


def kill_after_max_attempts(order_id: int, start, settings):
    """Fail every try until the delivery is dead; returns the minutes it took."""
    moment = start
    for attempt in range(1, settings.LIAISON_HOTLINE_MAX_ATTEMPTS + 1):
        with time_machine.travel(moment, tick=False):
            hotline.callbacks_deliver(order_id=order_id)
        moment += hotline.backoff(attempt) + dt.timedelta(seconds=1)
    return moment


def test_after_the_last_try_it_is_dead_and_later_callbacks_wait_behind_it(
    client, integration, station, roads_rule, transport_bureau, department_user, fake, settings
):
    settings.LIAISON_HOTLINE_MAX_ATTEMPTS = 3
    fake.fail_next = 100
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        suggestion = file_order(client, integration, station="XD001")
        services.case_route(case_id=suggestion.pk)
    first = CallbackDelivery.objects.get()
    later = kill_after_max_attempts(first.order_id, start, settings)
    first.refresh_from_db()
    assert first.attempts == 3 and first.dead_at is not None and first.delivered_at is None
    assert fake.calls == 3

    # The hotline is back, and the department replies: the reply must not overtake
    # the dispatch the hotline never heard about.
    fake.fail_next = 0
    with time_machine.travel(later, tick=False):
        services.case_reply(
            case=Case.objects.get(pk=suggestion.pk),
            department=transport_bureau,
            author=department_user,
            public_text="已修复",
        )
        run_outbox()
        assert hotline.callbacks_retry_due() == 1  # the reply is due, but waits
        run_outbox()
    assert fake.callbacks == []
    assert CallbackDelivery.objects.filter(delivered_at__isnull=True).count() == 2

    # "Retry now" sends the dead one, and the waiting reply follows it, in order.
    with time_machine.travel(later + dt.timedelta(minutes=1), tick=False):
        assert hotline.callbacks_retry_now(deliveries=[first]) == 1
        run_outbox()
    assert fake.stages() == ["dispatched", "replied"]
    assert not CallbackDelivery.objects.filter(delivered_at__isnull=True).exists()


def test_a_delivery_is_posted_once_when_two_tasks_run_for_it(routed_order, fake):
    order = WorkOrder.objects.get()
    CallbackDelivery.objects.update(delivered_at=None)
    fake.callbacks.clear()
    assert hotline.callbacks_deliver(order_id=order.pk) == 1
    assert hotline.callbacks_deliver(order_id=order.pk) == 0
    assert len(fake.callbacks) == 1


def test_old_signatures_are_forgotten_by_the_sweep(client, integration, roads):
    from suggestions.models import InboundNonce

    file_order(client, integration)
    assert InboundNonce.objects.count() == 1
    hotline.callbacks_retry_due(now=timezone.now() + dt.timedelta(minutes=5))
    assert InboundNonce.objects.count() == 1
    hotline.callbacks_retry_due(now=timezone.now() + dt.timedelta(minutes=12))
    assert InboundNonce.objects.count() == 0


# --- The dead-letter list in the admin --------------------------------------------------------


@pytest.fixture
def dead(client, integration, station, roads_rule, fake, settings):
    settings.LIAISON_HOTLINE_MAX_ATTEMPTS = 2
    fake.fail_next = 100
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        suggestion = file_order(client, integration, station="XD001")
        services.case_route(case_id=suggestion.pk)
    delivery = CallbackDelivery.objects.get()
    kill_after_max_attempts(delivery.order_id, start, settings)
    delivery.refresh_from_db()
    assert delivery.dead_at is not None
    OutboxMessage.objects.update(sent_at=timezone.now())
    fake.fail_next = 0
    client.logout()
    return delivery


def changelist():
    return reverse("admin:suggestions_callbackdelivery_changelist")


def test_the_dead_letter_list_shows_dead_callbacks_to_the_clerk_of_the_region(
    client, dead, county_clerk, english, django_assert_max_num_queries
):
    client.force_login(county_clerk)
    with django_assert_max_num_queries(10):
        response = client.get(changelist(), {"state": "dead"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [dead]
    assert "HTTP 503" in response.content.decode()
    assert client.get(changelist(), {"state": "delivered"}).context["cl"].result_count == 0


def test_retry_now_from_the_admin_delivers_it(client, dead, county_clerk, fake, english):
    client.force_login(county_clerk)
    response = client.post(
        changelist(),
        {"action": "retry_now", helpers.ACTION_CHECKBOX_NAME: [dead.pk]},
        follow=True,
    )
    assert "1 callbacks will be sent again now." in response.content.decode()
    dead.refresh_from_db()
    assert dead.dead_at is None and dead.attempts == 0
    run_outbox()
    dead.refresh_from_db()
    assert dead.delivered_at is not None and fake.stages() == ["dispatched"]


def test_the_neighbouring_county_neither_sees_nor_retries_it(
    client, dead, other_county_clerk, english
):
    client.force_login(other_county_clerk)
    assert client.get(changelist()).context["cl"].result_count == 0
    change = reverse("admin:suggestions_callbackdelivery_change", args=[dead.pk])
    assert client.get(change).status_code == 404
    client.post(changelist(), {"action": "retry_now", helpers.ACTION_CHECKBOX_NAME: [dead.pk]})
    dead.refresh_from_db()
    assert dead.dead_at is not None
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


# --- Through the real worker and Redis ----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.postgres
def test_round_trip_through_the_real_worker_and_broker(
    worker, broker, live_server, hengyang_county, station, roads_rule, transport_bureau,
    department_user,
):  # fmt: skip
    broker(REDIS_URL)
    with FakeHotline() as fake:
        _integration, credentials = hotline.integration_create(
            name="衡阳市12345热线",
            kind=Integration.Kind.HOTLINE,
            region=hengyang_county,
            callback_url=fake.url,
        )
        fake.secret = credentials.secret
        # The platform posts over HTTP; our worker routes it and calls back over HTTP.
        status, answer = fake.post_order(
            live_server.url + URL, credentials.key, credentials.secret,
            order_body(station="XD001"),
            # What the TLS-terminating proxy in front of the site adds.
            headers={"X-Forwarded-Proto": "https"},
        )  # fmt: skip
        assert status == 201, answer
        assert wait_for(lambda: fake.stages() == ["dispatched"], 30), (
            list(OutboxMessage.objects.values("task", "sent_at", "last_error")),
            list(CallbackDelivery.objects.values("attempts", "last_error")),
        )
        fake.fail_next = 1
        suggestion = Suggestion.objects.get(tracking_code=answer["tracking_code"])
        services.case_reply(
            case=Case.objects.get(pk=suggestion.pk),
            department=transport_bureau,
            author=department_user,
            public_text="已修复",
        )
        # The first try fails and waits for its backoff; once it is over, beat's sweep
        # (run here) queues the order again through the outbox.
        assert wait_for(
            lambda: CallbackDelivery.objects.filter(attempts=1, delivered_at=None).exists(), 30
        )
        CallbackDelivery.objects.filter(attempts=1).update(next_attempt_at=timezone.now())
        assert hotline.callbacks_retry_due() == 1
        assert wait_for(lambda: fake.stages() == ["dispatched", "replied"], 30), list(
            CallbackDelivery.objects.values("attempts", "last_error", "next_attempt_at")
        )
        assert all(callback["verified"] for callback in fake.callbacks)
        time.sleep(0.5)
        assert len(fake.callbacks) == 2
