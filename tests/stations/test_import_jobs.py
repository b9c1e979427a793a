"""Large imports run as background jobs: 20,000 deputies land with progress on the way,
one bad row fails the whole file and changes nothing, and bad files are refused."""

import hashlib
import threading
import time

import pytest
import tablib
from auditlog.models import LogEntry as AuditEntry
from django.contrib.admin.models import LogEntry
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from liaison import jobs
from liaison.models import Job
from stations.models import Deputy
from tests.factories import DeputyFactory
from tests.workers import REDIS_URL, finished_job_state

HEADERS = ["code", "name", "gender", "region", "occupation", "phone", "is_active"]
IMPORT = "admin:stations_deputy_import"


# Pages are checked by their English msgids, whatever the catalogue holds.
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_ROOT = tmp_path / "private"


def deputy_rows(count: int, region_code: str, *, start: int = 0) -> list[tuple]:
    return [
        (
            f"DP{i:06d}",
            f"代表{i}",
            "F" if i % 2 else "M",
            region_code,
            "村党支部书记",
            f"139{i:08d}",
            1,
        )
        for i in range(start, start + count)
    ]


def as_file(rows, fmt: str = "xlsx", headers=HEADERS) -> bytes:
    content = tablib.Dataset(*rows, headers=headers).export(fmt)
    return content.encode("utf-8") if isinstance(content, str) else content


def checksum() -> tuple[int, str]:
    """The deputy table's size and a digest of every column people import."""
    rows = Deputy.objects.order_by("code").values_list(
        "code", "name", "gender", "region_id", "occupation", "phone", "is_active"
    )
    digest = hashlib.sha256(repr(list(rows)).encode()).hexdigest()
    return len(rows), digest


def upload(client, content: bytes, *, name: str, fmt: str):
    """Post a file to the deputies' import page, choosing ``fmt`` by its label."""
    url = reverse(IMPORT)
    choices = client.get(url).context["form"].fields["format"].choices
    value = next(str(v) for v, label in choices if str(label).lower() == fmt)
    return client.post(
        url, {"import_file": ContentFile(content, name=name), "format": value, "resource": "0"}
    )


def start_import(user, content: bytes, *, fmt: str = "xlsx", name: str = "deputies.xlsx") -> Job:
    """An import job as the import page starts one (the worker's code path from there)."""
    from django.contrib import admin

    formats = [f.__name__.lower() for f in admin.site.get_model_admin(Deputy).get_import_formats()]
    with translation.override("en"):
        return jobs.start(
            "import",
            user=user,
            upload=ContentFile(content, name=name),
            params={
                "app_label": "stations",
                "model_name": "deputy",
                "resource": 0,
                "format": formats.index(fmt),
                "file_name": name,
            },
        )


def run(job: Job) -> Job:
    jobs.run(job.pk)
    job.refresh_from_db()
    return job


class Watcher(threading.Thread):
    """Reads the job's row and the deputy count from its own connection while the job
    runs, as the job page's polling does."""

    def __init__(self, job_id: int):
        super().__init__(daemon=True)
        self.job_id = job_id
        self.seen: list[tuple] = []
        self.done = threading.Event()

    def run(self):
        try:
            while not self.done.is_set():
                stage, done, total = Job.objects.values_list("stage", "done", "total").get(
                    pk=self.job_id
                )
                self.seen.append((stage, done, total, Deputy.objects.count()))
                time.sleep(0.05)
        finally:
            connection.close()


# --- The test ----------------------------------------------------------------


