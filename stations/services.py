"""Writes for stations: every change to reception days and duty goes through here.

Duty rotation
    ``reception_days_roll`` materialises a station's reception days from its schedules
    and deals duty: each day takes the deputies with the lightest load this calendar
    year, so over a year the counts of the deputies placed at the station all year
    differ by at most one. A day's deputies are dealt again, to keep that true when
    placements change or deputies swap, only while the day is not announced yet and
    only where the rotation put them: swaps and staff decisions are never moved, and
    they count in everybody's load.

Swaps, attendance and reminders
    A deputy asks a colleague of the same station to take a day; the colleague
    accepts or declines. Attendance is recorded by the deputy or by the office and
    earns performance points (``stations.points``). The evening before a reception
    day every deputy on duty gets an inbox message and an SMS, once.
"""

import dataclasses
import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from liaison import scoping
from liaison.models import Notification
from liaison.notifications import notification_create
from liaison.rules import is_office
from stations import pagecache, points
from stations.models import Deputy, Duty, Placement, ReceptionDay, ReceptionSchedule, Station
from stations.models.base import DutySwap
from stations.models.points import PointKind

# --- Rotation ---------------------------------------------------------------------------


@dataclasses.dataclass
class _Member:
    """A deputy in a station's rotation."""

    deputy_id: int
    code: str
    since: dt.date | None

    def placed_on(self, day: dt.date) -> bool:
        return self.since is None or self.since <= day


class _Loads:
    """Each member's duty dates per calendar year, and the credit of late joiners.

    A deputy placed during a year joins the rotation at the level of the least loaded
    deputy placed before them, instead of taking every duty until they catch up.
    """

    def __init__(self, members: list[_Member]):
        self.members = members
        self.dates: dict[int, dict[int, list[dt.date]]] = defaultdict(lambda: defaultdict(list))
        self.last: dict[int, dt.date] = {}
        self._credit: dict[tuple[int, int], int] = {}

    def add(self, deputy_id: int, day: dt.date) -> None:
        self.dates[day.year][deputy_id].append(day)

    def credit(self, member: _Member, year: int) -> int:
        key = (member.deputy_id, year)
        if key not in self._credit:
            credit = 0
            if member.since and member.since > dt.date(year, 1, 1):
                earlier = [
                    sum(day < member.since for day in self.dates[year][other.deputy_id])
                    for other in self.members
                    if other.deputy_id != member.deputy_id
                    and (other.since is None or other.since < member.since)
                ]
                credit = min(earlier, default=0)
            self._credit[key] = credit
        return self._credit[key]

    def load(self, member: _Member, year: int) -> int:
        return self.credit(member, year) + len(self.dates[year][member.deputy_id])

    def order(self, member: _Member, year: int):
        # Lightest load first; among equals, whoever has waited longest, then by code.
        return (
            self.load(member, year),
            self.last.get(member.deputy_id, dt.date.min),
            member.code,
        )


def _rotation_members(station: Station) -> list[_Member]:
    rows = (
        Placement.objects.filter(station=station, is_active=True, deputy__is_active=True)
        .order_by("deputy__code")
        .values_list("deputy_id", "deputy__code", "since")
    )
    return [_Member(deputy_id, code, since) for deputy_id, code, since in rows]


