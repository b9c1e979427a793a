"""The admin index's dashboard: who sees it and for which region, what it shows (tiles,
real charts from the vendored Chart.js, a table under each chart), no inline script,
and a number of queries that does not grow with the data."""

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from liaison import stats
from stations.models import PointEntry, Reception
from suggestions import selectors
from suggestions.models import Suggestion
from tests.factories import (
    CongressFactory,
    DeputyFactory,
    StationFactory,
    make_category,
    make_cycle,
    make_region,
    make_user,
)
from votes.models import Milestone, Phase, Project

TZ = ZoneInfo("Asia/Shanghai")
ROOT = Path(settings.BASE_DIR)
INDEX = "admin:index"


# Pages are checked by their English msgids, whatever the catalogue holds.
pytestmark = pytest.mark.usefixtures("english")


def opinion(region, *, category=None, status="received", days_ago=0, **extra):
    return Suggestion.objects.create(
        region=region,
        category=category,
        title="村口道路坑洼",
        content="道路坑洼积水。",
        channel="web",
        status=status,
        received_at=timezone.now() - dt.timedelta(days=days_ago),
        **extra,
    )


def build(county, size: int, *, batch: int = 0) -> None:
    """``size`` new townships, each with a station, two deputies, a reception, points
    and opinions in ``size`` categories; a new congress whose cycle has ``size``
    projects. Each ``batch`` adds to what earlier ones built."""
    today = timezone.localdate()
    categories = [make_category(f"c{i}", f"类别{i}") for i in range(size)]
    congress = CongressFactory(region=county, term=f"第{batch}届")
    for index in range(size):
        number = 200 + 20 * batch + index
        township = make_region(f"{county.code[:6]}{number:03d}000", f"乡镇{number}")
        station = StationFactory(region=township)
        deputies = [DeputyFactory(region=township) for _ in range(2)]
        reception = Reception.objects.create(
            station=station, date=today, visitors=5 + index, source="paper_ledger"
        )
        reception.deputies.set(deputies)
        for deputy in deputies:
            PointEntry.objects.create(
                deputy=deputy,
                kind="reception_logged",
                points=5,
                occurred_on=today,
                source_key=f"test:{deputy.pk}",
            )
        for number, category in enumerate(categories):
            opinion(
                township,
                category=category,
                status="assigned" if number % 2 else "closed",
                due_date=today - dt.timedelta(days=1 + number),
                replied_at=timezone.now() if number % 2 == 0 else None,
                satisfaction="satisfied" if number % 2 == 0 else "",
                deputy=deputies[0],
                station=station,
            )
    cycle = make_cycle(
        congress, candidates=size, year=today.year, title=f"{county.name}{today.year}年票决"
    )
    for candidate in cycle.candidates.all():
        project = Project.objects.create(
            candidate=candidate, budget=Decimal("10"), progress=40, status="underway"
        )
        Milestone.objects.create(
            project=project, title="开工", due_date=today - dt.timedelta(days=3)
        )
    cycle.phase = Phase.IMPLEMENTING
    cycle.save(update_fields=["phase"])


class _Figures:
    """The data-figure/data-value pairs of a page."""

    def __init__(self, html: str):
        self.values = dict(re.findall(r'data-figure="([a-z_]+)" data-value="([^"]*)"', html))


def dashboard(client, **params):
    response = client.get(reverse(INDEX), params)
    assert response.status_code == 200
    return response.content.decode()


def payload(html: str) -> dict:
    match = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', html)
    assert match, "no chart data"
    return json.loads(match.group(1))


# --- What it shows ------------------------------------------------------------------


def test_the_county_clerk_sees_the_figures_of_the_county(client, county_clerk, xidu, yunji):
    roads = make_category("roads", "道路交通")
    opinion(xidu, category=roads)
    opinion(xidu, category=roads, status="closed", replied_at=timezone.now())
    opinion(yunji, category=roads)  # the neighbour county's
    client.force_login(county_clerk)
    html = dashboard(client)
    figures = _Figures(html).values
    assert figures["received"] == "2"
    assert figures["closed_rate"] == "50.0"
    assert "衡阳县" in html and "西渡镇" in html
    assert "云集镇" not in html and "衡南县" not in html


