"""Monthly and annual reports: who may read which region's, the three formats with the
same figures, and the background job for a large one."""

import datetime as dt
import io
import re
import zlib
from base64 import a85decode
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from liaison import jobs, reports, stats
from liaison.models import Job
from suggestions.models import Suggestion
from tests.factories import make_category, make_user

REPORT = "liaison_report"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _english(client, settings, tmp_path):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def opinions(xidu, yunji):
    """Three opinions in Xidu (Hengyang county) this month, one in Yunji (Hengnan)."""
    roads = make_category("roads", "道路交通")

    def make(region, status="received", **extra):
        return Suggestion.objects.create(
            region=region,
            category=roads,
            title="村口道路坑洼",
            content="道路坑洼积水。",
            channel="web",
            status=status,
            **extra,
        )

    make(xidu)
    make(xidu, "closed", replied_at=timezone.now(), satisfaction="satisfied")
    make(xidu, "closed", replied_at=timezone.now(), satisfaction="unsatisfied")
    make(yunji)


def query(region=None, *, month=True, **extra):
    today = timezone.localdate()
    params = {"year": today.year} | ({"month": today.month} if month else {})
    if region is not None:
        params["region"] = region
    return params | extra


def get(client, **params):
    return client.get(reverse(REPORT), params)


def figures_of(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="([a-z_]+)" data-value="([^"]*)"', html))


# --- Who may read which region ---------------------------------------------------------

HENGYANG_COUNTY, HENGNAN_COUNTY = "430421000000", "430422000000"
XIDU, YUNJI, HENGYANG, HUNAN = "430421100000", "430422100000", "430400000000", "430000000000"


@pytest.mark.parametrize(
    ("who", "region", "status"),
    [
        ("admin_user", HUNAN, 200),
        ("admin_user", YUNJI, 200),
        ("city_clerk", HENGYANG, 200),
        ("city_clerk", HENGNAN_COUNTY, 200),
        ("city_clerk", HUNAN, 404),
        ("county_clerk", HENGYANG_COUNTY, 200),
        ("county_clerk", XIDU, 200),
        ("county_clerk", HENGNAN_COUNTY, 404),
        ("county_clerk", YUNJI, 404),
        ("county_clerk", HENGYANG, 404),
        ("township_clerk", XIDU, 200),
        ("township_clerk", HENGYANG_COUNTY, 404),
        ("other_county_clerk", XIDU, 404),
        ("county_clerk", "999999999999", 404),
        ("county_clerk", "nonsense", 404),
    ],
)
def test_office_staff_read_their_own_subtree_only(client, request, opinions, who, region, status):
    client.force_login(request.getfixturevalue(who))
    for output in ("", "xlsx", "pdf"):
        response = get(client, **query(region, format=output))
        assert response.status_code == status, (who, region, output)


@pytest.mark.parametrize("who", ["department_user", "deputy_user", None])
def test_handlers_deputies_and_visitors_are_refused(client, request, opinions, who):
    if who:
        client.force_login(request.getfixturevalue(who))
    for output in ("", "xlsx", "pdf"):
        response = get(client, **query(XIDU, format=output))
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]


def test_a_staff_account_without_an_office_is_refused(client, opinions):
    client.force_login(make_user("sam", is_staff=True))
    response = get(client, **query(XIDU))
    assert response.status_code in (302, 403)
    assert b"report-headline" not in response.content


def test_the_report_is_the_clerks_region_by_default(client, county_clerk, opinions):
    client.force_login(county_clerk)
    html = get(client, **query()).content.decode()
    assert "衡阳县: monthly report" in html
    assert figures_of(html)["received"] == "3"


# --- The page, the workbook and the PDF ----------------------------------------------


def test_the_page_shows_the_figures_and_the_breakdowns(client, county_clerk, opinions):
    client.force_login(county_clerk)
    html = get(client, **query(HENGYANG_COUNTY)).content.decode()
    figures = figures_of(html)
    assert figures["received"] == "3"
    assert figures["closed"] == "2"
    assert figures["satisfaction_rate"] == "50.0"
    for table in ("months", "categories", "regions", "stations", "deputies", "projects"):
        assert f'id="report-{table}"' in html
    assert "@page { size: A4" in (ROOT / "static/liaison/report.css").read_text()
    assert "<script>" not in html


def test_the_annual_report_covers_the_year(client, county_clerk, opinions):
    Suggestion.objects.filter(status="received", region_id=XIDU).update(
        received_at=timezone.make_aware(dt.datetime(timezone.localdate().year, 1, 1, 8))
    )
    client.force_login(county_clerk)
    html = get(client, **query(HENGYANG_COUNTY, month=False)).content.decode()
    assert "annual report" in html
    assert figures_of(html)["received"] == "3"
    monthly = get(client, **query(HENGYANG_COUNTY)).content.decode()
    expected = "2" if timezone.localdate().month != 1 else "3"
    assert figures_of(monthly)["received"] == expected


