"""Duty rosters: fair rotation over a year, swaps, staff overrides, reminders, the public
notice of who is on duty, and attendance with its points."""

import datetime as dt
import re
from collections import Counter

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from liaison.models import Notification
from stations import services, tasks
from stations.models import Duty, Placement, ReceptionDay, ReceptionSchedule
from stations.models.base import DutySwap
from stations.models.points import PointEntry, PointRule
from tests.factories import DeputyFactory, StationFactory, make_user, place

D = dt.date
TZ = dt.timezone(dt.timedelta(hours=8))


def at(day: str, hour: int = 10):
    return time_machine.travel(dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=TZ))


def counts_of(station, deputies, year: int = 2026) -> Counter:
    counts = Counter({deputy.pk: 0 for deputy in deputies})
    counts.update(
        Duty.objects.filter(
            reception_day__station=station,
            reception_day__date__year=year,
            deputy__in=deputies,
        ).values_list("deputy_id", flat=True)
    )
    return counts


def spread(counts: Counter) -> int:
    return max(counts.values()) - min(counts.values())


@pytest.fixture
def weekly_station(xidu):
    """A station receiving every Monday with two deputies on duty, five deputies placed
    (each with an account, so they can swap)."""
    station = StationFactory(region=xidu, name="西渡镇人大代表联络站")
    ReceptionSchedule.objects.create(
        station=station, rule="weekly", weekday=0, deputies_per_day=2, notice_days=3
    )
    deputies = []
    for index in range(5):
        user = make_user(f"deputy{index}", role="deputy")
        deputy = DeputyFactory(region=xidu, user=user)
        place(deputy, station)
        deputies.append(deputy)
    station.test_deputies = deputies
    return station


def roll_year(station):
    return services.reception_days_roll(station=station, start=D(2026, 1, 1), end=D(2026, 12, 31))


# --- Fair rotation ----------------------------------------------------------------------


def test_a_year_of_duty_is_shared_within_one_between_five_deputies_two_a_day(weekly_station):
    with at("2025-12-01"):
        assert roll_year(weekly_station) == 52
    counts = counts_of(weekly_station, weekly_station.test_deputies)
    assert sum(counts.values()) == 104
    assert spread(counts) <= 1
    assert all(day.duties.count() == 2 for day in ReceptionDay.objects.all())


def test_re_rolling_an_unchanged_rotation_changes_nothing(weekly_station):
    with at("2025-12-01"):
        roll_year(weekly_station)
        before = set(Duty.objects.values_list("pk", "reception_day_id", "deputy_id"))
        assert roll_year(weekly_station) == 0
    assert set(Duty.objects.values_list("pk", "reception_day_id", "deputy_id")) == before


def test_an_accepted_swap_survives_a_re_roll_and_the_year_stays_fair(weekly_station):
    deputies = weekly_station.test_deputies
    with at("2025-12-01"):
        roll_year(weekly_station)
        day = ReceptionDay.objects.get(date=D(2026, 3, 2))
        duty = day.duties.order_by("deputy__code").first()
        on_day = set(day.duties.values_list("deputy_id", flat=True))
        counts = counts_of(weekly_station, deputies)
        # The busiest colleague takes the day: without the rotation making up for it,
        # they would end the year two duties ahead of somebody.
        colleague = max(
            (deputy for deputy in deputies if deputy.pk not in on_day),
            key=lambda deputy: counts[deputy.pk],
        )
        giver = duty.deputy

        swap = services.duty_swap_request(duty=duty, to_deputy=colleague, by=giver.user)
        services.duty_swap_accept(swap=swap, by=colleague.user)
        duty.refresh_from_db()
        assert (duty.deputy_id, duty.source) == (colleague.pk, Duty.Source.SWAP)
        assert spread(counts_of(weekly_station, deputies)) == 2

        roll_year(weekly_station)
    duty.refresh_from_db()
    assert (duty.deputy_id, duty.source) == (colleague.pk, Duty.Source.SWAP)
    swap.refresh_from_db()
    assert swap.status == DutySwap.Status.ACCEPTED
    counts = counts_of(weekly_station, deputies)
    assert sum(counts.values()) == 104
    # The rotation gave the day back to the giver later in the year.
    assert spread(counts) <= 1
    assert all(d.duties.count() == 2 for d in ReceptionDay.objects.all())


