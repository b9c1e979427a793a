"""Reads for stations: each selector owns its joins, so a page is a fixed number of queries."""

import datetime as dt

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone

from liaison import regions, scoping
from liaison.models import Region
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

FINDER_LIMIT = 50


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
    today = timezone.localdate()
    return list(
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
