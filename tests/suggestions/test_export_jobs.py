"""Large exports run as background jobs: the file has exactly the rows of the clerk's
filtered, scoped changelist, as the request's own export would have had."""

import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from liaison import jobs
from liaison.models import Job
from suggestions import services
from tests.factories import DeputyFactory
from tests.workers import REDIS_URL, finished_job_state

LEDGER = "admin:suggestions_suggestion_export"
DEPUTIES = "admin:stations_deputy_export"


# Pages are checked by their English msgids, whatever the catalogue holds.
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_ROOT = tmp_path / "private"


@pytest.fixture
def items(submit, other_station, roads_rule):
    """Six opinions in Hengyang county (four routed to the bureau) and two next door."""
    mine = [submit(title=f"西渡镇第{i}号意见", phone=f"1380013800{i}") for i in range(6)]
    for item in mine[:4]:
        services.case_route(case_id=item.pk)
    theirs = [submit(station=other_station, title=f"云集镇第{i}号意见") for i in range(2)]
    for item in mine + theirs:
        item.refresh_from_db()
    return {"mine": mine, "theirs": theirs}


def sheet_rows(content: bytes) -> list[tuple]:
    return list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def export_now(client, url: str, query: str = "", data=None) -> list[tuple]:
    """The request's own (synchronous) export."""
    response = client.post(f"{url}?{query}", data or {"format": "0", "resource": "0"})
    assert response.status_code == 200, response.content[:300]
    return sheet_rows(response.content)


def export_as_job(client, url: str, query: str = "", data=None) -> tuple[Job, list[tuple]]:
    """Export through a job: the page starts it, the worker's code runs it in-process,
    the owner downloads the file."""
    response = client.post(f"{url}?{query}", data or {"format": "0", "resource": "0"})
    job = Job.objects.latest("pk")
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert job.kind == "export" and job.status == Job.Status.QUEUED
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    download = client.get(reverse("admin:liaison_job_download", args=[job.pk]))
    assert download.status_code == 200
    assert "attachment;" in download["Content-Disposition"]
    return job, sheet_rows(b"".join(download.streaming_content))


def test_a_ledger_export_job_has_the_rows_of_the_filtered_scoped_changelist(
    client, settings, county_clerk, items
):
    client.force_login(county_clerk)
    query = "status__exact=assigned"
    expected = export_now(client, reverse(LEDGER), query)

    settings.LIAISON_JOB_THRESHOLD = 3
    job, rows = export_as_job(client, reverse(LEDGER), query)

    assert rows == expected  # header and every cell, in the changelist's order
    codes = {row[0] for row in rows[1:]}
    assert codes == {item.tracking_code for item in items["mine"][:4]}
    assert job.result_name.startswith("suggestions-ledger-") and job.result_name.endswith(".xlsx")
    assert (job.done, job.total) == (4, 4)
    assert job.summary == "4 rows exported."


def test_the_neighbour_clerks_job_has_only_their_items(client, settings, other_county_clerk, items):
    settings.LIAISON_JOB_THRESHOLD = 1
    client.force_login(other_county_clerk)
    _job, rows = export_as_job(client, reverse(LEDGER))
    assert {row[0] for row in rows[1:]} == {item.tracking_code for item in items["theirs"]}


def test_an_export_at_the_threshold_stays_in_the_request_and_counts_no_further(
    client, settings, county_clerk, items
):
    settings.LIAISON_JOB_THRESHOLD = 4
    client.force_login(county_clerk)
    with CaptureQueriesContext(connection) as queries:
        rows = export_now(client, reverse(LEDGER), "status__exact=assigned")
    assert len(rows) == 5 and not Job.objects.exists()
    # The size check stops counting one row past the threshold.
    counts = [q["sql"] for q in queries if q["sql"].startswith("SELECT COUNT(*)")]
    assert any("LIMIT 5" in sql for sql in counts), counts


