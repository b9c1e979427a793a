"""Opinions left unrouted (a worker died holding the task and the broker keeps it for
its visibility timeout) are queued again by the deadline sweep, once, and only those."""

import datetime as dt

import pytest
from django.utils import timezone

from liaison.models import OutboxMessage
from suggestions import services
from suggestions.models import Assignment, Case, Event

pytestmark = pytest.mark.django_db

ROUTE = "suggestions.tasks.route_case"


def _later(minutes: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def _published(case) -> None:
    # As if the broker took the routing task (and the worker holding it then died).
    OutboxMessage.objects.filter(task=ROUTE, kwargs__case_id=case.pk).update(sent_at=timezone.now())


def _queued(case) -> int:
    return OutboxMessage.objects.filter(
        task=ROUTE, kwargs__case_id=case.pk, sent_at__isnull=True
    ).count()


def test_an_unrouted_opinion_is_queued_again_after_the_wait(submit, roads_rule, settings):
    settings.LIAISON_ROUTING_RETRY_MINUTES = 15
    lost = submit()
    _published(lost)
    assert services.routing_retry(now=_later(10)) == 0  # not yet
    assert services.routing_retry(now=_later(20)) == 1
    assert _queued(lost) == 1
    # Queued already: the next sweep does not queue it twice.
    assert services.routing_retry(now=_later(35)) == 0
    # The routing runs (here in-process) and the item is assigned once.
    services.case_route(case_id=lost.pk)
    services.case_route(case_id=lost.pk)  # the late redelivery changes nothing
    assert Assignment.objects.filter(case=lost, status=Assignment.Status.ACTIVE).count() == 1
    _published(lost)
    assert services.routing_retry(now=_later(60)) == 0


def test_items_that_wait_on_purpose_are_left_alone(
    submit, roads_rule, addressed_deputy, water, settings
):
    settings.LIAISON_ROUTING_RETRY_MINUTES = 15
    for_deputy = submit(deputy=addressed_deputy)  # the deputy decides first
    no_rule = submit(category=water)  # no rule: the office triages it
    services.case_route(case_id=no_rule.pk)
    assert Event.objects.filter(case=no_rule, kind=Event.Kind.AWAITING_TRIAGE).exists()
    routed = submit()
    services.case_route(case_id=routed.pk)
    for case in (for_deputy, no_rule, routed):
        _published(case)
    assert Case.objects.get(pk=routed.pk).status == "assigned"
    assert services.routing_retry(now=_later(60)) == 0


def test_the_sweep_task_reports_what_it_queued(submit, roads_rule, settings):
    from suggestions.tasks import sweep_deadlines

    settings.LIAISON_ROUTING_RETRY_MINUTES = 0
    lost = submit()
    _published(lost)
    assert sweep_deadlines()["rerouted"] == 1
    assert _queued(lost) == 1
