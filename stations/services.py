"""Writes for stations: every change to reception days and duty goes through here."""

import datetime as dt
from collections import Counter

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from stations.models import Duty, Placement, ReceptionDay, ReceptionSchedule, Station


def _rotation_order(station: Station, *, before: dt.date) -> tuple[list[int], Counter]:
    """Deputies placed at the station, and how many duties each has had there."""
    deputy_ids = list(
        Placement.objects.filter(station=station, is_active=True, deputy__is_active=True)
        .order_by("deputy__code")
        .values_list("deputy_id", flat=True)
    )
    counts = Counter(
        Duty.objects.filter(
            reception_day__station=station,
            reception_day__date__lt=before,
            deputy_id__in=deputy_ids,
        ).values_list("deputy_id", flat=True)
    )
    return deputy_ids, counts


def reception_days_roll(
    *, station: Station, start: dt.date | None = None, end: dt.date | None = None
) -> int:
    """Materialise the station's reception days in [start, end] and put deputies on duty.

    Duty rotates fairly: each day takes the deputies with the fewest duties at this
    station so far (ties by code), so over any stretch the counts differ by at most one.
    Days that already exist keep their deputies (swaps and staff overrides stand).
    Returns the number of reception days created.
    """
    start = start or timezone.localdate()
    end = end or start + dt.timedelta(days=settings.LIAISON_RECEPTION_HORIZON_DAYS)
    with transaction.atomic():
        # Lock the station row: two rolls at once (beat and a staff edit) would otherwise
        # both see a day as missing and put two sets of deputies on duty.
        station = Station.objects.select_for_update().get(pk=station.pk)
        schedules = list(ReceptionSchedule.objects.filter(station=station, is_active=True))
        wanted: dict[dt.date, ReceptionSchedule] = {}
        for schedule in schedules:
            for day in schedule.occurrences(start, end):
                wanted.setdefault(day, schedule)
        # Days a schedule made that no active schedule wants any more (the rule was
        # edited or switched off) go, unless attendance was already recorded on them.
        today = timezone.localdate()
        ReceptionDay.objects.filter(
            station=station,
            schedule__isnull=False,
            date__range=(max(start, today), end),
        ).exclude(date__in=list(wanted)).exclude(duties__attended__isnull=False).delete()
        existing = set(
            ReceptionDay.objects.filter(station=station, date__in=list(wanted)).values_list(
                "date", flat=True
            )
        )
        new_days = [
            ReceptionDay(
                station=station,
                schedule=schedule,
                date=day,
                start_time=schedule.start_time,
                end_time=schedule.end_time,
                notice_days=schedule.notice_days,
            )
            for day, schedule in sorted(wanted.items())
            if day not in existing
        ]
        if not new_days:
            return 0
        ReceptionDay.objects.bulk_create(new_days)
        new_days = list(
            ReceptionDay.objects.filter(
                station=station, date__in=[day.date for day in new_days]
            ).select_related("schedule")
        )
        deputy_ids, counts = _rotation_order(station, before=new_days[0].date)
        duties = []
        if deputy_ids:
            for reception_day in sorted(new_days, key=lambda d: d.date):
                per_day = reception_day.schedule.deputies_per_day if reception_day.schedule else 1
                chosen = sorted(deputy_ids, key=lambda pk: (counts[pk], deputy_ids.index(pk)))
                for deputy_id in chosen[: min(per_day, len(deputy_ids))]:
                    counts[deputy_id] += 1
                    duties.append(Duty(reception_day=reception_day, deputy_id=deputy_id))
        Duty.objects.bulk_create(duties)
        return len(new_days)
