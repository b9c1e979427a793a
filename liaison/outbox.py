"""The transactional outbox: commit the work with the change, publish it afterwards.

``outbox_enqueue`` is called inside the transaction that makes a change; the row commits
or rolls back with it. After commit the row's id is handed to the process's publisher
thread (so work starts within a second when the broker is well), and the ``relay_outbox``
beat task publishes whatever is still waiting (so work starts when a dead broker comes
back). The web request never waits for the broker.

The publisher is one long-lived thread per process, started lazily (so each gunicorn or
Celery child started by fork gets its own), fed by a bounded queue and keeping one
database connection of its own: an opinion costs no thread start and no connection
setup. When the queue is full (a silent broker holds the thread), ids are dropped: their
rows wait in the table for the relay, which is the safety net in every case.

Publishing can happen twice (the thread and the relay, or a crash between publish and
mark): every task run through the outbox is idempotent.
"""

import datetime as dt
import logging
import os
import queue
import threading

from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from liaison.celery import app as celery_app
from liaison.models import OutboxMessage

logger = logging.getLogger(__name__)

MAX_BACKOFF = dt.timedelta(minutes=5)
# Ids waiting for the publisher; beyond this the relay publishes them (seconds later).
QUEUE_SIZE = 10_000
# Ids published in one transaction: a burst of commits costs one SELECT … FOR UPDATE.
BATCH = 100
# An idle publisher gives its database connection back after this long (like
# CONN_MAX_AGE for request threads); the next batch connects again.
IDLE_SECONDS = 60.0


def outbox_enqueue(*, task: str, kwargs: dict, publish_now: bool = True) -> OutboxMessage:
    """Record a task to run once the current transaction commits."""
    message = OutboxMessage.objects.create(task=task, kwargs=kwargs)
    if publish_now:
        transaction.on_commit(lambda: _publisher().offer(message.pk))
    return message


def _backoff(attempts: int) -> dt.timedelta:
    return min(dt.timedelta(seconds=2**attempts), MAX_BACKOFF)


def outbox_relay(*, batch: int = 200, ids: list[int] | None = None) -> int:
    """Publish waiting messages; returns how many were published.

    Rows are locked with SKIP LOCKED, so two relays at once (beat and a publisher
    thread, or two workers) never publish the same row twice in one pass.
    """
    return _relay(batch=batch, ids=ids)[0]


def _relay(*, batch: int, ids: list[int] | None) -> tuple[int, bool]:
    """(published, whether the broker failed)."""
    now = timezone.now()
    sent: list[int] = []
    failed = False
    with transaction.atomic():
        pending = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
            sent_at__isnull=True
        )
        pending = pending.filter(pk__in=ids) if ids else pending.filter(available_at__lte=now)
        for message in pending.order_by("id")[:batch]:
            try:
                celery_app.send_task(message.task, kwargs=message.kwargs, retry=False)
            except Exception as exc:  # the broker is down or silent: keep the rest for later
                failed = True
                message.attempts += 1
                message.available_at = now + _backoff(message.attempts)
                message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                message.save(update_fields=["attempts", "available_at", "last_error"])
                logger.warning("outbox: broker unavailable (%s); %s waits", exc, message)
                break
            sent.append(message.pk)
        if sent:
            OutboxMessage.objects.filter(pk__in=sent).update(sent_at=now)
    return len(sent), failed


# --- The publisher thread -----------------------------------------------------------------


class _Publisher:
    """One thread that publishes committed outbox rows, in batches, on one connection."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.queue: queue.Queue = queue.Queue(maxsize=QUEUE_SIZE)
        self.dropped = 0
        self.thread = threading.Thread(target=self._run, name="outbox-publisher", daemon=True)
        self.thread.start()

    def offer(self, message_id: int) -> None:
        """Hand over an id without ever blocking the caller (a request thread)."""
        try:
            self.queue.put_nowait(message_id)
        except queue.Full:
            self.dropped += 1
            if self.dropped % 1000 == 1:
                logger.warning("outbox: publisher queue full; the relay publishes the rest")

    def release(self, timeout: float = 10) -> bool:
        """Wait until the ids handed over so far are dealt with and the thread's database
        connection is closed (tests drop their database afterwards)."""
        done = threading.Event()
        try:
            self.queue.put(done, timeout=timeout)
        except queue.Full:
            return False
        return done.wait(timeout)

    def _run(self) -> None:
        while True:
            try:
                item = self.queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                connection.close()  # idle: give the database its connection back
                continue
            ids: list[int] = []
            while isinstance(item, int):
                ids.append(item)
                if len(ids) >= BATCH:
                    item = None
                    break
                try:
                    item = self.queue.get_nowait()
                except queue.Empty:
                    item = None
            if ids:
                self._publish(ids)
            if isinstance(item, threading.Event):
                connection.close()
                item.set()

    def _publish(self, ids: list[int]) -> None:
        # As at the start of a request: drop a connection that is too old or broken, so
        # a restarted database costs one failed batch (left to the relay), not a thread.
        close_old_connections()
        try:
            _relay(batch=len(ids), ids=ids)
        except Exception:
            logger.exception("outbox: publishing %d message(s) failed; the relay retries", len(ids))
            connection.close()


_lock = threading.Lock()
_current: _Publisher | None = None


def _publisher() -> _Publisher:
    """This process's publisher, started on first use (again in a forked child)."""
    global _current
    publisher = _current
    if publisher is not None and publisher.pid == os.getpid() and publisher.thread.is_alive():
        return publisher
    with _lock:
        if _current is None or _current.pid != os.getpid() or not _current.thread.is_alive():
            _current = _Publisher()
        return _current


def publisher_release(timeout: float = 10) -> bool:
    """Let this process's publisher finish what it was given and close its connection;
    True at once if there is none."""
    publisher = _current
    if publisher is None or publisher.pid != os.getpid() or not publisher.thread.is_alive():
        return True
    return publisher.release(timeout)
