"""Celery tasks: thin shells that call services; each is safe to run twice."""

from celery import shared_task

from stations.models import Station
from stations.services import duty_reminders_send, reception_days_roll


@shared_task
def roll_reception_days() -> int:
    """Keep every active station's reception days materialised for the coming weeks,
    and deal again the duty of days not announced yet (placements change, swaps)."""
    created = 0
    for station in Station.objects.filter(is_active=True, schedules__is_active=True).distinct():
        created += reception_days_roll(station=station)
    return created


@shared_task
def remind_duties() -> int:
    """Remind the deputies on duty tomorrow (inbox and SMS), once each."""
    return duty_reminders_send()
