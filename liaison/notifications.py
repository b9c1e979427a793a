"""Notifications: write the row (once, by its key), deliver it through the outbox."""

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from liaison import regions, sms
from liaison.crypto import mask_phone
from liaison.models import Notification, User
from liaison.outbox import outbox_enqueue


def notification_create(
    *,
    channel: str,
    kind: str,
    subject: str,
    body: str = "",
    recipient=None,
    address: str = "",
    link: str = "",
    dedupe_key: str | None = None,
) -> Notification | None:
    """Create a notification and queue its delivery; None if its key was used before.

    The unique key is what makes a reminder happen once even when two sweeps overlap:
    the second insert fails inside its own savepoint and changes nothing.
    """
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                channel=channel,
                kind=kind,
                subject=str(subject)[:200],
                body=body,
                recipient=recipient,
                address=address,
                link=link,
                dedupe_key=dedupe_key,
                status=(
                    Notification.Status.SENT
                    if channel == Notification.Channel.INBOX
                    else Notification.Status.PENDING
                ),
                sent_at=timezone.now() if channel == Notification.Channel.INBOX else None,
            )
            if channel != Notification.Channel.INBOX:
                outbox_enqueue(
                    task="liaison.tasks.deliver_notification",
                    kwargs={"notification_id": notification.pk},
                )
    except IntegrityError:
        if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    return notification


def absolute_link(path: str) -> str:
    """An absolute URL for a message read outside the site (SMS, e-mail)."""
    return (settings.SITE_URL or "http://127.0.0.1:8000") + path


MAX_ATTEMPTS = 5


class DeliveryFailed(Exception):
    """A send failed and was recorded; the task should retry later."""


def notification_deliver(*, notification_id: int) -> bool:
    """Send one pending notification; True if it is sent (now or before).

    A failure is recorded on the row (attempts, error) in a transaction that commits
    before the error is raised for the task to retry, so the row always shows what
    happened; after MAX_ATTEMPTS it is marked failed and the admin lists it.
    """
    failure: Exception | None = None
    with transaction.atomic():
        # Lock the row: a redelivered task and the original must not both send.
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.status != Notification.Status.PENDING:
            return notification is not None and notification.status == Notification.Status.SENT
        try:
            _send(notification)
        except (sms.SmsError, OSError) as exc:
            failure = exc
            notification.attempts += 1
            notification.error = f"{type(exc).__name__}: {exc}"[:2000]
            if notification.attempts >= MAX_ATTEMPTS:
                notification.status = Notification.Status.FAILED
            notification.save(update_fields=["attempts", "error", "status", *_spent(notification)])
        else:
            notification.status = Notification.Status.SENT
            notification.sent_at = timezone.now()
            notification.attempts += 1
            notification.save(
                update_fields=["status", "sent_at", "attempts", *_spent(notification)]
            )
    if failure is None:
        return True
    if notification.status == Notification.Status.FAILED:
        return False
    raise DeliveryFailed(str(failure)) from failure


def _spent(notification: Notification) -> list[str]:
    """Once an SMS is sent or given up, the row is a log: it keeps the number masked
    (PIPL), not the number. Returns the fields it changed."""
    if (
        notification.channel != Notification.Channel.SMS
        or notification.status == Notification.Status.PENDING
        or not notification.address
    ):
        return []
    notification.address = mask_phone(notification.address)
    return ["address"]


def _send(notification: Notification) -> None:
    if notification.channel == Notification.Channel.SMS:
        phone = notification.address or getattr(notification.recipient, "phone", "")
        sms.get_backend().send(
            phone=phone,
            text=notification.body or notification.subject,
            # The same key on every try: a redelivered task (its worker was killed after
            # the gateway took the message) does not make the gateway send it twice.
            key=f"liaison-notification-{notification.pk}",
        )
    elif notification.channel == Notification.Channel.EMAIL:
        address = notification.address or getattr(notification.recipient, "email", "")
        send_mail(
            notification.subject,
            "\n\n".join(filter(None, [notification.body, notification.link])),
            None,
            [address],
        )


def notifications_retry_stale(*, older_than: dt.timedelta = dt.timedelta(minutes=15)) -> int:
    """Queue again SMS and e-mails still pending long after they were created: their
    task was lost (a worker killed mid-retry) or gave up while the gateway was down."""
    cutoff = timezone.now() - older_than
    stale = Notification.objects.filter(
        status=Notification.Status.PENDING, created_at__lt=cutoff
    ).exclude(channel=Notification.Channel.INBOX)
    count = 0
    for notification_id in stale.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            outbox_enqueue(
                task="liaison.tasks.deliver_notification",
                kwargs={"notification_id": notification_id},
            )
        count += 1
    return count


def office_users_for(region_code: str, *, all_local: bool = False) -> list[User]:
    """The office staff who look after a region: the nearest office up the chain.

    With ``all_local``, every township and county office on the chain instead (both
    follow a constituent's opinion), falling back to the nearest office above.
    """
    chain = regions.ancestors_of(region_code)
    staff = list(User.objects.filter(role=User.Role.OFFICE, is_active=True, region_id__in=chain))
    if all_local:
        local = [
            u for u in staff if regions.level_of(u.region_id) in ("county", "township", "village")
        ]
        if local:
            return local
    if not staff:
        return []
    nearest = min(chain.index(user.region_id) for user in staff)
    return [user for user in staff if chain.index(user.region_id) == nearest]
