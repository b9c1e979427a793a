"""Reads for stations: each selector owns its joins, so a page is a fixed number of queries."""

import datetime as dt

from django.conf import settings
from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone

from liaison import regions, scoping
from liaison.models import Region
from liaison.refcache import RefCache
from stations.models import (
    Congress,
    Deputy,
    Duty,
    Level,
    Membership,
    Placement,
    ReceptionDay,
    Station,
)
from stations.models.base import DutySwap

FINDER_LIMIT = 50


def _station_with_region(code: str) -> Station | None:
    return Station.objects.select_related("region").filter(code=code).first()


# Every public submission names its station; stations change a few times a year.
_stations_by_code = RefCache(
    "stations", _station_with_region, watch=["stations.Station", "liaison.Region"]
)


def station_by_code(code: str) -> Station | None:
    """The station with this code (active or not) and its region; read-only, cached."""
    return _stations_by_code.get(code)


def region_children_with_counts(*, region: Region | None) -> QuerySet[Region]:
    """The regions one level down (provinces at the top) with their active station counts.

    Counting by code prefix in one aggregate keeps this a single query at any depth.
    """
    children = (
        Region.objects.filter(parent=region)
        if region
        else Region.objects.filter(parent__isnull=True)
    )
    children = list(children.order_by("code"))
    if not children:
        return []
    stations = Station.objects.filter(is_active=True)
    aggregates = {
        child.code: Count("pk", filter=Q(region__code__startswith=child.prefix))
        for child in children
    }
    if region:
        stations = stations.filter(region__code__startswith=region.prefix)
    totals = stations.aggregate(**aggregates)
    for child in children:
        child.station_count = totals[child.code]
    return children


def station_search(*, region: Region | None = None, query: str = "") -> QuerySet[Station]:
    stations = Station.objects.filter(is_active=True).select_related("region")
    if region:
        stations = stations.filter(region__code__startswith=region.prefix)
    query = query.strip()
    if query:
        stations = stations.filter(
            Q(name__icontains=query) | Q(address__icontains=query) | Q(code__iexact=query)
        )
    return stations.order_by("region_id", "code")


def region_breadcrumbs(*, region: Region) -> list[Region]:
    codes = []
    code = region.code
    while code:
        codes.append(code)
        code = regions.parent_code_of(code)
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [found[c] for c in reversed(codes) if c in found]


def upcoming_reception_days(*, station: Station, days: int = 60, limit: int = 6):
    """The station's next reception days. Who is on duty is public only from a day's
    notice date on (``day.announced``); ``day.public_duties`` is empty before."""
    today = timezone.localdate()
    upcoming = list(
        ReceptionDay.objects.filter(
            station=station,
            is_cancelled=False,
            date__gte=today,
            date__lte=today + dt.timedelta(days=days),
        )
        .prefetch_related(
            Prefetch(
                "duties", queryset=Duty.objects.select_related("deputy").order_by("deputy__code")
            )
        )
        .order_by("date")[:limit]
    )
    for day in upcoming:
        day.announced = day.is_announced(today)
        day.public_duties = list(day.duties.all()) if day.announced else []
    return upcoming


LEVEL_ORDER = Case(
    *(When(congress__level=level, then=Value(rank)) for rank, level in enumerate(Level.values)),
    output_field=IntegerField(),
)


def _public_memberships() -> Prefetch:
    # National first, township last: the order people read a deputy's titles in.
    return Prefetch(
        "memberships",
        queryset=Membership.objects.filter(is_active=True)
        .select_related("congress")
        .order_by(LEVEL_ORDER),
    )


def congresses_for_membership(*, user) -> QuerySet[Congress]:
    """Congresses a user may seat a deputy in: national, ancestors, own subtree."""
    congresses = Congress.objects.select_related("region")
    if scoping.sees_everything(user):
        return congresses
    ancestors = []
    code = user.region_id
    while code:
        ancestors.append(code)
        code = regions.parent_code_of(code)
    return congresses.filter(
        Q(region__isnull=True)
        | Q(region__code__in=ancestors)
        | Q(region__code__startswith=user.region_prefix or "-")
    )