def test_the_workbook_has_the_page_figures(client, county_clerk, opinions):
    client.force_login(county_clerk)
    page = figures_of(get(client, **query(HENGYANG_COUNTY)).content.decode())
    response = get(client, **query(HENGYANG_COUNTY, format="xlsx"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="report-430421')
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Figures",
        "Monthly trend",
        "By category",
        "By region",
        "Receptions per station",
        "Deputies' activity",
        "Ballot cycles",
        "Livelihood projects",
    ]
    values = dict(book["Figures"].iter_rows(min_row=1, max_col=2, values_only=True))
    assert values["Opinions received"] == int(page["received"]) == 3
    assert values["Closed"] == int(page["closed"]) == 2
    # A rate is a number formatted as a percentage, the value the page shows.
    rate_cell = next(
        row[1] for row in book["Figures"].iter_rows() if row[0].value == "Satisfaction rate"
    )
    assert rate_cell.value == 0.5 and rate_cell.number_format == "0.0%"


def pdf_text(content: bytes) -> list[str]:
    """The strings a reportlab PDF draws, in order. Its page streams are ASCII85 and
    Flate encoded; the CID font's strings are UTF-16BE with PDF's backslash escapes."""
    strings = []
    for match in re.finditer(rb"stream\n(.*?)endstream", content, re.S):
        stream = zlib.decompress(a85decode(match.group(1).strip().removesuffix(b"~>")))
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\) Tj", stream):
            raw = re.sub(
                rb"\\([0-7]{1,3}|.)",
                lambda m: bytes([int(m.group(1), 8)]) if m.group(1).isdigit() else m.group(1),
                literal,
            )
            strings.append(raw.decode("utf-16-be"))
    return strings


def test_the_pdf_is_a4_in_chinese_with_the_same_figures(client, county_clerk, opinions, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(county_clerk)
    response = get(client, **query(HENGYANG_COUNTY, format="pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    content = response.content
    assert content.startswith(b"%PDF-")
    assert b"/STSong-Light" in content
    assert b"/MediaBox [ 0 0 841.8898 595.2756 ]" in content  # A4, landscape
    lines = pdf_text(content)
    assert lines[0].startswith("衡阳县")
    assert "满意率" in lines
    with translation.override("zh-hans"):
        figures = stats.figures(
            stats.region_for(county_clerk, HENGYANG_COUNTY),
            stats.Period.of(timezone.localdate().year, timezone.localdate().month),
        )
        headline = reports.headline(figures)
    for figure in headline:
        position = lines.index(figure.label)
        assert lines[position + 1] == figure.display, figure.key


def test_a_bad_period_shows_the_form_again(client, county_clerk, opinions):
    client.force_login(county_clerk)
    for params in ({"year": "abc"}, {"year": "2026", "month": "13"}, {"year": "1990"}):
        response = get(client, **params)
        assert response.status_code == 200
        assert b"errornote" in response.content
        assert b"report-headline" not in response.content


# --- A large report is a job -----------------------------------------------------------


def test_a_report_over_the_threshold_is_built_by_a_job(client, county_clerk, opinions, settings):
    settings.LIAISON_JOB_THRESHOLD = 2
    client.force_login(county_clerk)
    direct = get(client, **query(XIDU, format="xlsx"))  # 3 opinions: over the threshold
    assert direct.status_code == 302
    job = Job.objects.get()
    assert direct["Location"] == job.get_absolute_url()
    assert job.kind == "report"
    assert job.created_by == county_clerk
    assert job.params == {
        "region": XIDU,
        "year": timezone.localdate().year,
        "month": timezone.localdate().month,
    }
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result_name.endswith(".xlsx")
    book = openpyxl.load_workbook(job.result.open("rb"))
    values = dict(book["Figures"].iter_rows(min_row=1, max_col=2, values_only=True))
    assert values["Opinions received"] == 3
    # At or under the threshold the file comes straight away.
    settings.LIAISON_JOB_THRESHOLD = 3
    response = get(client, **query(XIDU, format="xlsx"))
    assert response.status_code == 200
    assert Job.objects.count() == 1


def test_a_report_job_checks_the_jurisdiction_again(county_clerk, opinions):
    job = Job.objects.create(
        kind="report",
        label="report",
        created_by=county_clerk,
        params={"region": YUNJI, "year": 2026, "month": None},
        language="en",
    )
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "not valid" in job.error
    assert not job.result


def test_a_report_job_of_someone_who_left_the_office_fails(county_clerk, opinions):
    job = Job.objects.create(
        kind="report",
        label="report",
        created_by=county_clerk,
        params={"region": XIDU, "year": 2026},
        language="en",
    )
    county_clerk.role = "deputy"
    county_clerk.save()
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "no longer" in job.error
