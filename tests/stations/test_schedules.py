"""Reception schedules are data; occurrences and fair duty rotation come from them."""

import datetime as dt
from collections import Counter

import pytest

from stations.models import Duty, ReceptionDay, ReceptionSchedule
from stations.services import reception_days_roll
from tests.factories import DeputyFactory, StationFactory, place

D = dt.date


@pytest.mark.parametrize(
    ("fields", "start", "end", "expected"),
    [
        (
            {"rule": "monthly", "day_of_month": 8},
            D(2026, 1, 1),
            D(2026, 3, 31),
            [D(2026, 1, 8), D(2026, 2, 8), D(2026, 3, 8)],
        ),
        # The 31st in a short month falls on its last day.
        (
            {"rule": "monthly", "day_of_month": 31},
            D(2026, 2, 1),
            D(2026, 4, 30),
            [D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30)],
        ),
        (
            {"rule": "monthly", "day_of_month": 15, "months": "odd"},
            D(2026, 1, 1),
            D(2026, 6, 30),
            [D(2026, 1, 15), D(2026, 3, 15), D(2026, 5, 15)],
        ),
        (
            {"rule": "weekly", "weekday": 2},
            D(2026, 11, 23),
            D(2026, 12, 7),
            [D(2026, 11, 25), D(2026, 12, 2)],
        ),
        (
            {"rule": "dates", "dates": ["2026-12-24", "2026-12-03", "2027-01-05"]},
            D(2026, 12, 1),
            D(2026, 12, 31),
            [D(2026, 12, 3), D(2026, 12, 24)],
        ),
    ],
)
def test_occurrences_follow_the_rule(fields, start, end, expected):
    assert ReceptionSchedule(**fields).occurrences(start, end) == expected


def test_a_weekly_schedule_must_name_its_weekday(db):
    with pytest.raises(Exception, match="weekday"):
        ReceptionSchedule(rule="weekly").full_clean(exclude=["station"])


def test_roll_creates_days_once_and_rotates_duty_fairly(xidu):
    station = StationFactory(region=xidu)
    ReceptionSchedule.objects.create(station=station, rule="weekly", weekday=0, deputies_per_day=2)
    deputies = [DeputyFactory(region=xidu) for _ in range(5)]
    for deputy in deputies:
        place(deputy, station)
    created = reception_days_roll(station=station, start=D(2026, 1, 1), end=D(2026, 12, 31))
    assert created == 52
    assert reception_days_roll(station=station, start=D(2026, 1, 1), end=D(2026, 12, 31)) == 0
    counts = Counter(Duty.objects.values_list("deputy_id", flat=True))
    assert sum(counts.values()) == 104
    assert max(counts.values()) - min(counts.values()) <= 1
    assert all(day.duties.count() == 2 for day in ReceptionDay.objects.all())


def test_roll_keeps_existing_days_and_their_deputies(xidu):
    station = StationFactory(region=xidu)
    ReceptionSchedule.objects.create(station=station, rule="monthly", day_of_month=8)
    first, second = DeputyFactory(region=xidu), DeputyFactory(region=xidu)
    place(first, station)
    place(second, station)
    reception_days_roll(station=station, start=D(2026, 1, 1), end=D(2026, 1, 31))
    day = ReceptionDay.objects.get()
    day.duties.all().delete()
    Duty.objects.create(reception_day=day, deputy=second)  # staff override
    reception_days_roll(station=station, start=D(2026, 1, 1), end=D(2026, 2, 28))
    assert list(day.duties.values_list("deputy_id", flat=True)) == [second.pk]
    assert ReceptionDay.objects.count() == 2


def test_given_dates_are_listed_where_people_read_the_schedule():
    from django.utils import translation

    schedule = ReceptionSchedule(rule="dates", dates=["2026-12-24", "2026-12-03"])
    with translation.override("zh-hans"):
        assert schedule.describe() == "指定日期：12/3、12/24"