@pytest.mark.postgres
def test_twenty_thousand_deputies_import_as_a_job_with_progress_and_all_land(
    transactional_db, client, county_clerk, xidu, hengyang_county
):
    # 300 deputies exist already: the file renames 100 of them and repeats 200 unchanged.
    existing = deputy_rows(300, xidu.code)
    for code, name, gender, region, occupation, phone, _active in existing:
        Deputy.objects.create(
            code=code,
            name=name,
            gender=gender,
            region_id=region,
            occupation=occupation,
            phone=phone,
        )
    rows = [
        (code, f"{name}（新）" if i < 100 else name, *rest)
        for i, (code, name, *rest) in enumerate(existing)
    ]
    rows += deputy_rows(19_700, hengyang_county.code, start=300)
    assert len(rows) == 20_000

    client.force_login(county_clerk)
    response = upload(client, as_file(rows), name="全县代表.xlsx", fmt="xlsx")
    job = Job.objects.get()
    # The page started a job instead of a dry run, and nothing changed yet.
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert job.status == Job.Status.QUEUED and job.kind == "import"
    assert Deputy.objects.count() == 300

    watcher = Watcher(job.pk)
    watcher.start()
    with CaptureQueriesContext(connection) as queries:
        job = run(job)
    watcher.done.set()
    watcher.join()

    assert job.status == Job.Status.SUCCEEDED, job.error
    assert (job.done, job.total) == (19_800, 19_800)  # the rows written: new and changed
    assert job.summary == "20,000 rows checked: 19,700 new, 100 changed, 200 unchanged."
    # A fixed number of queries per thousand rows, not one or more per row.
    assert len(queries) < 300, len(queries)

    # Progress was visible to another connection while the job ran: as it checked the
    # rows, and as it saved them inside its transaction, which nobody else could see
    # yet (the deputy count stayed at 300 until the commit).
    checking = [s for s in watcher.seen if s[0] == "Checking rows" and 0 < s[1] < 20_000]
    saving = [s for s in watcher.seen if s[0] == "Saving" and 0 < s[1] < 19_800]
    assert checking and all(s[2] == 20_000 for s in checking), watcher.seen[-5:]
    assert saving and all(s[3] == 300 for s in saving), watcher.seen[-5:]

    expected = {row[0]: (row[1], row[3], row[5]) for row in rows}
    landed = {
        code: (name, region, phone)
        for code, name, region, phone in Deputy.objects.values_list(
            "code", "name", "region_id", "phone"
        )
    }
    assert landed == expected

    # The trail: one history entry per new or changed deputy, by the clerk, phones masked.
    assert LogEntry.objects.filter(user=county_clerk).count() == 19_800
    audit = AuditEntry.objects.filter(actor=county_clerk)
    assert audit.count() == 19_800
    renamed = audit.get(object_pk=str(Deputy.objects.get(code="DP000007").pk))
    assert renamed.changes == {"name": ["代表7", "代表7（新）"]}
    created = audit.filter(action=AuditEntry.Action.CREATE).first()
    assert "****" in created.changes["phone"][1]


@pytest.mark.postgres
def test_deputies_stay_on_the_bulk_path():
    """The 20,000-row import is fast only while deputies are written in bulk: a save()
    of their own or a new save signal receiver would silently make it row by row."""
    from liaison.resources import _bulk_writable

    assert _bulk_writable(Deputy)


def test_one_bad_row_in_twenty_thousand_fails_the_job_with_its_number_and_changes_nothing(
    client, county_clerk, xidu, hengyang_county
):
    for row in deputy_rows(50, xidu.code):
        Deputy.objects.create(code=row[0], name=row[1], region_id=row[3], phone=row[5])
    before = checksum()
    rows = [(code, f"{name}改", *rest) for code, name, *rest in deputy_rows(50, xidu.code)]
    rows += deputy_rows(19_950, hengyang_county.code, start=50)
    bad = list(rows[13_578])
    bad[3] = "430421999999"  # no such region
    rows[13_578] = tuple(bad)  # the file's row 13,579

    client.force_login(county_clerk)
    response = upload(client, as_file(rows, "csv"), name="deputies.csv", fmt="csv")
    assert response.status_code == 302
    job = run(Job.objects.get())

    assert job.status == Job.Status.FAILED
    assert job.error.splitlines() == [
        "Nothing was imported: 1 row has errors.",
        "Row 13,579: region: Unknown region code 430421999999.",
    ]
    assert checksum() == before
    assert not LogEntry.objects.exists() and not AuditEntry.objects.filter(actor=county_clerk)


# --- Smaller files and the edges -----------------------------------------------------


def test_a_file_below_the_threshold_keeps_the_usual_dry_run_page(client, county_clerk, xidu):
    client.force_login(county_clerk)
    response = upload(client, as_file(deputy_rows(3, xidu.code)), name="d.xlsx", fmt="xlsx")
    assert response.status_code == 200 and response.context["confirm_form"]
    assert not Job.objects.exists() and not Deputy.objects.exists()


def test_every_row_error_is_reported_by_number_with_the_scope_checks(
    settings, county_clerk, xidu, yunji
):
    DeputyFactory(code="DP900000", region=yunji)  # a neighbour county's deputy
    rows = deputy_rows(6, xidu.code)
    rows[1] = ("DP900000", "冒名", "F", xidu.code, "", "", 1)  # their code
    rows[3] = (*rows[3][:3], yunji.code, *rows[3][4:])  # a region outside the county
    rows[4] = rows[0]  # the same deputy twice
    rows[5] = (rows[5][0], "", *rows[5][2:])  # no name
    job = run(start_import(county_clerk, as_file(rows)))
    assert job.status == Job.Status.FAILED
    assert job.error.splitlines() == [
        "Nothing was imported: 4 rows have errors.",
        "Row 2: code: DP900000 is already used outside your jurisdiction.",
        "Row 4: region: Region 430422100000 is outside your jurisdiction.",
        "Row 5: code: DP000000 appears more than once in the file (first on row 1).",
        "Row 6: name: This field cannot be blank.",
    ]
    assert list(Deputy.objects.values_list("code", flat=True)) == ["DP900000"]