def _deal(*, station: Station, start: dt.date, end: dt.date, new_ids: set[int]) -> None:
    """Put deputies on duty on the days in [start, end] that are new or not announced.

    Only rotation duties on those days are (re)dealt, and only where the result
    differs, so an unchanged rotation writes nothing.
    """
    today = timezone.localdate()
    days = list(
        ReceptionDay.objects.filter(
            station=station,
            schedule__isnull=False,
            is_cancelled=False,
            date__range=(start, end),
        )
        .select_related("schedule")
        .order_by("date")
    )
    to_deal = [day for day in days if day.pk in new_ids or not day.is_announced(today)]
    if not to_deal:
        return
    deal_ids = {day.pk for day in to_deal}
    # Lock the days: a swap being accepted or a staff edit on one of them waits (they
    # lock the day before its duties too, so the order is the same everywhere).
    list(ReceptionDay.objects.select_for_update().filter(pk__in=deal_ids).values_list("pk"))
    # A duty somebody was asked to take stays where it is until the request is decided,
    # and the rotation does not give the asked colleague another seat that day.
    asked: set[int] = set()
    reserved: dict[int, set[int]] = defaultdict(set)  # day -> deputies asked to come
    for duty_id, day_id, to_deputy_id in DutySwap.objects.filter(
        status=DutySwap.Status.REQUESTED, duty__reception_day_id__in=deal_ids
    ).values_list("duty_id", "duty__reception_day_id", "to_deputy_id"):
        asked.add(duty_id)
        reserved[day_id].add(to_deputy_id)
    first, last = to_deal[0].date, to_deal[-1].date
    members = _rotation_members(station)
    loads = _Loads(members)

    # Every duty of the years being dealt counts in the loads, past and future, except
    # the rotation duties about to be dealt again.
    current: dict[int, dict[int, int]] = defaultdict(dict)  # day -> deputy -> duty pk
    fixed_on: dict[int, set[int]] = defaultdict(set)  # day -> deputies kept on it
    for pk, deputy_id, source, day_id, date in Duty.objects.filter(
        reception_day__station=station,
        reception_day__is_cancelled=False,
        reception_day__date__range=(dt.date(first.year, 1, 1), dt.date(last.year, 12, 31)),
    ).values_list("pk", "deputy_id", "source", "reception_day_id", "reception_day__date"):
        if day_id in deal_ids and source == Duty.Source.ROTATION and pk not in asked:
            current[day_id][deputy_id] = pk
            continue
        loads.add(deputy_id, date)
        if day_id in deal_ids:
            fixed_on[day_id].add(deputy_id)
    loads.last = dict(
        Duty.objects.filter(
            reception_day__station=station,
            reception_day__is_cancelled=False,
            reception_day__date__lt=first,
        )
        .values("deputy_id")
        .annotate(last=Max("reception_day__date"))
        .values_list("deputy_id", "last")
    )

    stale: list[int] = []
    fresh: list[Duty] = []
    for day in to_deal:
        fixed = fixed_on[day.pk]
        need = max(0, day.schedule.deputies_per_day - len(fixed))
        candidates = [
            member
            for member in members
            if member.placed_on(day.date)
            and member.deputy_id not in fixed
            and member.deputy_id not in reserved[day.pk]
        ]
        candidates.sort(key=lambda member: loads.order(member, day.date.year))
        chosen = {member.deputy_id for member in candidates[:need]}
        for deputy_id in chosen | fixed:
            loads.last[deputy_id] = day.date
        for deputy_id in chosen:
            loads.add(deputy_id, day.date)
        had = current.get(day.pk, {})
        stale.extend(pk for deputy_id, pk in had.items() if deputy_id not in chosen)
        fresh.extend(
            Duty(reception_day=day, deputy_id=deputy_id, source=Duty.Source.ROTATION)
            for deputy_id in sorted(chosen - had.keys())
        )
    if stale:
        Duty.objects.filter(pk__in=stale).delete()
    Duty.objects.bulk_create(fresh)
    # bulk_create sends no signal: the station pages showing these days and duties (and
    # the days reception_days_roll just created before dealing) are stale now.
    pagecache.station_pages_changed()