def test_the_dashboard_draws_real_charts_from_the_vendored_chartjs(client, county_clerk, xidu):
    opinion(xidu, category=make_category())
    client.force_login(county_clerk)
    html = dashboard(client)
    scripts = re.findall(r"<script[^>]*>", html)
    # Chart.js and the dashboard's script come from static/, never from a CDN...
    chart_src = settings.STATIC_URL + "vendor/chartjs/chart.umd.min.js"
    assert f'<script src="{chart_src}" defer>' in scripts
    assert f'<script src="{settings.STATIC_URL}liaison/dashboard.js" defer>' in scripts
    assert not re.search(r'src="(https?:)?//', html)
    # ...and no inline script: the only script without src is the JSON payload.
    inline = [tag for tag in scripts if "src=" not in tag]
    assert inline == ['<script id="dashboard-data" type="application/json">']
    assert "onclick=" not in html
    data = payload(html)
    assert data["months"]["received"][-1] == 1
    assert data["categories"]["labels"] == ["道路交通"]
    for chart in ("months", "categories", "regions"):
        assert f'data-chart="{chart}"' in html
    # The files exist: Chart.js 4 with its licence, and the script that draws.
    vendored = (ROOT / "static/vendor/chartjs/chart.umd.min.js").read_text()
    assert vendored.startswith("/*!\n * Chart.js v4.")
    assert "MIT" in (ROOT / "static/vendor/chartjs/LICENSE.md").read_text()
    script = (ROOT / "static/liaison/dashboard.js").read_text()
    assert "new Chart(" in script and "dashboard-data" in script


def test_every_chart_has_its_figures_as_a_table(client, county_clerk, xidu):
    water = make_category("water", "饮水与水利")
    opinion(xidu, category=water)
    opinion(xidu, category=water, status="closed", replied_at=timezone.now())
    client.force_login(county_clerk)
    html = dashboard(client)
    for table in ("months", "categories", "regions", "stations", "deputies", "cycles"):
        assert f'id="dash-table-{table}"' in html
    row = re.search(r'id="dash-table-categories".*?<tbody>\s*<tr>(.*?)</tr>', html, re.S)
    cells = re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", row.group(1))
    assert cells[:4] == ["饮水与水利", "2", "2", "1"]  # received, to handle, closed
    # Open before the script runs, so the figures are there without JavaScript.
    assert '<details class="dash-table" open>' in html


def test_the_app_list_stays_under_the_dashboard(client, county_clerk):
    client.force_login(county_clerk)
    html = dashboard(client)
    assert html.index('class="liaison-dashboard"') < html.index('id="content-main"')
    assert reverse("admin:suggestions_suggestion_changelist") in html


def test_the_overdue_tile_links_to_the_overdue_items_of_the_region(client, county_clerk, xidu):
    opinion(xidu, status="assigned", due_date=timezone.localdate() - dt.timedelta(days=2))
    client.force_login(county_clerk)
    html = dashboard(client)
    assert _Figures(html).values["overdue_now"] == "1"
    url = reverse("admin:suggestions_suggestion_changelist")
    assert f'href="{url}?overdue=yes&amp;region=430421000000"' in html


# --- Region and period ----------------------------------------------------------------


def test_the_clerk_can_drill_down_to_a_township(client, county_clerk, xidu, hengyang_county):
    other = make_region("430421101000", "井头镇")
    opinion(xidu)
    opinion(other)
    opinion(other)
    client.force_login(county_clerk)
    assert _Figures(dashboard(client)).values["received"] == "3"
    html = dashboard(client, region=other.code)
    assert _Figures(html).values["received"] == "2"
    assert f'<option value="{other.code}" selected>' in html


def test_a_region_outside_the_jurisdiction_is_ignored(client, county_clerk, xidu, yunji):
    opinion(yunji)
    opinion(yunji)
    opinion(xidu)
    client.force_login(county_clerk)
    for code in (yunji.code, "430000000000", "999999999999", "bad"):
        html = dashboard(client, region=code)
        assert _Figures(html).values["received"] == "1"
        assert "云集镇" not in html


def test_the_region_picker_offers_only_the_jurisdiction(client, township_clerk, xidu, yunji):
    client.force_login(township_clerk)
    html = dashboard(client)
    picker = re.search(r'<select id="dash-region".*?</select>', html, re.S).group(0)
    assert re.findall(r'value="(\d*)"', picker) == [xidu.code]