def test_a_long_list_of_bad_rows_names_the_first_ten_and_counts_the_rest(county_clerk, xidu):
    rows = [(code, name, "X", *rest) for code, name, _g, *rest in deputy_rows(25, xidu.code)]
    job = run(start_import(county_clerk, as_file(rows)))
    lines = job.error.splitlines()
    assert lines[0] == "Nothing was imported: 25 rows have errors."
    assert [line.split(":")[0] for line in lines[1:11]] == [f"Row {n}" for n in range(1, 11)]
    assert lines[-1] == "… and 15 more rows with errors."
    assert not Deputy.objects.exists()


def test_a_clerk_who_lost_their_office_role_cannot_finish_their_job(county_clerk, xidu):
    job = start_import(county_clerk, as_file(deputy_rows(3, xidu.code)))
    county_clerk.role = ""
    county_clerk.is_staff = False
    county_clerk.save()
    job = run(job)
    assert job.status == Job.Status.FAILED and "may no longer" in job.error
    assert not Deputy.objects.exists()


# --- Hostile and broken files --------------------------------------------------------


def _form_errors(response) -> str:
    assert response.status_code == 200
    return " ".join(str(e) for e in response.context["form"].errors.get("import_file", []))


@pytest.fixture
def small_threshold(settings):
    # Every file with more than two rows is a job here.
    settings.LIAISON_JOB_THRESHOLD = 2


def test_an_empty_file_is_refused_on_the_page(client, county_clerk, small_threshold):
    client.force_login(county_clerk)
    response = upload(client, b"", name="empty.xlsx", fmt="xlsx")
    assert "The submitted file is empty." in _form_errors(response)
    assert not Job.objects.exists()


def test_a_file_in_another_format_than_chosen_is_refused_on_the_page(
    client, county_clerk, xidu, small_threshold
):
    client.force_login(county_clerk)
    content = as_file(deputy_rows(5, xidu.code), "csv")
    response = upload(client, content, name="deputies.xlsx", fmt="xlsx")
    assert "Ensure you have chosen the correct format" in _form_errors(response)
    assert not Job.objects.exists() and not Deputy.objects.exists()


def test_a_file_over_the_size_limit_is_refused_before_anything_reads_it(
    client, settings, county_clerk, xidu, small_threshold
):
    settings.LIAISON_IMPORT_MAX_BYTES = 4096
    client.force_login(county_clerk)
    content = as_file(deputy_rows(200, xidu.code), "csv")
    assert len(content) > 4096
    response = upload(client, content, name="big.csv", fmt="csv")
    assert "The file is too large" in _form_errors(response)
    assert not Job.objects.exists() and not Deputy.objects.exists()


def test_a_file_with_headers_only_is_refused_on_the_page(client, county_clerk, small_threshold):
    client.force_login(county_clerk)
    response = upload(client, as_file([]), name="headers.xlsx", fmt="xlsx")
    assert "No valid data to import" in _form_errors(response)
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    ("content", "fmt", "message"),
    [
        (b"PK\x03\x04 not really a workbook", "xlsx", "The file could not be read as XLSX."),
        (as_file([]), "xlsx", "The file has no rows to import."),
        (
            as_file([("张三", "F")], headers=["name", "gender"]),
            "xlsx",
            "not present in the file headers: code",
        ),
    ],
    ids=["garbage", "headers-only", "no-key-column"],
)
def test_a_broken_file_fails_its_job_cleanly(county_clerk, xidu, content, fmt, message):
    DeputyFactory(code="DP000001", region=xidu)
    before = checksum()
    job = run(start_import(county_clerk, content, fmt=fmt))
    assert job.status == Job.Status.FAILED
    assert message in job.error, job.error
    assert checksum() == before


# --- With the real worker ------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.postgres
def test_a_small_import_job_runs_in_the_real_worker_end_to_end(
    shared_media, worker, broker, client, settings, county_clerk, xidu
):
    broker(REDIS_URL)
    settings.LIAISON_JOB_THRESHOLD = 2
    client.force_login(county_clerk)
    response = upload(client, as_file(deputy_rows(5, xidu.code)), name="d.xlsx", fmt="xlsx")
    job = Job.objects.get()
    assert response["Location"] == job.get_absolute_url()
    page = client.get(job.get_absolute_url())
    assert page.status_code == 200 and b"jobs.js" in page.content

    assert finished_job_state(client, job) | {"status_display": ""} == {
        "status": "succeeded",
        "status_display": "",
        "done": 5,
        "total": 5,
        "percent": 100,
        "stage": "",
        "finished": True,
    }
    assert sorted(Deputy.objects.values_list("code", flat=True)) == [f"DP{i:06d}" for i in range(5)]
    page = client.get(job.get_absolute_url()).content.decode()
    assert "5 rows checked: 5 new, 0 changed, 0 unchanged." in page