def test_a_swap_late_in_the_year_keeps_fairness_within_the_swapped_day(weekly_station):
    deputies = weekly_station.test_deputies
    with at("2025-12-01"):
        roll_year(weekly_station)
    with at("2026-12-20"):
        day = ReceptionDay.objects.get(date=D(2026, 12, 28))
        duty = day.duties.first()
        on_day = set(day.duties.values_list("deputy_id", flat=True))
        colleague = next(deputy for deputy in deputies if deputy.pk not in on_day)
        swap = services.duty_swap_request(duty=duty, to_deputy=colleague, by=duty.deputy.user)
        services.duty_swap_accept(swap=swap, by=colleague.user)
        roll_year(weekly_station)
    assert Duty.objects.get(pk=duty.pk).deputy_id == colleague.pk
    # No day is left to give it back: the counts differ by at most one plus the swap.
    assert spread(counts_of(weekly_station, deputies)) <= 2


def test_a_duty_somebody_was_asked_to_take_is_not_dealt_away(weekly_station, xidu):
    deputies = weekly_station.test_deputies
    with at("2025-12-01"):
        roll_year(weekly_station)
        day = ReceptionDay.objects.get(date=D(2026, 3, 2))
        duty = day.duties.select_related("deputy").first()
        on_day = set(day.duties.values_list("deputy_id", flat=True))
        colleague = next(deputy for deputy in deputies if deputy.pk not in on_day)
        swap = services.duty_swap_request(duty=duty, to_deputy=colleague, by=duty.deputy.user)
        # The giver leaves the station: the rotation deals their other days away, but
        # not the one a colleague was asked to take.
        Placement.objects.filter(deputy=duty.deputy).update(is_active=False)
        roll_year(weekly_station)
        assert Duty.objects.filter(pk=duty.pk, deputy=duty.deputy).exists()
        assert Duty.objects.filter(deputy=duty.deputy).count() == 1
        services.duty_swap_accept(swap=swap, by=colleague.user)
    assert Duty.objects.get(pk=duty.pk).deputy_id == colleague.pk


def test_a_swap_is_refused_when_the_colleague_is_already_on_duty_that_day(weekly_station):
    with at("2025-12-01"):
        roll_year(weekly_station)
        day = ReceptionDay.objects.get(date=D(2026, 3, 2))
        first, second = day.duties.select_related("deputy").order_by("deputy__code")
        with pytest.raises(ValidationError):
            services.duty_swap_request(duty=first, to_deputy=second.deputy, by=first.deputy.user)
        assert not DutySwap.objects.exists()


def test_accepting_is_refused_if_the_colleague_got_duty_that_day_meanwhile(
    weekly_station, county_clerk
):
    deputies = weekly_station.test_deputies
    with at("2025-12-01"):
        roll_year(weekly_station)
        day = ReceptionDay.objects.get(date=D(2026, 3, 2))
        first, second = day.duties.select_related("deputy").order_by("deputy__code")
        on_day = {first.deputy_id, second.deputy_id}
        colleague = next(deputy for deputy in deputies if deputy.pk not in on_day)
        swap = services.duty_swap_request(duty=first, to_deputy=colleague, by=first.deputy.user)
        # Meanwhile the office gives the colleague the other seat of the day.
        second.deputy = colleague
        services.duty_set_by_staff(duty=second, by=county_clerk)
        with pytest.raises(ValidationError):
            services.duty_swap_accept(swap=swap, by=colleague.user)
    first.refresh_from_db()
    swap.refresh_from_db()
    assert first.deputy_id != colleague.pk
    assert swap.status == DutySwap.Status.REQUESTED


