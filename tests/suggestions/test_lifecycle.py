"""A constituent opinion's whole life, with a real Celery worker consuming from Redis.

submit → routed → reminded → overdue notice → replied → rated unsatisfied → reopened →
replied → rated satisfied → closed. Routing, the deadline sweeps and every SMS run in
the worker process; the SMS reach a local gateway over real HTTP.
"""

import datetime as dt
import time

import pytest
from django.utils import timezone

from liaison.celery import app as celery_app
from liaison.models import Notification, OutboxMessage
from suggestions import services
from suggestions.models import Assignment, Case, DeadlineNotice, Event, Suggestion
from tests.fakes import closed_port
from tests.workers import REDIS_URL, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def kinds(case) -> list[str]:
    return list(Event.objects.filter(case=case).order_by("id").values_list("kind", flat=True))


def sms_to(gateway, phone: str) -> list[str]:
    return [r["json"]["text"] for r in gateway.requests if r["json"]["phone"] == phone]


def run_in_worker(task: str) -> None:
    result = celery_app.send_task(task, retry=False)
    assert result.id


@pytest.fixture
def day_one_rule(roads_rule):
    # A one-working-day limit puts the due date inside the reminder window at once.
    roads_rule.time_limit_days = 1
    roads_rule.save(update_fields=["time_limit_days"])
    return roads_rule


def test_an_opinion_lives_its_whole_life_through_the_real_worker(
    worker, broker, submit, day_one_rule, department_user, county_clerk, township_clerk
):
    gateway = worker
    broker(REDIS_URL)
    bureau = day_one_rule.department

    # Submit: the commit alone gets it routed by the worker (交办及时).
    suggestion = submit()
    assert wait_for(lambda: Assignment.objects.filter(case=suggestion).exists()), list(
        OutboxMessage.objects.values("task", "sent_at", "last_error")
    )
    assignment = Assignment.objects.get(case=suggestion)
    assert assignment.department == bureau and assignment.role == "lead"
    assert wait_for(lambda: sms_to(gateway, "13800138000"))  # the receipt
    assert suggestion.tracking_code in sms_to(gateway, "13800138000")[0]

    # The sweep, run by the worker: a reminder before the deadline, once.
    run_in_worker("suggestions.tasks.sweep_deadlines")
    assert wait_for(lambda: DeadlineNotice.objects.filter(kind="reminder").exists())
    run_in_worker("suggestions.tasks.sweep_deadlines")
    assert Notification.objects.filter(kind="reminder", recipient=department_user).count() == 1

    # The due date passes unanswered: the next sweep sends the overdue notice (督办) to
    # the department, its supervisor by SMS, and the county and township offices.
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Assignment.objects.filter(pk=assignment.pk).update(due_date=yesterday)
    Case.objects.filter(pk=suggestion.pk).update(due_date=yesterday)
    run_in_worker("suggestions.tasks.sweep_deadlines")
    assert wait_for(lambda: sms_to(gateway, bureau.supervisor_phone))
    overdue_inbox = Notification.objects.filter(kind="overdue", channel="inbox")
    assert {n.recipient for n in overdue_inbox} >= {department_user, county_clerk, township_clerk}
    run_in_worker("suggestions.tasks.sweep_deadlines")
    time.sleep(1)
    assert len(sms_to(gateway, bureau.supervisor_phone)) == 1

    # Reply → the rating link goes out by SMS.
    services.case_reply(
        case=suggestion,
        department=bureau,
        author=department_user,
        public_text="已安排养护站修补路面。",
        internal_note="养护站周三进场",
    )
    assert wait_for(lambda: len(sms_to(gateway, "13800138000")) == 2)
    first_link = sms_to(gateway, "13800138000")[1].rsplit(" ", 1)[-1]
    token = first_link.rstrip("/").rsplit("/", 1)[-1]
    case = services.case_for_rating_token(token)
    assert case is not None and case.pk == suggestion.pk

    # Unsatisfied → reopened with a new deadline; department and office are told.
    services.case_rate(case=case, rating="unsatisfied", comment="只补了一半")
    suggestion.refresh_from_db()
    assert suggestion.status == "reopened" and suggestion.due_date > yesterday
    assert Notification.objects.filter(kind="reopened", recipient=department_user).exists()
    assert Notification.objects.filter(kind="reopened", recipient=county_clerk).exists()
    assert services.case_for_rating_token(token) is None  # the old link is spent

    # Second reply, second link, satisfied → closed.
    services.case_reply(
        case=suggestion, department=bureau, author=department_user, public_text="已全部修复。"
    )
    assert wait_for(lambda: len(sms_to(gateway, "13800138000")) == 3)
    second_token = sms_to(gateway, "13800138000")[2].rsplit("/", 2)[-2]
    services.case_rate(case=services.case_for_rating_token(second_token), rating="satisfied")

    suggestion = Suggestion.objects.get(pk=suggestion.pk)
    assert suggestion.status == "closed" and suggestion.satisfaction == "satisfied"
    assert kinds(suggestion) == [
        "received",
        "routed",
        "reminded",
        "overdue",
        "replied",
        "rated",
        "reopened",
        "replied",
        "rated",
        "closed",
    ]
    assert all(message["signed"] for message in gateway.requests)


@pytest.mark.parametrize("kind", ["down", "silent"])
def test_a_submission_with_a_dead_broker_is_quick_stored_and_routed_later(
    worker, broker, client, station, roads, roads_rule, silent_port, kind
):
    port = closed_port() if kind == "down" else silent_port
    broker(f"redis://127.0.0.1:{port}/0")
    started = time.monotonic()
    response = client.post(
        "/api/v1/suggestions/",
        {
            "station": station.code,
            "category": roads.code,
            "title": "路灯不亮",
            "content": "西渡镇人民路路灯连续一周不亮。",
            "name": "李四",
            "phone": "13700137000",
            "consent": True,
        },
        content_type="application/json",
    )
    assert time.monotonic() - started < 3
    assert response.status_code == 201, response.content
    suggestion = Suggestion.objects.get(tracking_code=response.json()["tracking_code"])
    time.sleep(2.5)  # the after-commit publish meets the dead broker and gives up
    assert not Assignment.objects.filter(case=suggestion).exists()
    assert OutboxMessage.objects.filter(sent_at__isnull=True).exists()

    # The broker is back: the beat relay publishes and the worker routes it, once.
    broker(REDIS_URL)
    OutboxMessage.objects.update(available_at=timezone.now())
    run_in_worker("liaison.tasks.relay_outbox")
    assert wait_for(lambda: Assignment.objects.filter(case=suggestion).exists()), list(
        OutboxMessage.objects.values("task", "sent_at", "last_error")
    )
    run_in_worker("liaison.tasks.relay_outbox")
    time.sleep(1)
    assert Assignment.objects.filter(case=suggestion).count() == 1
    assert Assignment.objects.get(case=suggestion).department == roads_rule.department