def station_for_public_page(*, code: str) -> Station:
    station = get_object_or_404(
        Station.objects.select_related("region", "region__parent").prefetch_related("schedules"),
        code=code,
        is_active=True,
    )
    station.placed_deputies = list(
        Deputy.objects.filter(
            placements__station=station, placements__is_active=True, is_active=True
        )
        .prefetch_related(_public_memberships())
        .order_by("code")
    )
    station.upcoming_days = upcoming_reception_days(station=station)
    return station


def deputy_for_public_page(*, code: str) -> Deputy:
    return get_object_or_404(
        Deputy.objects.select_related("region").prefetch_related(
            _public_memberships(),
            Prefetch(
                "placements",
                queryset=Placement.objects.filter(is_active=True, station__is_active=True)
                .select_related("station__region")
                .order_by("station__code"),
                to_attr="active_placements",
            ),
            "groups",
        ),
        code=code,
        is_active=True,
    )


def deputy_duties(*, deputy: Deputy, past_limit: int = 20) -> dict:
    """The deputy's own duty page: coming duties with the colleagues who could take
    them, recent past duties with their attendance, and swap requests both ways.

    A fixed number of queries whatever the number of duties or stations.
    """
    today = timezone.localdate()
    base = Duty.objects.filter(deputy=deputy).select_related(
        "reception_day__station", "attendance_by"
    )
    upcoming = list(
        base.filter(reception_day__date__gte=today, reception_day__is_cancelled=False).order_by(
            "reception_day__date", "reception_day__start_time"
        )
    )
    past = list(
        base.filter(reception_day__date__lt=today).order_by("-reception_day__date")[:past_limit]
    )
    swaps = list(
        DutySwap.objects.filter(Q(from_deputy=deputy) | Q(to_deputy=deputy))
        .filter(duty__reception_day__date__gte=today)
        .select_related("duty__reception_day__station", "from_deputy", "to_deputy")
        .order_by("duty__reception_day__date", "-created_at")
    )
    open_by_duty = {
        swap.duty_id: swap
        for swap in swaps
        if swap.status == DutySwap.Status.REQUESTED and swap.from_deputy_id == deputy.pk
    }
    # Colleagues per station (with an account to answer from), and who is on duty on
    # each coming day, in two queries for all the coming duties.
    station_ids = {duty.reception_day.station_id for duty in upcoming}
    colleagues: dict[int, list[Deputy]] = {}
    for placement in (
        Placement.objects.filter(
            station_id__in=station_ids,
            is_active=True,
            deputy__is_active=True,
            deputy__user__isnull=False,
            deputy__user__is_active=True,
        )
        .exclude(deputy=deputy)
        .select_related("deputy")
        .order_by("deputy__code")
    ):
        colleagues.setdefault(placement.station_id, []).append(placement.deputy)
    busy: dict[int, set[int]] = {}
    for day_id, deputy_id in Duty.objects.filter(
        reception_day_id__in=[duty.reception_day_id for duty in upcoming]
    ).values_list("reception_day_id", "deputy_id"):
        busy.setdefault(day_id, set()).add(deputy_id)
    for duty in upcoming:
        day = duty.reception_day
        duty.open_swap = open_by_duty.get(duty.pk)
        duty.swap_candidates = [
            colleague
            for colleague in colleagues.get(day.station_id, [])
            if colleague.pk not in busy.get(day.pk, set())
        ]
        duty.can_mark = day.date == today
    self_days = settings.LIAISON_ATTENDANCE_SELF_DAYS
    for duty in past:
        day = duty.reception_day
        duty.can_mark = (
            not day.is_cancelled
            and (today - day.date).days <= self_days
            and (duty.attendance_by_id is None or duty.attendance_by_id == deputy.user_id)
        )
    return {
        "upcoming": upcoming,
        "past": past,
        "incoming": [
            swap
            for swap in swaps
            if swap.to_deputy_id == deputy.pk and swap.status == DutySwap.Status.REQUESTED
        ],
        "outgoing": [swap for swap in swaps if swap.from_deputy_id == deputy.pk],
    }
