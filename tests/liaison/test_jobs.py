"""Background jobs: the life of a job, progress another connection can see, and who may
open a job's page, its progress and its file."""

import datetime as dt
import os
import re

import pytest
import tablib
from django.contrib import admin
from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from liaison import jobs
from liaison.models import Job, OutboxMessage, Region
from tests.factories import make_user

calls: list[int] = []


@jobs.register("test-echo", label="Echo")
def _echo(job, progress):
    calls.append(job.pk)
    total = job.params.get("rows", 3)
    for done in range(1, total + 1):
        progress(done, total)
    job.summary = f"{total} rows"
    return "echo.csv", ("\n".join(str(i) for i in range(total))).encode()


@jobs.register("test-refuse", label="Refuse")
def _refuse(job, progress):
    raise jobs.JobError(translation.gettext("Nothing was imported: the file could not be read."))


@jobs.register("test-crash", label="Crash")
def _crash(job, progress):
    raise RuntimeError("connection string postgres://secret@db")


@jobs.register("test-transaction", label="In a transaction")
def _in_a_transaction(job, progress):
    """Reports progress from inside its own transaction and notes what another
    connection sees meanwhile."""
    seen = []
    progress(0, 100, stage=jobs.STAGE_CHECKING)
    seen.append(_read_aside(job.pk))
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).exists()  # the transaction is really open
        progress(40, 100, stage=jobs.STAGE_SAVING)
        seen.append(_read_aside(job.pk))
        progress(90)
        seen.append(_read_aside(job.pk))
    job.summary = repr(seen)


@jobs.register("test-late", label="Late")
def _failed_meanwhile(job, progress):
    """Its worker was thought dead: the clean-up failed the job while it still ran."""
    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, error="interrupted")
    return "late.txt", b"late"


def _read_aside(job_id: int):
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT done, total, stage FROM liaison_job WHERE id = %s", [job_id])
            return cursor.fetchone()
    finally:
        other.close()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_ROOT = tmp_path / "private"


@pytest.fixture
def job(county_clerk) -> Job:
    started = jobs.start("test-echo", user=county_clerk, params={"rows": 5})
    jobs.run(started.pk)
    started.refresh_from_db()
    return started


def test_a_started_job_waits_in_the_outbox_for_the_worker(county_clerk):
    job = jobs.start("test-echo", user=county_clerk, params={"rows": 2})
    assert job.status == Job.Status.QUEUED and job.label == "Echo"
    message = OutboxMessage.objects.get()
    assert message.task == "liaison.tasks.run_job" and message.kwargs == {"job_id": job.pk}
    assert job.get_absolute_url() == reverse("admin:liaison_job_change", args=[job.pk])


def test_a_job_runs_to_its_file_and_summary(job, settings):
    assert job.status == Job.Status.SUCCEEDED
    assert (job.done, job.total, job.percent) == (5, 5, 100)
    assert job.summary == "5 rows" and job.error == ""
    assert job.started_at <= job.finished_at
    assert job.result.read() == b"0\n1\n2\n3\n4"
    # Job files live in the private storage, under jobs/ in a folder of their own with a
    # random name; nothing of them is under MEDIA_ROOT, which URLs serve.
    assert re.fullmatch(r"jobs/[0-9a-f]{32}/echo\.csv", job.result.name)
    assert (settings.PRIVATE_ROOT / job.result.name).is_file()
    assert not any(settings.MEDIA_ROOT.rglob("*.csv"))
    with pytest.raises(ValueError):
        job.result.url  # noqa: B018  (no URL serves a private file)


def test_a_job_delivered_twice_runs_once(county_clerk):
    job = jobs.start("test-echo", user=county_clerk)
    calls.clear()
    jobs.run(job.pk)
    jobs.run(job.pk)
    assert calls == [job.pk]


def test_a_clean_failure_shows_its_message_in_the_starters_language(county_clerk):
    with translation.override("en"):
        job = jobs.start("test-refuse", user=county_clerk)
    assert job.language == "en"
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error == "Nothing was imported: the file could not be read."
    assert not job.result


def test_an_unexpected_error_fails_the_job_without_showing_internals(county_clerk, caplog):
    with translation.override("en"):
        job = jobs.start("test-crash", user=county_clerk)
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "unexpected error" in job.error and "secret" not in job.error
    assert "secret" in caplog.text  # the details are in the log for the operator


def test_a_queued_job_can_be_cancelled_and_then_never_runs(county_clerk):
    job = jobs.start("test-echo", user=county_clerk)
    assert jobs.cancel(job)
    calls.clear()
    jobs.run(job.pk)
    job.refresh_from_db()
    assert calls == [] and job.status == Job.Status.FAILED and job.error


