"""The one Celery app of the project.

Fixed behaviour lives here; what depends on the environment (broker URL, transport
options, beat schedule) is read from Django settings under the ``CELERY_`` prefix.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")

app = Celery("liaison")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    # JSON only: a message is data (primary keys), never a pickled object.
    accept_content=["json"],
    task_serializer="json",
    result_serializer="json",
    # Acknowledge after the task ran, so a worker killed mid-task has it redelivered;
    # tasks are written to be idempotent for that reason.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    # One message at a time per process: long tasks do not hold others hostage.
    worker_prefetch_multiplier=1,
    # Nobody reads task results; state lives in the database.
    task_ignore_result=True,
    # A dead or silent broker must not hang the caller: connect and publish fail fast.
    broker_connection_timeout=2,
    broker_connection_retry_on_startup=True,
    task_publish_retry=True,
    task_publish_retry_policy={
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.5,
    },
    # However many beat processes run, each periodic job is sent once per period.
    beat_scheduler="liaison.beatlock:LockedScheduler",
    timezone="Asia/Shanghai",
    enable_utc=True,
    worker_hijack_root_logger=False,
)
app.autodiscover_tasks()
