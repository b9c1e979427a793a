"""Deadlines count Chinese working days; reminders and overdue notices go out once.

2026 Spring Festival: 15–23 February off, Saturday 14 and 28 February worked (调休).
2026 National Day: 1–7 October off, Saturday 10 October worked.
"""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection

from liaison.models import Notification, WorkdayOverride
from suggestions import services
from suggestions.models import Assignment, DeadlineNotice, Event

TZ = dt.timezone(dt.timedelta(hours=8))


def at(day: str, hour: int = 10):
    return time_machine.travel(dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=TZ))


def assign_on(day: str, submit, department, days: int):
    with at(day):
        suggestion = submit()
        services.case_assign(case=suggestion, lead=department, time_limit_days=days)
    return Assignment.objects.get(case=suggestion)


@pytest.mark.parametrize(
    ("assigned", "days", "due"),
    [
        # Friday before Spring Festival: the make-up Saturday counts, the nine days off do not.
        ("2026-02-13", 1, "2026-02-14"),
        ("2026-02-13", 3, "2026-02-25"),
        # Assigned during the holiday: counting starts on the first working day after.
        ("2026-02-18", 1, "2026-02-24"),
        # Last working day before National Day.
        ("2026-09-30", 2, "2026-10-09"),
        ("2026-09-30", 3, "2026-10-10"),
        ("2026-09-30", 4, "2026-10-12"),
    ],
)
def test_due_dates_count_working_days_across_holidays(
    submit, transport_bureau, assigned, days, due
):
    assignment = assign_on(assigned, submit, transport_bureau, days)
    assert assignment.due_date == dt.date.fromisoformat(due)
    assert assignment.case.due_date == assignment.due_date


def test_a_staff_override_moves_a_due_date(submit, transport_bureau):
    # The office learns of an extra day off (a local flood holiday, say) and records it.
    WorkdayOverride.objects.create(date=dt.date(2026, 2, 24), is_workday=False, note="抗洪")
    assignment = assign_on("2026-02-13", submit, transport_bureau, 2)
    assert assignment.due_date == dt.date(2026, 2, 25)


def test_the_reminder_comes_two_working_days_before_across_the_holiday(
    submit, transport_bureau, department_user
):
    assignment = assign_on("2026-02-13", submit, transport_bureau, 3)  # due 25 February
    with at("2026-02-13"):
        assert services.deadlines_sweep() == {"reminder": 0, "overdue": 0}
    with at("2026-02-14"):  # the make-up Saturday: 24 and 25 February remain
        assert services.deadlines_sweep() == {"reminder": 1, "overdue": 0}
    for day in ("2026-02-20", "2026-02-24", "2026-02-25"):
        with at(day):
            assert services.deadlines_sweep() == {"reminder": 0, "overdue": 0}
    with at("2026-02-26"):
        assert services.deadlines_sweep() == {"reminder": 0, "overdue": 1}
    with at("2026-02-27"):
        assert services.deadlines_sweep() == {"reminder": 0, "overdue": 0}
    assert Notification.objects.filter(recipient=department_user, kind="reminder").count() == 1
    assert Notification.objects.filter(recipient=department_user, kind="overdue").count() == 1
    kinds = Event.objects.filter(case=assignment.case).values_list("kind", flat=True)
    assert list(kinds).count("reminded") == 1 and list(kinds).count("overdue") == 1


def test_the_overdue_notice_reaches_supervisor_and_office(
    submit, transport_bureau, county_clerk, township_clerk, city_clerk
):
    assign_on("2026-09-30", submit, transport_bureau, 2)  # due 9 October
    with at("2026-10-10"):
        services.deadlines_sweep()
    sms = Notification.objects.get(kind="overdue", channel="sms")
    assert sms.address == transport_bureau.supervisor_phone
    office = {n.recipient for n in Notification.objects.filter(kind="overdue", channel="inbox")}
    # The county and township offices chase it; the city office is not flooded.
    assert {county_clerk, township_clerk} <= office and city_clerk not in office


def test_a_new_due_date_after_reopening_gets_its_own_reminder(
    submit, transport_bureau, department_user
):
    assignment = assign_on("2026-03-02", submit, transport_bureau, 1)
    with at("2026-03-02"):
        services.deadlines_sweep()
    with at("2026-03-03", hour=15):
        services.case_reply(
            case=assignment.case, department=transport_bureau, author=None, public_text="已处理"
        )
        services.case_rate(case=assignment.case, rating="unsatisfied")
    with at("2026-03-16"):  # 10 working days later the new due date is near
        services.deadlines_sweep()
    reminders = DeadlineNotice.objects.filter(kind="reminder").values_list("due_date", flat=True)
    assert sorted(reminders) == [dt.date(2026, 3, 3), dt.date(2026, 3, 17)]


@pytest.mark.postgres
def test_two_sweeps_at_the_same_time_send_each_reminder_once(
    transactional_db, submit, transport_bureau, department_user
):
    for _ in range(3):
        assign_on("2026-02-13", submit, transport_bureau, 3)
    barrier = threading.Barrier(4)
    results = []

    def sweep():
        try:
            with at("2026-02-14"):
                barrier.wait()
                results.append(services.deadlines_sweep())
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result["reminder"] for result in results) == 3
    assert DeadlineNotice.objects.count() == 3
    assert Notification.objects.filter(kind="reminder", recipient=department_user).count() == 3
    assert Event.objects.filter(kind="reminded").count() == 3


def test_the_sweep_reads_a_bounded_number_of_queries_per_notice(
    submit, transport_bureau, django_assert_max_num_queries
):
    for _ in range(5):
        assign_on("2026-02-13", submit, transport_bureau, 30)
    with at("2026-02-14"), django_assert_max_num_queries(4):
        # Nothing is due: the sweep reads the calendar, the assignments and the
        # notices already sent, whatever the number of open items.
        services.deadlines_sweep()
