from celery import shared_task

from stations.models import Station
from stations.services import reception_days_roll


@shared_task
def roll_reception_days() -> int:
    """Keep every active station's reception days materialised for the coming weeks."""
    created = 0
    for station in Station.objects.filter(is_active=True, schedules__is_active=True).distinct():
        created += reception_days_roll(station=station)
    return created
