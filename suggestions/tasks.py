"""Celery tasks: thin shells that call services; each is safe to run twice."""

from celery import shared_task

from suggestions import deputy_suggestions, hotline, privacy, receptions, services


@shared_task
def route_case(*, case_id: int) -> int | None:
    assignment = services.case_route(case_id=case_id)
    return assignment.pk if assignment else None


@shared_task
def sweep_deadlines() -> dict[str, int]:
    counts = services.deadlines_sweep()
    counts["deputy_expired"] = services.deputy_decisions_expire()
    counts["rerouted"] = services.routing_retry()
    return counts


@shared_task
def send_department_digests() -> int:
    return services.department_digests()


@shared_task
def expire_ratings() -> int:
    return services.case_expire_ratings()


@shared_task
def expire_personal_data() -> int:
    return privacy.personal_data_expire() + receptions.reception_personal_data_expire()


@shared_task
def remind_reviews() -> int:
    """B-class deputy suggestions whose later review (回头看) is due."""
    return deputy_suggestions.reviews_due()


@shared_task
def deliver_hotline_callbacks(*, order_id: int) -> int:
    """Post a 12345 work order's due callbacks, in order (suggestions.hotline)."""
    return hotline.callbacks_deliver(order_id=order_id)


@shared_task
def retry_hotline_callbacks() -> int:
    """Queue the hotline callbacks whose backoff is over; forget old signatures."""
    return hotline.callbacks_retry_due()
