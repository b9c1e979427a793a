"""Issue 9, fault 3: two ``celery beat`` processes started at once against the real
Redis. Each periodic job is sent once per period, not once per scheduler."""

import json
import os
import time

import pytest
import redis
from celery.beat import ScheduleEntry
from celery.schedules import crontab

from liaison.beatlock import LockedScheduler
from liaison.celery import app
from tests.reliability.conftest import flush_redis
from tests.workers import wait_for

pytestmark = pytest.mark.slow

# Redis db of these tests (the worker tests use TEST_REDIS_BROKER_URL's).
BEAT_REDIS_URL = os.environ.get("TEST_REDIS_BEAT_URL", "redis://127.0.0.1:6379/4")
WINDOW = 8  # seconds of counting, once both schedulers run
PERIODS = {"faults.every_second": 1, "faults.every_two_seconds": 2}


def sent_tasks(client) -> list[str]:
    return [json.loads(raw)["headers"]["task"] for raw in client.lrange("faults-beat", 0, -1)]


def test_two_beat_schedulers_send_each_job_once_per_period(tmp_path, beat_processes, figures):
    flush_redis(BEAT_REDIS_URL)
    client = redis.Redis.from_url(BEAT_REDIS_URL)
    env = {"CELERY_BROKER_URL": BEAT_REDIS_URL, "LOG_LEVEL": "WARNING"}
    beats = [
        beat_processes.start(
            f"beat-{n}",
            ["-A", "tests.reliability.beatapp", "beat", "-s", str(tmp_path / f"schedule-{n}")],
            **env,
        )
        for n in (1, 2)
    ]
    # Both have started once both have tried to send (won or skipped) a job.
    assert wait_for(lambda: len(client.keys("liaison:beat:faults-every-second:*")) >= 2, 30), (
        beat_processes.logs()
    )
    time.sleep(2)  # both are past their first runs
    client.delete("faults-beat")
    time.sleep(WINDOW)
    tasks = sent_tasks(client)
    assert all(beat.poll() is None for beat in beats), beat_processes.logs()

    counts = {task: tasks.count(task) for task in PERIODS}
    figures(
        f"faults: two beats for {WINDOW}s: "
        + " ".join(f"{task}={count} (period {PERIODS[task]}s)" for task, count in counts.items())
    )
    for task, period in PERIODS.items():
        # At most one message per period that began in the window (two schedulers
        # without the lock send twice that); at least most of them.
        assert WINDOW // period - 2 <= counts[task] <= WINDOW // period + 1, counts


def test_the_slot_lock_lets_one_of_two_schedulers_send_a_crontab_job(beat_processes, broker):
    flush_redis(BEAT_REDIS_URL)
    broker(BEAT_REDIS_URL)
    entry = ScheduleEntry(name="faults-daily", task="x", schedule=crontab(hour=8, minute=30))
    first, second = (
        LockedScheduler(app=app, schedule_filename=str(beat_processes.folder / f"s{n}"), lazy=True)
        for n in (1, 2)
    )
    at_830 = 1_800_000_000.0 // 86400 * 86400 + 30 * 60  # some day's 00:30 UTC, 08:30 here
    assert first.claim(entry, at_830 + 0.2) is True
    assert second.claim(entry, at_830 + 0.9) is False
    # The next day's run is a new slot.
    assert second.claim(entry, at_830 + 86400.3) is True
