"""Notifications: write the row (once, by its key), deliver it through the outbox."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from liaison import sms
from liaison.models import Notification
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
                subject=subject,
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


def notification_deliver(*, notification_id: int) -> bool:
    """Send one pending notification; True if it is sent (now or before)."""
    with transaction.atomic():
        # Lock the row: a redelivered task and the original must not both send.
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.status == Notification.Status.SENT:
            return notification is not None
        if notification.channel == Notification.Channel.SMS:
            phone = notification.address or getattr(notification.recipient, "phone", "")
            try:
                sms.get_backend().send(phone=phone, text=notification.body or notification.subject)
            except sms.SmsError as exc:
                notification.attempts += 1
                notification.error = str(exc)[:2000]
                if notification.attempts >= MAX_ATTEMPTS:
                    notification.status = Notification.Status.FAILED
                notification.save(update_fields=["attempts", "error", "status"])
                if notification.status == Notification.Status.FAILED:
                    return False
                raise
        elif notification.channel == Notification.Channel.EMAIL:
            address = notification.address or getattr(notification.recipient, "email", "")
            # Raises on an SMTP failure: the task retries, the row stays pending.
            send_mail(
                notification.subject,
                "\n\n".join(filter(None, [notification.body, notification.link])),
                None,
                [address],
            )
        notification.status = Notification.Status.SENT
        notification.sent_at = timezone.now()
        notification.attempts += 1
        notification.save(update_fields=["status", "sent_at", "attempts"])
        return True
