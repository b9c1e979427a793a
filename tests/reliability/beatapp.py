"""The project's Celery app with a short schedule, for the two-beats test: one job every
second and one every two seconds, sent to a queue nobody consumes (the test counts the
messages there). The scheduler is the project's (``beat_scheduler`` in liaison/celery.py)."""

from liaison.celery import app

app.conf.beat_schedule = {
    "faults-every-second": {
        "task": "faults.every_second",
        "schedule": 1.0,
        "options": {"queue": "faults-beat"},
    },
    "faults-every-two-seconds": {
        "task": "faults.every_two_seconds",
        "schedule": 2.0,
        "options": {"queue": "faults-beat"},
    },
}

__all__ = ["app"]