def test_only_the_asked_deputy_can_accept_and_a_decided_swap_stays_decided(weekly_station):
    deputies = weekly_station.test_deputies
    with at("2025-12-01"):
        roll_year(weekly_station)
        day = ReceptionDay.objects.get(date=D(2026, 3, 2))
        duty = day.duties.select_related("deputy").first()
        on_day = set(day.duties.values_list("deputy_id", flat=True))
        colleague, bystander = [deputy for deputy in deputies if deputy.pk not in on_day][:2]
        swap = services.duty_swap_request(duty=duty, to_deputy=colleague, by=duty.deputy.user)
        with pytest.raises(PermissionDenied):
            services.duty_swap_accept(swap=swap, by=bystander.user)
        services.duty_swap_decline(swap=swap, by=colleague.user)
        with pytest.raises(ValidationError):
            services.duty_swap_accept(swap=swap, by=colleague.user)
    assert Duty.objects.get(pk=duty.pk).deputy_id == duty.deputy_id
    assert Notification.objects.filter(recipient=duty.deputy.user, kind="duty_swap").exists()


def test_a_deputy_placed_mid_year_joins_the_rotation_without_a_catch_up_run(weekly_station, xidu):
    deputies = weekly_station.test_deputies
    with at("2025-12-01"):
        roll_year(weekly_station)
    newcomer = DeputyFactory(region=xidu)
    Placement.objects.create(deputy=newcomer, station=weekly_station, since=D(2026, 7, 1))
    with at("2026-06-01"):
        roll_year(weekly_station)
    second_half = Counter(
        Duty.objects.filter(reception_day__date__gte=D(2026, 7, 1)).values_list(
            "deputy_id", flat=True
        )
    )
    # 26 Mondays, 52 seats, 6 deputies: about 8–9 each, the newcomer included.
    assert 8 <= second_half[newcomer.pk] <= 9
    assert not Duty.objects.filter(deputy=newcomer, reception_day__date__lt=D(2026, 7, 1))
    # The first July days are not all the newcomer's.
    july = ReceptionDay.objects.filter(date__month=7).order_by("date")[:3]
    assert sum(day.duties.filter(deputy=newcomer).exists() for day in july) <= 2
    assert spread(counts_of(weekly_station, deputies)) <= 1


def test_a_deputy_who_leaves_is_taken_off_the_days_not_announced(weekly_station):
    leaver = weekly_station.test_deputies[0]
    with at("2025-12-01"):
        roll_year(weekly_station)
    with at("2026-06-01"):
        announced = list(
            Duty.objects.filter(
                deputy=leaver, reception_day__date__range=(D(2026, 6, 1), D(2026, 6, 4))
            ).values_list("pk", flat=True)
        )
        Placement.objects.filter(deputy=leaver).update(is_active=False)
        roll_year(weekly_station)
    assert not Duty.objects.filter(deputy=leaver, reception_day__date__gt=D(2026, 6, 4)).exists()
    assert (
        list(
            Duty.objects.filter(
                deputy=leaver, reception_day__date__range=(D(2026, 6, 1), D(2026, 6, 4))
            ).values_list("pk", flat=True)
        )
        == announced
    )
    assert all(day.duties.count() == 2 for day in ReceptionDay.objects.all())


def test_announced_days_keep_their_deputies_when_the_rotation_changes(weekly_station, xidu):
    with at("2025-12-01"):
        roll_year(weekly_station)
    with at("2026-03-01"):
        announced = ReceptionDay.objects.get(date=D(2026, 3, 2))
        before = set(announced.duties.values_list("deputy_id", flat=True))
        place(DeputyFactory(region=xidu), weekly_station)
        roll_year(weekly_station)
    assert set(announced.duties.values_list("deputy_id", flat=True)) == before


# --- Staff overrides --------------------------------------------------------------------


def _inline_post(day, duties, **changes):
    """The admin change form of a reception day, with its duty rows."""
    data = {
        "station": day.station_id,
        "schedule": day.schedule_id or "",
        "date": day.date.isoformat(),
        "start_time": "09:00",
        "end_time": "11:30",
        "notice_days": day.notice_days,
        "note": "",
        "duties-TOTAL_FORMS": str(len(duties)),
        "duties-INITIAL_FORMS": str(len(duties)),
        "duties-MIN_NUM_FORMS": "0",
        "duties-MAX_NUM_FORMS": "1000",
    }
    for index, duty in enumerate(duties):
        data[f"duties-{index}-id"] = duty.pk
        data[f"duties-{index}-reception_day"] = day.pk
        data[f"duties-{index}-deputy"] = duty.deputy_id
        data[f"duties-{index}-attended"] = {True: "true", False: "false", None: "unknown"}[
            duty.attended
        ]
    data.update(changes)
    return data


