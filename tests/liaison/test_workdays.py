"""Working days across Spring Festival and National Day, with make-up days (调休).

Expected dates come from the State Council's 2026 holiday notice: Spring Festival
15–23 February off, Saturday 14 and Saturday 28 February worked; Mid-Autumn 25–27
September off, Sunday 20 September worked; National Day 1–7 October off, Saturday
10 October worked.
"""

import datetime as dt

import pytest

from liaison import workdays
from liaison.models import WorkdayOverride

D = dt.date


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (D(2026, 2, 13), 1, D(2026, 2, 14)),  # Friday → the make-up Saturday
        (D(2026, 2, 14), 1, D(2026, 2, 24)),  # across the nine days of Spring Festival
        (D(2026, 2, 12), 5, D(2026, 2, 26)),
        (D(2026, 2, 26), 2, D(2026, 2, 28)),  # Saturday 28 February is worked
        (D(2026, 9, 24), 3, D(2026, 9, 30)),  # Mid-Autumn off 25–27
        (D(2026, 9, 30), 1, D(2026, 10, 8)),  # National Day off 1–7
        (D(2026, 9, 30), 3, D(2026, 10, 10)),  # Saturday 10 October is worked
        (D(2026, 11, 20), 0, D(2026, 11, 20)),
    ],
)
def test_add_workdays_follows_the_holiday_notice(db, start, days, due):
    assert workdays.add_workdays(start, days) == due


def test_sundays_and_holidays_are_not_working_days(db):
    assert workdays.is_workday(D(2026, 9, 20))  # a make-up Sunday
    assert not workdays.is_workday(D(2026, 10, 1))
    assert not workdays.is_workday(D(2026, 11, 22))  # an ordinary Sunday


def test_staff_override_beats_the_package(db):
    WorkdayOverride.objects.create(date=D(2026, 11, 25), is_workday=False, note="临时调整")
    assert workdays.add_workdays(D(2026, 11, 24), 1) == D(2026, 11, 26)


def test_a_year_the_package_does_not_know_uses_the_override_table(db):
    assert 2027 not in workdays.known_years()
    # The office enters the 2027 Spring Festival notice by hand.
    for day in (5, 8, 9, 10, 11):
        WorkdayOverride.objects.create(date=D(2027, 2, day), is_workday=False, note="春节")
    WorkdayOverride.objects.create(date=D(2027, 2, 13), is_workday=True, note="春节调休")
    assert workdays.add_workdays(D(2027, 2, 4), 1) == D(2027, 2, 12)
    assert workdays.add_workdays(D(2027, 2, 4), 2) == D(2027, 2, 13)


def test_an_unknown_year_without_overrides_counts_monday_to_friday(db, caplog):
    workdays._warn_unknown_year.cache_clear()  # warned once per process and year
    assert workdays.add_workdays(D(2027, 3, 5), 1) == D(2027, 3, 8)  # Friday → Monday
    assert "2027" in caplog.text


def test_working_days_between_two_dates(db):
    assert workdays.workdays_between(D(2026, 9, 30), D(2026, 10, 10)) == 3


def test_deadline_arithmetic_reads_the_overrides_once(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        workdays.add_workdays(D(2026, 1, 5), 60)


def test_negative_days_are_refused(db):
    with pytest.raises(ValueError):
        workdays.add_workdays(D(2026, 1, 5), -1)
