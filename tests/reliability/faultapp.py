"""The project's Celery app with test-only fault points, for the workers the fault tests kill.

``celery -A tests.reliability.faultapp worker`` runs the real app and tasks; the
environment adds:

- ``FAULT_PAUSE=save:<app_label.Model>``: stop right after the first row of that model
  is saved, inside the task's transaction (e.g. routing with its assignment written but
  not committed); ``FAULT_PAUSE=after:<task name>``: stop once the task has returned
  (its transaction committed, its message not yet acknowledged). Only the first process
  to get there stops: it creates ``FAULT_DIR/paused`` exclusively and writes its pid
  there, then sleeps until the test kills it. The worker that takes over runs through.
- ``FAULT_VISIBILITY_TIMEOUT=<seconds>``: how long the Redis transport waits before it
  hands a message that a dead worker took (and never acknowledged) to another worker. In
  production that is an hour (liaison/settings.py); here a few seconds.

Nothing here is imported by the project itself.
"""

import os
import time
from pathlib import Path

from celery.signals import task_postrun
from django.db.models.signals import post_save

from liaison.celery import app

POINT = os.environ.get("FAULT_PAUSE", "")


def pause(point: str) -> None:
    marker = Path(os.environ["FAULT_DIR"]) / "paused"
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    os.write(fd, f"{os.getpid()} {point}".encode())
    os.close(fd)
    time.sleep(600)  # the test kills this process long before


def _after_save(sender, **kwargs):
    pause(POINT)


def _after_task(sender=None, **kwargs):
    if sender is not None and sender.name == POINT.removeprefix("after:"):
        pause(POINT)


if POINT.startswith("save:"):
    # A lazy "app_label.Model" sender: connected once the model is registered.
    post_save.connect(_after_save, sender=POINT.removeprefix("save:"), weak=False)
elif POINT.startswith("after:"):
    task_postrun.connect(_after_task, weak=False)

if os.environ.get("FAULT_VISIBILITY_TIMEOUT"):
    app.conf.broker_transport_options = dict(app.conf.broker_transport_options or {}) | {
        "visibility_timeout": int(os.environ["FAULT_VISIBILITY_TIMEOUT"]),
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }

__all__ = ["app"]
