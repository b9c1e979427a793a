"""Bench-only Celery tasks (the worker loads them with ``--include bench.tasks``)."""

import time

import redis
from celery import shared_task
from django.conf import settings


@shared_task
def noop() -> None:
    """P4's baseline: the cost of a task that does nothing."""


@shared_task
def mark(key: str) -> None:
    """Record when the worker reached this point of the queue (seconds since the epoch)."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.set(key, repr(time.time()))