def reception_days_roll(
    *, station: Station, start: dt.date | None = None, end: dt.date | None = None
) -> int:
    """Materialise the station's reception days in [start, end] and deal duty.

    New days get deputies; days not announced yet are dealt again so that the rotation
    stays fair after placements change or deputies swap. Announced days, swaps and
    staff decisions stand. Returns the number of reception days created.
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
        new_ids: set[int] = set()
        if new_days:
            ReceptionDay.objects.bulk_create(new_days)
            new_ids = set(
                ReceptionDay.objects.filter(
                    station=station, date__in=[day.date for day in new_days]
                ).values_list("pk", flat=True)
            )
        _deal(station=station, start=start, end=end, new_ids=new_ids)
        return len(new_days)


def stations_roll_for_deputy(*, deputy: Deputy) -> int:
    """Deal duty again at every station a deputy is (or was) placed at, after their
    placements changed: a deputy who left is taken off the days not announced yet."""
    created = 0
    for station in Station.objects.filter(placements__deputy=deputy, is_active=True).distinct():
        created += reception_days_roll(station=station)
    return created


# --- Notifications ----------------------------------------------------------------------


def _notify_deputy(deputy: Deputy, *, kind: str, subject: str, body: str, key: str) -> bool:
    """An inbox message to a deputy who has an account; False if none was created."""
    if not deputy.user_id:
        return False
    notification = notification_create(
        channel=Notification.Channel.INBOX,
        kind=kind,
        subject=subject,
        body=body,
        recipient=deputy.user,
        link=reverse("stations:my_duties"),
        dedupe_key=key,
    )
    return notification is not None


def _day_text(day: ReceptionDay) -> str:
    return _("%(station)s on %(date)s, %(start)s–%(end)s") % {
        "station": day.station.name,
        "date": f"{day.date:%Y-%m-%d}",
        "start": f"{day.start_time:%H:%M}",
        "end": f"{day.end_time:%H:%M}",
    }


def duty_reminders_send(*, today: dt.date | None = None) -> int:
    """Tell every deputy on duty tomorrow, in the inbox and by SMS; once per duty and
    day whatever the retries. Returns the number of messages created."""
    today = today or timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    duties = (
        Duty.objects.filter(
            reception_day__date=tomorrow,
            reception_day__is_cancelled=False,
            reception_day__station__is_active=True,
            deputy__is_active=True,
        )
        .select_related("deputy__user", "reception_day__station")
        .order_by("pk")
    )
    created = 0
    with translation.override(settings.LANGUAGE_CODE):
        for duty in duties:
            day, deputy = duty.reception_day, duty.deputy
            key = f"duty:{duty.pk}:deputy:{deputy.pk}:reminder:{day.date:%Y%m%d}"
            subject = _("Reception duty tomorrow: %(day)s") % {"day": _day_text(day)}
            body = _(
                "Deputy %(name)s, you are on duty at %(day)s. Address: %(address)s. "
                "If you cannot come, ask a colleague to swap or tell the office."
            ) % {
                "name": deputy.name,
                "day": _day_text(day),
                "address": day.station.address or day.station.name,
            }
            if deputy.user_id and deputy.user.is_active:
                created += (
                    notification_create(
                        channel=Notification.Channel.INBOX,
                        kind="duty_reminder",
                        subject=subject,
                        body=body,
                        recipient=deputy.user,
                        link=reverse("stations:my_duties"),
                        dedupe_key=f"{key}:inbox",
                    )
                    is not None
                )
            if deputy.phone:
                created += (
                    notification_create(
                        channel=Notification.Channel.SMS,
                        kind="duty_reminder",
                        subject=subject,
                        body=body,
                        address=deputy.phone,
                        dedupe_key=f"{key}:sms",
                    )
                    is not None
                )
    return created


# --- Swaps ------------------------------------------------------------------------------


def _deputy_of(user) -> Deputy:
    deputy = getattr(user, "deputy", None) if user.is_authenticated else None
    if deputy is None or user.role != "deputy" or not user.is_active:
        raise PermissionDenied
    return deputy


def _lock_day_of(duty: Duty) -> ReceptionDay:
    """Lock and return the reception day of a duty (with its station)."""
    day_id = Duty.objects.filter(pk=duty.pk).values_list("reception_day_id", flat=True).first()
    if day_id is None:
        raise ValidationError(_("This duty no longer exists."))
    return (
        ReceptionDay.objects.select_for_update(of=("self",))
        .select_related("station")
        .get(pk=day_id)
    )


def swap_candidates(*, duty: Duty) -> list[Deputy]:
    """Colleagues who may be asked to take a duty: placed at the same station, with an
    account to answer from, and not on duty that day already."""
    day = duty.reception_day
    return list(
        Deputy.objects.filter(
            placements__station_id=day.station_id,
            placements__is_active=True,
            is_active=True,
            user__isnull=False,
            user__is_active=True,
        )
        .exclude(pk=duty.deputy_id)
        .exclude(duties__reception_day=day)
        .order_by("code")
    )


def duty_swap_request(*, duty: Duty, to_deputy: Deputy, by, note: str = "") -> DutySwap:
    """The deputy on duty asks ``to_deputy`` to take the day."""
    deputy = _deputy_of(by)
    today = timezone.localdate()
    note = (note or "").strip()[:200]
    # The note comes straight from the page's POST, and PostgreSQL refuses a NUL in text.
    ProhibitNullCharactersValidator()(note)
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        day = _lock_day_of(duty)
        duty = Duty.objects.select_for_update().filter(pk=duty.pk, deputy=deputy).first()
        if duty is None:
            raise PermissionDenied
        duty.reception_day = day
        if day.is_cancelled or day.date < today:
            raise ValidationError(_("Only a coming reception day can be swapped."))
        if to_deputy.pk not in {candidate.pk for candidate in swap_candidates(duty=duty)}:
            raise ValidationError(
                _(
                    "Ask a deputy of the same station who has an account and is not on "
                    "duty that day."
                )
            )
        try:
            with transaction.atomic():
                swap = DutySwap.objects.create(
                    duty=duty, from_deputy=deputy, to_deputy=to_deputy, note=note
                )
        except IntegrityError:
            raise ValidationError(
                _("You have already asked someone to take this day; cancel that request first.")
            ) from None
        _notify_deputy(
            to_deputy,
            kind="duty_swap",
            subject=_("%(name)s asks you to take a reception duty") % {"name": deputy.name},
            body=_("%(name)s asks you to take their duty at %(day)s. %(note)s")
            % {"name": deputy.name, "day": _day_text(day), "note": swap.note},
            key=f"duty-swap:{swap.pk}:requested",
        )
    return swap


def duty_swap_accept(*, swap: DutySwap, by) -> Duty:
    """The asked deputy takes the day: the duty becomes theirs, marked as a swap, so
    the rotation never moves it and counts it in their load."""
    deputy = _deputy_of(by)
    today = timezone.localdate()
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        swap = DutySwap.objects.select_for_update().get(pk=swap.pk)
        if swap.to_deputy_id != deputy.pk:
            raise PermissionDenied
        swap.transition(DutySwap.Status.ACCEPTED)
        # Lock the day before the duty: a roll, a staff edit and another swap into the
        # same day wait for this one.
        day = _lock_day_of(Duty(pk=swap.duty_id))
        duty = Duty.objects.select_for_update().filter(pk=swap.duty_id).first()
        if duty is None or duty.deputy_id != swap.from_deputy_id:
            raise ValidationError(_("This duty has changed hands since the request."))
        if day.is_cancelled or day.date < today:
            raise ValidationError(_("This reception day is over or cancelled."))
        if Duty.objects.filter(reception_day=day, deputy=deputy).exists():
            raise ValidationError(_("You are already on duty that day."))
        duty.deputy = deputy
        duty.source = Duty.Source.SWAP
        try:
            with transaction.atomic():
                duty.save(update_fields=["deputy", "source"])
        except IntegrityError:
            raise ValidationError(_("You are already on duty that day.")) from None
        swap.save(update_fields=["status", "decided_at"])
        _notify_deputy(
            swap.from_deputy,
            kind="duty_swap",
            subject=_("%(name)s takes your reception duty") % {"name": deputy.name},
            body=_("%(name)s accepted to take your duty at %(day)s.")
            % {"name": deputy.name, "day": _day_text(day)},
            key=f"duty-swap:{swap.pk}:accepted",
        )
    return duty


def duty_swap_decline(*, swap: DutySwap, by) -> DutySwap:
    deputy = _deputy_of(by)
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        swap = (
            DutySwap.objects.select_for_update(of=("self",))
            .select_related("duty__reception_day__station", "from_deputy")
            .get(pk=swap.pk)
        )
        if swap.to_deputy_id != deputy.pk:
            raise PermissionDenied
        swap.transition(DutySwap.Status.DECLINED)
        swap.save(update_fields=["status", "decided_at"])
        _notify_deputy(
            swap.from_deputy,
            kind="duty_swap",
            subject=_("%(name)s cannot take your reception duty") % {"name": deputy.name},
            body=_("%(name)s declined to take your duty at %(day)s.")
            % {"name": deputy.name, "day": _day_text(swap.duty.reception_day)},
            key=f"duty-swap:{swap.pk}:declined",
        )
    return swap


def duty_swap_cancel(*, swap: DutySwap, by) -> DutySwap:
    deputy = _deputy_of(by)
    with transaction.atomic():
        swap = DutySwap.objects.select_for_update().get(pk=swap.pk)
        if swap.from_deputy_id != deputy.pk:
            raise PermissionDenied
        swap.transition(DutySwap.Status.CANCELLED)
        swap.save(update_fields=["status", "decided_at"])
    return swap


# --- Staff edits ------------------------------------------------------------------------


def _require_office_scope(user, station: Station) -> None:
    if not (is_office(user) and scoping.in_scope(user, station.region_id)):
        raise PermissionDenied


def duty_set_by_staff(*, duty: Duty, by) -> Duty:
    """Save a duty a member of the office added or changed: it is theirs from now on,
    and the rotation leaves it alone. Attendance already recorded follows the deputy."""
    with transaction.atomic():
        day = (
            ReceptionDay.objects.select_for_update(of=("self",))
            .select_related("station")
            .get(pk=duty.reception_day_id)
        )
        _require_office_scope(by, day.station)
        previous = None
        if duty.pk:
            previous = Duty.objects.select_for_update().filter(pk=duty.pk).first()
        duty.source = Duty.Source.STAFF
        if previous is None:
            duty.attended, duty.attendance_by, duty.attendance_at = None, None, None
        else:
            # Attendance is recorded only through duty_mark_attendance.
            duty.attended = previous.attended
            duty.attendance_by_id = previous.attendance_by_id
            duty.attendance_at = previous.attendance_at
        duty.save()
        if (
            previous is not None
            and previous.attended is not None
            and previous.deputy_id != duty.deputy_id
        ):
            _attendance_points(duty, day)
    return duty


def duty_delete_by_staff(*, duty: Duty, by) -> None:
    """Remove a duty; points it earned or cost go with it."""
    with transaction.atomic():
        day = ReceptionDay.objects.select_related("station").get(pk=duty.reception_day_id)
        _require_office_scope(by, day.station)
        points.points_revoke(source_key=duty_points_key(duty))
        Duty.objects.filter(pk=duty.pk).delete()


def reception_day_delete_by_staff(*, day: ReceptionDay, by) -> None:
    """Remove a reception day with its duties and the points they earned or cost."""
    with transaction.atomic():
        _require_office_scope(by, day.station)
        for duty_id in Duty.objects.filter(reception_day=day).values_list("pk", flat=True):
            points.points_revoke(source_key=f"duty:{duty_id}")
        day.delete()


# --- Attendance -------------------------------------------------------------------------


def duty_points_key(duty: Duty) -> str:
    return f"duty:{duty.pk}"


def _attendance_points(duty: Duty, day: ReceptionDay) -> None:
    points.points_set(
        deputy=duty.deputy,
        kind=PointKind.DUTY_ATTENDED if duty.attended else PointKind.DUTY_MISSED,
        occurred_on=day.date,
        source_key=duty_points_key(duty),
        description=_day_text(day),
    )


def duty_mark_attendance(*, duty: Duty, attended: bool, by) -> Duty:
    """Record whether the deputy came, on the day of the duty or after.

    The office may record it for any duty in its region; the deputy for their own,
    within LIAISON_ATTENDANCE_SELF_DAYS days and unless the office recorded it. The
    duty's points follow: "duty_attended" or "duty_missed", one entry per duty, which
    is replaced when the record changes.
    """
    today = timezone.localdate()
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        duty = (
            Duty.objects.select_for_update(of=("self",))
            .select_related("deputy", "reception_day__station")
            .get(pk=duty.pk)
        )
        day = duty.reception_day
        by_office = bool(is_office(by) and scoping.in_scope(by, day.station.region_id))
        by_self = bool(
            by.is_authenticated
            and by.is_active
            and by.role == "deputy"
            and duty.deputy.user_id == by.pk
        )
        if not (by_office or by_self):
            raise PermissionDenied
        if day.is_cancelled:
            raise ValidationError(_("This reception day was cancelled."))
        if day.date > today:
            raise ValidationError(_("Attendance is recorded on the day of the duty or after."))
        if not by_office:
            if duty.attendance_by_id and duty.attendance_by_id != by.pk:
                raise ValidationError(_("The office has recorded this attendance already."))
            if (today - day.date).days > settings.LIAISON_ATTENDANCE_SELF_DAYS:
                raise ValidationError(
                    _("Too late to record this attendance yourself; ask the office.")
                )
        duty.attended = bool(attended)
        duty.attendance_by = by
        duty.attendance_at = timezone.now()
        duty.save(update_fields=["attended", "attendance_by", "attendance_at"])
        _attendance_points(duty, day)
    return duty


def duty_clear_attendance(*, duty: Duty, by) -> Duty:
    """The office takes back an attendance record (entered on the wrong duty); the
    points it earned or cost go with it."""
    with transaction.atomic():
        duty = (
            Duty.objects.select_for_update(of=("self",))
            .select_related("reception_day__station")
            .get(pk=duty.pk)
        )
        _require_office_scope(by, duty.reception_day.station)
        duty.attended = None
        duty.attendance_by = by
        duty.attendance_at = timezone.now()
        duty.save(update_fields=["attended", "attendance_by", "attendance_at"])
        points.points_revoke(source_key=duty_points_key(duty))
    return duty
