from celery import shared_task
from django.conf import settings

from liaison import jobs, notifications
from liaison.outbox import outbox_relay


@shared_task
def relay_outbox() -> int:
    """Publish outbox messages that the after-commit fast path could not."""
    return outbox_relay()


@shared_task(
    bind=True, autoretry_for=(notifications.DeliveryFailed,), retry_backoff=5, max_retries=4
)
def deliver_notification(self, *, notification_id: int) -> bool:
    return notifications.notification_deliver(notification_id=notification_id)


@shared_task
def retry_stale_notifications() -> int:
    """Queue again messages whose delivery task was lost or gave up."""
    return notifications.notifications_retry_stale()


@shared_task
def run_job(*, job_id: int) -> None:
    """Run a background job (an import, an export, a report); see liaison.jobs."""
    jobs.run(job_id)


@shared_task
def clean_up_jobs() -> tuple[int, int]:
    """Delete old jobs and their files; fail jobs whose worker died."""
    return jobs.clean_up(
        retention_days=settings.LIAISON_JOB_RETENTION_DAYS,
        stale_hours=settings.LIAISON_JOB_STALE_HOURS,
    )