def test_a_finished_job_cannot_be_cancelled(job):
    assert not jobs.cancel(job)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED


def test_progress_is_written_about_a_hundred_times_however_many_rows(county_clerk):
    job = jobs.start("test-echo", user=county_clerk, params={"rows": 20_000})
    with CaptureQueriesContext(connection) as queries:
        jobs.run(job.pk)
    writes = [q for q in queries if q["sql"].startswith('UPDATE "liaison_job" SET "done"')]
    assert 100 <= len(writes) <= 102
    job.refresh_from_db()
    assert (job.done, job.total) == (20_000, 20_000)


@pytest.mark.postgres
def test_progress_inside_the_jobs_own_transaction_is_visible_to_other_connections(
    transactional_db, county_clerk
):
    job = jobs.start("test-transaction", user=county_clerk)
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.summary == repr(
        [(0, 100, "Checking rows"), (40, 100, "Saving"), (90, 100, "Saving")]
    )


def test_clean_up_deletes_old_jobs_with_their_files_and_fails_stuck_ones(
    county_clerk, job, django_capture_on_commit_callbacks
):
    path = job.result.path
    stuck = jobs.start("test-echo", user=county_clerk)
    recent = jobs.start("test-echo", user=county_clerk)
    jobs.run(recent.pk)
    # Queued long ago, but it started an hour ago: running, not stuck.
    late_start = jobs.start("test-echo", user=county_clerk)
    long_ago = timezone.now() - dt.timedelta(days=30)
    Job.objects.filter(pk__in=[job.pk, stuck.pk, late_start.pk]).update(created_at=long_ago)
    Job.objects.filter(pk=job.pk).update(finished_at=long_ago)
    Job.objects.filter(pk=late_start.pk).update(
        status=Job.Status.RUNNING, started_at=timezone.now() - dt.timedelta(hours=1)
    )

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        assert jobs.clean_up(retention_days=7, stale_hours=12) == (1, 1)
    assert not Job.objects.filter(pk=job.pk).exists()
    assert not os.path.exists(path) and not os.path.exists(os.path.dirname(path))
    stuck.refresh_from_db()
    assert stuck.status == Job.Status.FAILED and "interrupted" in stuck.error
    assert Job.objects.get(pk=late_start.pk).status == Job.Status.RUNNING
    assert Job.objects.get(pk=recent.pk).result  # recent jobs keep their files


def test_a_job_failed_as_stuck_keeps_that_verdict_when_its_worker_comes_back(
    county_clerk, settings
):
    job = jobs.start("test-late", user=county_clerk)
    jobs.run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error, job.result.name) == (Job.Status.FAILED, "interrupted", "")
    assert not list(settings.PRIVATE_ROOT.rglob("late*.txt"))


# --- Who may see a job ---------------------------------------------------------------


def _urls(job: Job) -> dict[str, str]:
    return {
        "page": reverse("admin:liaison_job_change", args=[job.pk]),
        "progress": reverse("admin:liaison_job_progress", args=[job.pk]),
        "download": reverse("admin:liaison_job_download", args=[job.pk]),
    }


def test_the_owner_sees_the_page_the_progress_and_downloads_the_file(client, county_clerk, job):
    client.force_login(county_clerk)
    urls = _urls(job)
    page = client.get(urls["page"])
    assert page.status_code == 200
    assert urls["download"] in page.content.decode()

    progress = client.get(urls["progress"])
    assert progress.status_code == 200 and "no-store" in progress["Cache-Control"]
    assert progress.json() | {"status_display": ""} == {
        "status": "succeeded",
        "status_display": "",
        "done": 5,
        "total": 5,
        "percent": 100,
        "stage": "",
        "finished": True,
    }

    download = client.get(urls["download"])
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="echo.csv"'
    assert "no-store" in download["Cache-Control"]
    assert b"".join(download.streaming_content) == b"0\n1\n2\n3\n4"


def test_an_administrator_sees_anyones_job(client, admin_user, job):
    client.force_login(admin_user)
    for url in _urls(job).values():
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["other_county_clerk", "city_clerk", "township_clerk"])
def test_other_office_staff_get_a_404_for_someone_elses_job(client, request, job, who):
    # Even the clerk of the city above: a job and its file belong to whoever started it.
    client.force_login(request.getfixturevalue(who))
    for url in _urls(job).values():
        assert client.get(url).status_code == 404, url
    cancel = reverse("admin:liaison_job_cancel", args=[job.pk])
    assert client.post(cancel).status_code == 404


