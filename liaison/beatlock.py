"""Each periodic job is sent once per period, however many beat schedulers run.

Two ``celery beat`` processes (a second one started by mistake, or two hosts for
availability) would otherwise each send every job. ``LockedScheduler`` keeps Celery's
own schedule and, before sending a job, claims the job's current slot in Redis with
``SET key NX EX``: the first scheduler to claim a slot sends, the others skip it.

A slot is the period the job falls in, counted from the epoch: ``now // run_every`` for
a job every N seconds, the minute for crontab jobs (two schedulers send a crontab job
within a second or so of each other, never a minute apart). A scheduler never blocks
itself: its own runs are at least one period apart, so each lands in a new slot. There
is no leader to fail over: when one scheduler stops, the other's next run goes ahead.

The lock lives in the broker's Redis (the schedulers cannot send without it anyway); on
another broker (the embedded file-system one of development, which runs one beat) the
Django cache's atomic ``add`` is used instead.
"""

import logging
import math
import os
import socket
import time

from celery.beat import PersistentScheduler, ScheduleEntry
from celery.schedules import schedule as interval_schedule

logger = logging.getLogger(__name__)

KEY_PREFIX = "liaison:beat:"
# Socket timeouts of the lock: a silent Redis skips a run instead of hanging beat.
REDIS_TIMEOUT = 2


def slot_of(entry: ScheduleEntry, now: float) -> tuple[int, float]:
    """The entry's slot at ``now`` (seconds since the epoch) and the slot's length."""
    schedule = entry.schedule
    if isinstance(schedule, interval_schedule):
        period = max(schedule.run_every.total_seconds(), 0.001)
    else:
        period = 60.0  # crontab and solar schedules: minute granularity
    return math.floor(now / period), period


class LockedScheduler(PersistentScheduler):
    """Celery's persistent scheduler, sending each job at most once per slot."""

    def __init__(self, *args, **kwargs):
        self._redis = None
        super().__init__(*args, **kwargs)

    def apply_entry(self, entry, producer=None):
        try:
            claimed = self.claim(entry, time.time())
        except Exception as exc:
            # No lock store means no broker either (they are one Redis): sending would
            # fail too. Skip this run; the next period tries again.
            logger.warning("beat: could not claim %s (%s); skipped", entry.name, exc)
            return
        if not claimed:
            logger.info("beat: %s was sent by another scheduler this period", entry.name)
            return
        super().apply_entry(entry, producer=producer)

    def claim(self, entry: ScheduleEntry, now: float) -> bool:
        """True if this scheduler is the first to claim the entry's current slot."""
        slot, period = slot_of(entry, now)
        key = f"{KEY_PREFIX}{entry.name}:{slot}"
        # Kept a little longer than the slot, so a late claimant still finds it taken.
        ttl = math.ceil(period) + 60
        redis = self._lock_store()
        if redis is not None:
            holder = f"{socket.gethostname()}:{os.getpid()}"
            return bool(redis.set(key, holder, nx=True, ex=ttl))
        from django.core.cache import cache

        return cache.add(key, 1, timeout=ttl)

    def _lock_store(self):
        if self._redis is None:
            url = self.app.conf.broker_write_url or self.app.conf.broker_url or ""
            if not url.startswith(("redis://", "rediss://")):
                return None
            import redis

            self._redis = redis.Redis.from_url(
                url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
            )
        return self._redis