def test_a_deputy_set_by_staff_in_the_admin_is_kept_by_rolls(client, county_clerk, weekly_station):
    deputies = weekly_station.test_deputies
    with at("2025-12-01"):
        roll_year(weekly_station)
        day = ReceptionDay.objects.get(date=D(2026, 3, 2))
        duties = list(day.duties.order_by("pk"))
        on_day = {duty.deputy_id for duty in duties}
        chosen = next(deputy for deputy in deputies if deputy.pk not in on_day)
        client.force_login(county_clerk)
        response = client.post(
            reverse("admin:stations_receptionday_change", args=[day.pk]),
            _inline_post(day, duties, **{"duties-0-deputy": chosen.pk}),
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        roll_year(weekly_station)
    staff_duty = Duty.objects.get(pk=duties[0].pk)
    assert (staff_duty.deputy_id, staff_duty.source) == (chosen.pk, Duty.Source.STAFF)
    assert spread(counts_of(weekly_station, deputies)) <= 1


def test_the_office_of_another_county_cannot_open_a_reception_day(
    client, other_county_clerk, weekly_station
):
    with at("2025-12-01"):
        roll_year(weekly_station)
    day = ReceptionDay.objects.first()
    client.force_login(other_county_clerk)
    url = reverse("admin:stations_receptionday_change", args=[day.pk])
    assert client.get(url).status_code == 404


# --- Reminders --------------------------------------------------------------------------


def test_reminders_go_once_to_each_deputy_on_duty_tomorrow_for_two_runs(weekly_station):
    with at("2025-12-01"):
        roll_year(weekly_station)
    day = ReceptionDay.objects.get(date=D(2026, 3, 2))
    on_duty = [duty.deputy for duty in day.duties.select_related("deputy__user")]
    with at("2026-03-01", hour=18):
        first = tasks.remind_duties()
        second = tasks.remind_duties()
    assert first == 4  # two deputies, inbox and SMS each
    assert second == 0
    inbox = Notification.objects.filter(kind="duty_reminder", channel="inbox")
    assert sorted(inbox.values_list("recipient_id", flat=True)) == sorted(
        deputy.user_id for deputy in on_duty
    )
    sms = Notification.objects.filter(kind="duty_reminder", channel="sms")
    assert sorted(sms.values_list("address", flat=True)) == sorted(d.phone for d in on_duty)
    assert weekly_station.name in sms.first().body


def test_no_reminder_for_a_cancelled_day_or_a_deputy_without_phone_or_account(weekly_station, xidu):
    with at("2025-12-01"):
        roll_year(weekly_station)
    ReceptionDay.objects.filter(date=D(2026, 3, 2)).update(is_cancelled=True)
    with at("2026-03-01", hour=18):
        assert tasks.remind_duties() == 0
    day = ReceptionDay.objects.get(date=D(2026, 3, 9))
    for duty in day.duties.select_related("deputy"):
        duty.deputy.phone = ""
        duty.deputy.user = None
        duty.deputy.save()
    with at("2026-03-08", hour=18):
        assert tasks.remind_duties() == 0


def test_the_reminder_task_is_scheduled_every_evening(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["stations-remind-duties"]
    assert entry["task"] == "stations.tasks.remind_duties"
    assert entry["schedule"].hour == {18}


# --- Public notice ----------------------------------------------------------------------


def _duties_section(page: str) -> str:
    match = re.search(r'<ul class="duties">(.*?)</ul>', page, re.S)
    return match.group(1) if match else ""


def test_names_on_duty_are_hidden_before_the_notice_date_and_shown_on_it(client, xidu):
    station = StationFactory(region=xidu, code="NOTICE1")
    ReceptionSchedule.objects.create(
        station=station,
        rule="dates",
        dates=["2026-03-10"],
        deputies_per_day=1,
        notice_days=3,
    )
    deputy = DeputyFactory(region=xidu, name="值班代表甲")
    place(deputy, station)
    with at("2026-02-20"):
        services.reception_days_roll(station=station)
    url = reverse("stations:station", args=[station.code])
    with at("2026-03-06"):
        section = _duties_section(client.get(url).content.decode())
    assert "2026-03-10" in section
    assert "值班代表甲" not in section
    assert "2026-03-07" in section  # "to be announced on" the notice date
    with at("2026-03-07"):
        section = _duties_section(client.get(url).content.decode())
    assert "值班代表甲" in section


def test_the_default_notice_comes_from_the_setting(settings, xidu):
    settings.LIAISON_RECEPTION_NOTICE_DAYS = 2
    station = StationFactory(region=xidu)
    assert ReceptionSchedule(station=station, rule="weekly", weekday=1).notice_days == 2


# --- Attendance -------------------------------------------------------------------------


@pytest.fixture
def duty_rules(hengyang_county):
    PointRule.objects.create(
        region=hengyang_county, kind="duty_attended", points=5, valid_from=D(2026, 1, 1)
    )
    PointRule.objects.create(
        region=hengyang_county, kind="duty_missed", points=-1, valid_from=D(2026, 1, 1)
    )


def _monday_duty(station):
    with at("2025-12-01"):
        roll_year(station)
    return (
        Duty.objects.select_related("deputy__user")
        .filter(reception_day__date=D(2026, 3, 2))
        .order_by("deputy__code")
    )


def test_a_deputy_records_their_own_attendance_and_earns_points(client, weekly_station, duty_rules):
    duty = _monday_duty(weekly_station).first()
    client.force_login(duty.deputy.user)
    url = reverse("stations:duty_attendance", args=[duty.pk])
    with at("2026-03-02", hour=12):
        assert client.post(url, {"attended": "1"}).status_code == 302
    duty.refresh_from_db()
    assert duty.attended is True and duty.attendance_by == duty.deputy.user
    entry = PointEntry.objects.get(source_key=f"duty:{duty.pk}")
    assert (entry.kind, entry.points, entry.deputy_id) == ("duty_attended", 5, duty.deputy_id)


def test_a_deputy_cannot_record_another_deputys_duty(client, weekly_station, duty_rules):
    mine, theirs = _monday_duty(weekly_station)
    client.force_login(mine.deputy.user)
    with at("2026-03-02", hour=12):
        response = client.post(
            reverse("stations:duty_attendance", args=[theirs.pk]), {"attended": "1"}
        )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.attended is None
    assert not PointEntry.objects.exists()


def test_attendance_cannot_be_recorded_before_the_day(client, weekly_station, duty_rules):
    duty = _monday_duty(weekly_station).first()
    client.force_login(duty.deputy.user)
    with at("2026-03-01"):
        client.post(reverse("stations:duty_attendance", args=[duty.pk]), {"attended": "1"})
    duty.refresh_from_db()
    assert duty.attended is None


def test_other_accounts_cannot_use_the_attendance_endpoint(
    client, weekly_station, department_user, county_clerk
):
    duty = _monday_duty(weekly_station).first()
    url = reverse("stations:duty_attendance", args=[duty.pk])
    assert client.post(url, {"attended": "1"}).status_code == 302  # to the login page
    for user in (department_user, county_clerk):
        client.force_login(user)
        assert client.post(url, {"attended": "1"}).status_code == 403


def test_changing_attended_to_absent_replaces_the_points(weekly_station, duty_rules):
    duty = _monday_duty(weekly_station).first()
    with at("2026-03-02", hour=12):
        services.duty_mark_attendance(duty=duty, attended=True, by=duty.deputy.user)
        services.duty_mark_attendance(duty=duty, attended=True, by=duty.deputy.user)
        services.duty_mark_attendance(duty=duty, attended=False, by=duty.deputy.user)
    entry = PointEntry.objects.get()
    assert (entry.kind, entry.points) == ("duty_missed", -1)
    with at("2026-03-03"):
        services.duty_mark_attendance(duty=duty, attended=True, by=duty.deputy.user)
    entry = PointEntry.objects.get()
    assert (entry.kind, entry.points) == ("duty_attended", 5)


def test_staff_record_attendance_and_the_deputy_cannot_overwrite_it(
    client, county_clerk, weekly_station, duty_rules
):
    duties = list(_monday_duty(weekly_station))
    day = duties[0].reception_day
    client.force_login(county_clerk)
    with at("2026-03-03"):
        response = client.post(
            reverse("admin:stations_receptionday_changelist"),
            {"action": "mark_absent", "_selected_action": [day.pk]},
        )
        assert response.status_code == 302
        assert set(Duty.objects.filter(reception_day=day).values_list("attended", flat=True)) == {
            False
        }
        assert PointEntry.objects.filter(kind="duty_missed").count() == 2
        with pytest.raises(ValidationError):
            services.duty_mark_attendance(duty=duties[0], attended=True, by=duties[0].deputy.user)


def test_staff_record_attendance_in_the_duty_rows_and_points_follow(
    client, county_clerk, weekly_station, duty_rules
):
    duties = list(_monday_duty(weekly_station))
    day = duties[0].reception_day
    client.force_login(county_clerk)
    with at("2026-03-03"):
        response = client.post(
            reverse("admin:stations_receptionday_change", args=[day.pk]),
            _inline_post(day, duties, **{"duties-0-attended": "true"}),
        )
    assert response.status_code == 302
    entry = PointEntry.objects.get()
    assert (entry.deputy_id, entry.kind) == (duties[0].deputy_id, "duty_attended")


def test_staff_cannot_record_attendance_for_another_county(
    other_county_clerk, weekly_station, duty_rules
):
    duty = _monday_duty(weekly_station).first()
    with at("2026-03-03"), pytest.raises(PermissionDenied):
        services.duty_mark_attendance(duty=duty, attended=True, by=other_county_clerk)


# --- The deputy's duty page -------------------------------------------------------------


def test_the_duty_page_lists_own_coming_and_past_duties_with_buttons(client, weekly_station):
    duty = _monday_duty(weekly_station).first()
    client.force_login(duty.deputy.user)
    with at("2026-03-02", hour=8):
        response = client.get(reverse("stations:my_duties"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "2026-03-02" in page
    assert reverse("stations:duty_attendance", args=[duty.pk]) in page
    assert reverse("stations:duty_swap", args=[duty.pk]) in page
    other = Duty.objects.exclude(deputy=duty.deputy).first()
    assert reverse("stations:duty_attendance", args=[other.pk]) not in page


def test_the_duty_page_is_for_deputies_only(client, county_clerk, department_user, deputy_user):
    url = reverse("stations:my_duties")
    assert client.get(url).status_code == 302
    for user in (county_clerk, department_user, deputy_user):  # dora has no deputy record
        client.force_login(user)
        assert client.get(url).status_code == 403


def test_the_duty_page_reads_a_fixed_number_of_queries(
    client, weekly_station, django_assert_max_num_queries
):
    duty = _monday_duty(weekly_station).first()
    client.force_login(duty.deputy.user)
    with at("2026-01-01"), django_assert_max_num_queries(12):
        assert client.get(reverse("stations:my_duties")).status_code == 200


def test_swapping_through_the_pages(client, weekly_station):
    deputies = weekly_station.test_deputies
    duty = _monday_duty(weekly_station).first()
    on_day = set(duty.reception_day.duties.values_list("deputy_id", flat=True))
    colleague = next(deputy for deputy in deputies if deputy.pk not in on_day)
    with at("2026-02-20"):
        client.force_login(duty.deputy.user)
        client.post(
            reverse("stations:duty_swap", args=[duty.pk]),
            {"to_deputy": colleague.pk, "note": "<b>家里有事</b>"},
        )
        swap = DutySwap.objects.get()
        client.force_login(colleague.user)
        page = client.get(reverse("stations:my_duties")).content.decode()
        assert "&lt;b&gt;家里有事&lt;/b&gt;" in page
        # Someone else cannot decide it.
        client.force_login(deputies[0].user if deputies[0] != colleague else deputies[1].user)
        bystander_response = client.post(
            reverse("stations:swap_decide", args=[swap.pk]), {"action": "accept"}
        )
        client.force_login(colleague.user)
        client.post(reverse("stations:swap_decide", args=[swap.pk]), {"action": "accept"})
    assert bystander_response.status_code in (403, 404)
    duty.refresh_from_db()
    assert (duty.deputy_id, duty.source) == (colleague.pk, "swap")