@pytest.mark.parametrize("who", ["anonymous", "deputy_user", "department_user"])
def test_visitors_deputies_and_departments_are_sent_to_the_admin_login(client, request, job, who):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    for url in _urls(job).values():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login"))


def test_the_list_shows_each_clerk_their_own_jobs_and_the_administrator_all(
    client, county_clerk, other_county_clerk, admin_user
):
    mine = jobs.start("test-echo", user=county_clerk, label="Alice's export")
    theirs = jobs.start("test-echo", user=other_county_clerk, label="Bob's export")
    changelist = reverse("admin:liaison_job_changelist")

    client.force_login(county_clerk)
    page = client.get(changelist).content.decode()
    assert mine.label in page.replace("&#x27;", "'") and "Bob" not in page

    client.force_login(admin_user)
    page = client.get(changelist).content.decode().replace("&#x27;", "'")
    assert mine.label in page and theirs.label in page


def test_jobs_are_not_added_changed_or_deleted_by_hand(client, county_clerk, job):
    client.force_login(county_clerk)
    assert client.get(reverse("admin:liaison_job_add")).status_code == 403
    assert client.post(reverse("admin:liaison_job_delete", args=[job.pk])).status_code == 403
    client.post(_urls(job)["page"], {"status": "queued", "label": "x"})
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.label == "Echo"


def test_the_owner_can_cancel_a_queued_job_from_its_page(client, county_clerk):
    queued = jobs.start("test-echo", user=county_clerk)
    client.force_login(county_clerk)
    page = client.get(_urls(queued)["page"]).content.decode()
    cancel = reverse("admin:liaison_job_cancel", args=[queued.pk])
    assert f'action="{cancel}"' in page
    assert client.get(cancel).status_code == 405  # a change is a POST
    assert client.post(cancel).status_code == 302
    queued.refresh_from_db()
    assert queued.status == Job.Status.FAILED


def test_a_running_job_page_polls_with_a_script_and_refreshes_without_one(client, county_clerk):
    running = jobs.start("test-echo", user=county_clerk)
    Job.objects.filter(pk=running.pk).update(
        status=Job.Status.RUNNING, done=250, total=1000, stage=jobs.STAGE_CHECKING
    )
    client.force_login(county_clerk)
    with translation.override("en"):
        client.cookies["django_language"] = "en"
        page = client.get(_urls(running)["page"]).content.decode()
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page
    assert 'src="/static/liaison/jobs.js"' in page
    assert f'data-job-progress-url="{_urls(running)["progress"]}"' in page
    assert '<progress id="job-progress" class="job-progress" max="1000" value="250">' in page
    assert "Checking rows" in page
    # No inline script: every script element loads a file.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    # A finished job's page stops refreshing.
    Job.objects.filter(pk=running.pk).update(status=Job.Status.FAILED, error="Row 3: bad")
    page = client.get(_urls(running)["page"]).content.decode()
    assert "http-equiv" not in page and "Row 3: bad" in page


def test_a_failed_or_unfinished_job_has_no_download(client, county_clerk):
    queued = jobs.start("test-echo", user=county_clerk)
    client.force_login(county_clerk)
    assert client.get(_urls(queued)["download"]).status_code == 404


def test_a_job_of_a_deleted_account_goes_with_it_and_so_do_its_files(
    county_clerk, job, django_capture_on_commit_callbacks
):
    other = make_user("temp", role="office", region=county_clerk.region)
    theirs = jobs.start("test-echo", user=other, params={"rows": 2})
    jobs.run(theirs.pk)
    theirs.refresh_from_db()
    path = theirs.result.path
    assert os.path.exists(path)
    with django_capture_on_commit_callbacks(execute=True):
        other.delete()
    assert list(Job.objects.values_list("created_by", flat=True)) == [county_clerk.pk]
    assert not os.path.exists(path)
    assert os.path.exists(job.result.path)


def test_a_region_file_imported_as_a_job_runs_each_regions_own_save(county_clerk, xidu):
    """Regions derive their level and parent in save(): a job saves them one by one."""
    formats = admin.site.get_model_admin(Region).get_import_formats()
    content = tablib.Dataset(
        ("430421100210", "新村"), ("430421100211", "又一村"), headers=["code", "name"]
    ).export("csv")
    with translation.override("en"):
        job = jobs.start(
            "import",
            user=county_clerk,
            upload=ContentFile(content.encode(), name="regions.csv"),
            params={
                "app_label": "liaison",
                "model_name": "region",
                "format": [f.__name__ for f in formats].index("CSV"),
            },
        )
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    new = Region.objects.filter(code__in=["430421100210", "430421100211"])
    assert {(r.level, r.parent_id) for r in new} == {("village", xidu.code)}
