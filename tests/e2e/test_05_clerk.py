"""Journey 5: the county clerk opens the admin on a desktop: the dashboard of the
county with its charts drawn, an opinion no rule routes (the worker flagged it for
triage) assigned to a bureau, and the ledger exported to Excel."""

import datetime as dt

import openpyxl
import pytest
from django.utils import timezone

from liaison.models import Notification
from suggestions import services
from suggestions.models import Assignment, Case, Event, Suggestion
from tests.e2e.checks import look
from tests.e2e.helpers import PASSWORD
from tests.workers import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

OPINIONS = [
    ("roads", "镇区主街路灯不亮", 0),
    ("roads", "学校门口缺少减速带", 0),
    ("water", "新塘组自来水水压不足", 1),
    ("water", "灌溉渠堵塞影响春耕", 2),
    ("roads", "乡村公路边坡塌方", 3),
    ("water", "饮水井水质浑浊", 4),
]


@pytest.fixture
def county_items(routed, town):
    """Opinions of the last months, routed by the worker, and one about the river that
    no rule routes: the worker leaves it to the office ("awaiting triage")."""
    categories = {"roads": town.roads, "water": town.water}
    now = timezone.now()
    # The dashboard shows this year: months before January stay in January.
    new_year = timezone.make_aware(dt.datetime(timezone.localdate().year, 1, 1, 0, 1))
    for index, (category, title, months_ago) in enumerate(OPINIONS):
        suggestion = services.suggestion_submit(
            channel="web",
            station=town.station,
            category=categories[category],
            title=title,
            content=f"{title}，请有关部门尽快处理。",
            phone=f"1380013{index:04d}",
            consent=True,
        )
        Suggestion.objects.filter(pk=suggestion.pk).update(
            received_at=max(now - dt.timedelta(days=30 * months_ago), new_year)
        )
    river = services.suggestion_submit(
        channel="web",
        station=town.station,
        category=town.environment,
        title="湘江支流河道垃圾堆积",
        content="西渡镇段河道垃圾堆积，夏天气味很大，请安排清理。",
        phone="13800139999",
        consent=True,
    )
    assert wait_for(lambda: Assignment.objects.count() == len(OPINIONS), 30)
    assert wait_for(
        lambda: Event.objects.filter(case=river, kind=Event.Kind.AWAITING_TRIAGE).exists(), 30
    )
    return river


def test_a_county_clerk_reads_the_dashboard_assigns_an_item_and_exports_the_ledger(
    county_items, desktop, shots, town, county_clerk, tmp_path
):
    river = county_items
    page = desktop
    page.goto("/admin/")
    page.fill("#id_username", county_clerk.username)
    page.fill("#id_password", PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.locator(".liaison-dashboard").wait_for()

    # The charts are drawn by Chart.js, each on a canvas of real size.
    page.wait_for_function(
        "() => [...document.querySelectorAll('canvas[data-chart]')]"
        ".every(c => window.Chart && Chart.getChart(c))"
    )
    drawn = page.evaluate(
        """() => [...document.querySelectorAll("canvas[data-chart]")].map(canvas => {
          const chart = Chart.getChart(canvas);
          return {
            chart: canvas.dataset.chart, type: chart.config.type,
            w: canvas.width, h: canvas.height,
            points: chart.data.datasets.flatMap(d => d.data).reduce((a, b) => a + b, 0),
          };
        })"""
    )
    charts = {c["chart"]: c for c in drawn}
    assert {"months", "categories"} <= set(charts), drawn
    assert all(c["w"] > 100 and c["h"] > 50 for c in drawn), drawn
    assert charts["categories"]["points"] == len(OPINIONS) + 1
    received = page.locator("li[data-figure=received]").get_attribute("data-value")
    assert received == str(len(OPINIONS) + 1)
    look(page, shots, "05-admin-dashboard", phone=False, cjk="#dashboard-title")

    # The opinion no rule routes, found by its tracking code.
    page.goto("/admin/suggestions/suggestion/")
    page.locator("#searchbar").fill(river.tracking_code)
    page.locator("#searchbar").press("Enter")
    page.wait_for_url("**?q=*")
    row = page.locator("#result_list tbody tr")
    row.first.wait_for()
    assert row.count() == 1
    row.locator("input.action-select").check()
    page.locator("select[name=action]").first.select_option("assign_cases")
    page.locator("button[name=index]").first.click()
    page.locator("#id_lead").wait_for()
    page.locator("#id_lead").select_option(label=f"{town.water_bureau.name}（衡阳县）")
    page.locator("#id_time_limit_days").fill("10")
    page.locator("#id_reason").fill("河道保洁由水利局牵头，镇政府配合。")
    look(page, shots, "05-admin-assign", phone=False, cjk="h1")
    page.locator("[name=apply]").click()
    page.locator(".messagelist .success").wait_for()

    assignment = Assignment.objects.get(case=river)
    assert assignment.department == town.water_bureau and assignment.role == "lead"
    assert Case.objects.get(pk=river.pk).status == Case.Status.ASSIGNED
    # The worker tells the bureau's handler in the workspace inbox.
    assert wait_for(lambda: Notification.objects.filter(recipient=town.erin).exists(), 30)
    look(page, shots, "05-admin-assigned", phone=False, cjk=None)

    # The ledger (台账) as an Excel file.
    page.goto("/admin/suggestions/suggestion/export/")
    look(page, shots, "05-admin-export", phone=False, cjk="h1")
    with page.expect_download() as download:
        page.locator("#content form [type=submit]").first.click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".xlsx"
    sheet = openpyxl.load_workbook(path).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert len(rows) == 1 + len(OPINIONS) + 1
    river_row = next(r for r in rows if river.tracking_code in r)
    assert town.water_bureau.name in " ".join(str(v) for v in river_row if v)
