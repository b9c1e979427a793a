"""API fixtures, imported by the API tests of each app: a little of everything the
public API shows.

One station (in 西渡镇, Hengyang county) with a placed deputy who has an account and a
duty, a reception schedule, a ballot cycle being implemented with a project, and the
county clerk of Hengyang county (alice).
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from stations.models import Duty, ReceptionDay
from tests.factories import (
    CongressFactory,
    DeputyFactory,
    ScheduleFactory,
    StationFactory,
    make_cycle,
    make_user,
    place,
    seat,
)
from votes.models import Phase, Project
from votes.models.projects import Milestone, ProgressReport


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # The rate-limit counters live in the cache: each test starts with none used.
    cache.clear()


@pytest.fixture
def county_congress(hengyang_county):
    return CongressFactory(region=hengyang_county, level="county", name="衡阳县人民代表大会")


@pytest.fixture
def station(xidu):
    station = StationFactory(region=xidu, name="西渡镇人大代表联络站", code="XD0001")
    ScheduleFactory(station=station)
    return station


@pytest.fixture
def api_deputy(county_congress, station):
    """Dora, a deputy of the county congress with an account, placed at the station and
    on duty there tomorrow."""
    user = make_user("dora", role="deputy")
    deputy = DeputyFactory(
        region=station.region, user=user, code="D900001", name="杜拉", phone="13812345678"
    )
    seat(deputy, county_congress)
    place(deputy, station)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    day = ReceptionDay.objects.create(
        station=station,
        date=tomorrow,
        start_time=dt.time(9),
        end_time=dt.time(11, 30),
        notice_days=2,
    )
    Duty.objects.create(reception_day=day, deputy=deputy)
    return deputy


@pytest.fixture
def project(county_congress):
    """A selected project of a cycle being implemented, with a milestone and a report."""
    cycle = make_cycle(county_congress, places=1, candidates=2, year=2026, phase=Phase.IMPLEMENTING)
    candidate = cycle.candidates.get(number=1)
    project = Project.objects.create(
        candidate=candidate, budget=Decimal("100.00"), progress=40, status="underway"
    )
    Milestone.objects.create(
        project=project, title="完成招标", due_date=dt.date(2026, 6, 30), progress=100
    )
    ProgressReport.objects.create(
        project=project,
        reported_on=dt.date(2026, 7, 1),
        progress=40,
        spent=Decimal("35.50"),
        note="路基完成。",
    )
    return project


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client