def test_the_superuser_sees_the_province_and_may_pick_any_region(client, admin_user, xidu, yunji):
    opinion(xidu)
    opinion(yunji)
    client.force_login(admin_user)
    html = dashboard(client)
    assert _Figures(html).values["received"] == "2"
    assert "湖南省" in html
    assert _Figures(dashboard(client, region=yunji.code)).values["received"] == "1"


def test_the_period_picker_chooses_this_month_this_year_or_an_earlier_year(
    client, county_clerk, xidu
):
    today = timezone.localdate()
    opinion(xidu, days_ago=0)
    last_year = timezone.make_aware(dt.datetime(today.year - 1, 6, 1, 12), TZ)
    Suggestion.objects.filter(pk=opinion(xidu).pk).update(received_at=last_year)
    client.force_login(county_clerk)
    assert _Figures(dashboard(client, period="month")).values["received"] == "1"
    assert _Figures(dashboard(client, period="year")).values["received"] == "1"
    html = dashboard(client, period=str(today.year - 1))
    assert _Figures(html).values["received"] == "1"
    assert f'<option value="{today.year - 1}" selected>' in html
    # Anything else is this year.
    assert 'value="year" selected' in dashboard(client, period="1999")


# --- Who sees it ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin_user", "city_clerk", "county_clerk", "township_clerk"])
def test_office_staff_and_superusers_see_the_dashboard(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert 'class="liaison-dashboard"' in dashboard(client)


@pytest.mark.parametrize("role", ["", "department", "deputy"])
def test_the_tag_shows_nothing_to_an_account_without_an_office(rf, db, role):
    # Whatever lets an account into the index, the tag itself asks for an office.
    request = rf.get("/admin/")
    request.user = make_user(f"sam{role}", role=role, is_staff=True)
    html = Template("{% load dashboard %}{% liaison_dashboard %}").render(
        Context({"request": request})
    )
    assert html.strip() == ""


@pytest.mark.parametrize("who", ["department_user", "deputy_user", None])
def test_handlers_deputies_and_visitors_never_reach_it(client, request, who):
    if who:
        client.force_login(request.getfixturevalue(who))
    response = client.get(reverse(INDEX))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


# --- Queries ----------------------------------------------------------------------------


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        dashboard(client)
    return len(queries)


MAX_QUERIES = 24


def test_the_dashboard_is_a_fixed_number_of_queries(
    client, county_clerk, hengyang_county, django_assert_max_num_queries
):
    client.force_login(county_clerk)
    build(hengyang_county, 2)
    dashboard(client)  # warm the session and the content types
    small = _queries(client)
    build(hengyang_county, 12, batch=1)
    with django_assert_max_num_queries(MAX_QUERIES):
        html = dashboard(client)
    assert _Figures(html).values["received"] == str(2 * 2 + 12 * 12)
    assert _queries(client) == small


def test_the_figures_are_a_fixed_number_of_queries(hengyang_county):
    build(hengyang_county, 2)
    period = stats.Period.of(timezone.localdate().year)
    with CaptureQueriesContext(connection) as small:
        stats.figures(hengyang_county, period)
    build(hengyang_county, 10, batch=1)
    with CaptureQueriesContext(connection) as large:
        figures = stats.figures(hengyang_county, period)
    assert len(large) == len(small) <= 14
    assert figures.opinions.received == 2 * 2 + 10 * 10
    assert len(figures.stations.rows) == 12
    assert figures.deputies.with_activity == 24
    assert len(figures.ballots.projects) == 12


def test_overdue_now_is_the_admins_overdue_filter(hengyang_county, xidu, yunji):
    today = timezone.localdate()
    past, future = today - dt.timedelta(days=3), today + dt.timedelta(days=3)
    opinion(xidu, status="assigned", due_date=past)
    opinion(xidu, status="reopened", due_date=past, days_ago=800)  # any year counts
    opinion(xidu, status="received", due_date=past)
    opinion(xidu, status="assigned", due_date=future)
    opinion(xidu, status="replied", due_date=past, replied_at=timezone.now())
    opinion(yunji, status="assigned", due_date=past)  # another county
    figures = stats.figures(hengyang_county, stats.Period.of(today.year, today.month))
    in_county = Suggestion.objects.filter(region__code__startswith=hengyang_county.prefix)
    assert figures.overdue_now == selectors.overdue_filter(in_county).count() == 3
