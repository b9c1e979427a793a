"""The transactional outbox: commit the work with the change, publish it afterwards.

``outbox_enqueue`` is called inside the transaction that makes a change; the row commits
or rolls back with it. After commit a background thread tries to publish at once (so
work starts within a second when the broker is well), and the ``relay_outbox`` beat task
publishes whatever is still waiting (so work starts when a dead broker comes back). The
web request never waits for the broker.

Publishing can happen twice (the thread and the relay, or a crash between publish and
mark): every task run through the outbox is idempotent.
"""

import datetime as dt
import logging
import threading

from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from liaison.celery import app as celery_app
from liaison.models import OutboxMessage

logger = logging.getLogger(__name__)

MAX_BACKOFF = dt.timedelta(minutes=5)


def outbox_enqueue(*, task: str, kwargs: dict, publish_now: bool = True) -> OutboxMessage:
    """Record a task to run once the current transaction commits."""
    message = OutboxMessage.objects.create(task=task, kwargs=kwargs)
    if publish_now:
        transaction.on_commit(lambda: _publish_in_background(message.pk))
    return message


def _publish_in_background(message_id: int) -> None:
    thread = threading.Thread(
        target=_publish_thread, args=(message_id,), name="outbox-publish", daemon=True
    )
    thread.start()


def _publish_thread(message_id: int) -> None:
    try:
        outbox_relay(ids=[message_id])
    except Exception:
        logger.exception("outbox: publishing message %s failed; the relay will retry", message_id)
    finally:
        close_old_connections()
        connection.close()


def _backoff(attempts: int) -> dt.timedelta:
    return min(dt.timedelta(seconds=2**attempts), MAX_BACKOFF)


def outbox_relay(*, batch: int = 200, ids: list[int] | None = None) -> int:
    """Publish waiting messages; returns how many were published.

    Rows are locked with SKIP LOCKED, so two relays at once (beat and a web thread, or
    two workers) never publish the same row twice in one pass.
    """
    now = timezone.now()
    published = 0
    with transaction.atomic():
        pending = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
            sent_at__isnull=True
        )
        pending = pending.filter(pk__in=ids) if ids else pending.filter(available_at__lte=now)
        for message in pending.order_by("id")[:batch]:
            try:
                celery_app.send_task(message.task, kwargs=message.kwargs, retry=False)
            except Exception as exc:  # the broker is down or silent: keep the rest for later
                message.attempts += 1
                message.available_at = now + _backoff(message.attempts)
                message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                message.save(update_fields=["attempts", "available_at", "last_error"])
                logger.warning("outbox: broker unavailable (%s); %s waits", exc, message)
                break
            message.sent_at = now
            message.save(update_fields=["sent_at"])
            published += 1
    return published