def test_text_that_looks_like_a_formula_stays_text(client, settings, county_clerk, submit):
    submit(title='=HYPERLINK("http://evil.example","点这里")')
    submit(title="+1+1")
    settings.LIAISON_JOB_THRESHOLD = 1
    client.force_login(county_clerk)
    job, _rows = export_as_job(client, reverse(LEDGER))
    sheet = openpyxl.load_workbook(job.result.path).active
    titles = sheet["G"][1:]
    assert {cell.value for cell in titles} == {'=HYPERLINK("http://evil.example","点这里")', "+1+1"}
    assert {cell.data_type for cell in titles} == {"s"}


def test_a_small_export_in_the_request_also_keeps_formulas_as_text(
    client, settings, county_clerk, submit
):
    submit(title='=HYPERLINK("http://evil.example","点这里")')
    submit(title="@SUM(1+1)")
    client.force_login(county_clerk)
    response = client.post(reverse(LEDGER), {"format": "0", "resource": "0"})
    assert response.status_code == 200 and not Job.objects.exists()
    titles = openpyxl.load_workbook(io.BytesIO(response.content)).active["G"][1:]
    assert {cell.value for cell in titles} == {
        '=HYPERLINK("http://evil.example","点这里")',
        "@SUM(1+1)",
    }
    assert {cell.data_type for cell in titles} == {"s"}


def test_a_deputy_export_job_keeps_the_chosen_columns_and_the_scope(
    client, settings, county_clerk, xidu, yunji
):
    for i in range(5):
        DeputyFactory(code=f"XD{i:04d}", region=xidu)
    DeputyFactory(code="YJ0001", region=yunji)
    client.force_login(county_clerk)
    url = reverse(DEPUTIES)
    choices = client.get(url).context["form"].fields["format"].choices
    xlsx = next(str(v) for v, label in choices if str(label).lower() == "xlsx")
    data = {
        "format": xlsx,
        "resource": "0",
        "deputyresource_code": "on",
        "deputyresource_name": "on",
        "deputyresource_region": "on",
    }
    expected = export_now(client, url, "is_active__exact=1", data)
    settings.LIAISON_JOB_THRESHOLD = 2
    _job, rows = export_as_job(client, url, "is_active__exact=1", data)
    assert rows == expected
    assert rows[0] == ("code", "name", "region")
    assert [row[0] for row in rows[1:]] == [f"XD{i:04d}" for i in range(5)]


@pytest.mark.parametrize("who", ["department_user", "deputy_user"])
def test_handlers_and_deputies_cannot_start_an_export_job(client, settings, request, items, who):
    settings.LIAISON_JOB_THRESHOLD = 1
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse(LEDGER), {"format": "0", "resource": "0"})
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    assert not Job.objects.exists()


def test_a_clerk_moved_to_another_county_gets_the_new_countys_rows(
    client, settings, county_clerk, hengnan_county, items
):
    """The worker rebuilds the changelist for the user as they are when it runs."""
    settings.LIAISON_JOB_THRESHOLD = 1
    client.force_login(county_clerk)
    response = client.post(reverse(LEDGER), {"format": "0", "resource": "0"})
    assert response.status_code == 302
    county_clerk.region = hengnan_county
    county_clerk.save()
    job = Job.objects.get()
    jobs.run(job.pk)
    job.refresh_from_db()
    rows = sheet_rows(job.result.read())
    assert {row[0] for row in rows[1:]} == {item.tracking_code for item in items["theirs"]}


# --- With the real worker ------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.postgres
def test_an_export_job_runs_in_the_real_worker_to_a_download(
    shared_media, worker, broker, client, settings, county_clerk, items
):
    broker(REDIS_URL)
    settings.LIAISON_JOB_THRESHOLD = 2
    client.force_login(county_clerk)
    response = client.post(reverse(LEDGER), {"format": "0", "resource": "0"})
    job = Job.objects.get()
    assert response["Location"] == job.get_absolute_url()
    assert client.get(job.get_absolute_url()).status_code == 200

    state = finished_job_state(client, job)
    assert (state["status"], state["done"], state["total"]) == ("succeeded", 6, 6)
    page = client.get(job.get_absolute_url()).content.decode()
    download = reverse("admin:liaison_job_download", args=[job.pk])
    assert download in page
    rows = sheet_rows(b"".join(client.get(download).streaming_content))
    assert {row[0] for row in rows[1:]} == {item.tracking_code for item in items["mine"]}
