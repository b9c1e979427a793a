"""Celery tasks: thin shells that call services; each is safe to run twice."""

from celery import shared_task

from votes.tracking import milestones_remind


@shared_task
def remind_overdue_milestones() -> int:
    """Chase the open milestones past their due date (daily, from beat): the office and
    the supervising group's leader, once per milestone and due date."""
    return milestones_remind()
