"""Implementation tracking: progress reports, milestones, photos, inspections, the
overdue-milestone reminder and its task, and the shared image-cleaning helper."""

import datetime as dt
import io
import os
import struct
import zlib
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import ExifTags, Image

from liaison.images import image_clean
from liaison.models import Notification, User
from stations.models import Deputy, DeputyGroup
from tests.factories import DeputyFactory, make_cycle, seat
from votes import tracking
from votes.models import (
    BallotCycle,
    Inspection,
    Milestone,
    Phase,
    ProgressReport,
    Project,
    ProjectPhoto,
)
from votes.tasks import remind_overdue_milestones

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _still_today():
    """Dates here (some in parameters) are worked out once, at collection: every test
    runs at noon of that day, also when the suite crosses midnight in Beijing."""
    noon = dt.datetime.combine(TODAY, dt.time(12), tzinfo=timezone.get_current_timezone())
    with time_machine.travel(noon, tick=True):
        yield


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


@pytest.fixture
def implementing(congress, voters):
    """This year's cycle of the Hengyang county congress, being implemented."""
    return make_cycle(congress, places=3, candidates=4, phase=Phase.IMPLEMENTING, year=TODAY.year)


def make_project(cycle: BallotCycle, number: int, *, leader: Deputy, members) -> Project:
    candidate = cycle.candidates.get(number=number)
    group = DeputyGroup.objects.create(
        name=f"{candidate.title}监督小组",
        region=cycle.congress.region,
        congress=cycle.congress,
        leader=leader,
    )
    group.members.set(members)
    return Project.objects.create(
        candidate=candidate, budget=candidate.investment, supervising_group=group
    )


@pytest.fixture
def project(implementing, voters):
    """Project 1, supervised by voters 0 (leader), 1 and 2; voters 3 and 4 are deputies
    of the same congress outside the group."""
    return make_project(implementing, 1, leader=voters[0], members=voters[:3])


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def report(project, by, **overrides):
    data = {
        "project": project,
        "reported_on": days_ago(30),
        "progress": 20,
        "spent": Decimal("15.50"),
        "note": "完成场地平整和材料进场。",
        "by": by,
    } | overrides
    return tracking.progress_report_add(**data)


def jpeg_with_gps(size=(40, 20)) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # the phone was held upright: rotate 90°
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (28.0, 51.0, 0.0)
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def png_bytes(size=(30, 30), mode="RGB", color=(20, 120, 200), **options) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format="PNG", **options)
    return buffer.getvalue()


def noise_png(size=(300, 300)) -> bytes:
    """A PNG that does not compress: random grey pixels."""
    buffer = io.BytesIO()
    Image.frombytes("L", size, os.urandom(size[0] * size[1])).save(buffer, format="PNG")
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A 45-byte PNG that declares a canvas and holds no pixel data at all."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


# --- Progress reports ------------------------------------------------------------------


def test_the_first_progress_starts_the_project_and_100_percent_completes_it(project, county_clerk):
    assert project.status == Project.Status.PLANNED
    report(project, county_clerk, progress=0, reported_on=days_ago(60), spent=Decimal("0"))
    project.refresh_from_db()
    assert (project.status, project.started_on) == (Project.Status.PLANNED, None)

    first = report(project, county_clerk, progress=40, reported_on=days_ago(30))
    project.refresh_from_db()
    assert first.created_by == county_clerk
    assert (project.status, project.progress, project.spent) == ("underway", 40, Decimal("15.50"))
    assert project.started_on == days_ago(30)

    report(project, county_clerk, progress=100, spent=Decimal("98.00"), reported_on=days_ago(2))
    project.refresh_from_db()
    assert (project.status, project.completed_on) == ("completed", days_ago(2))
    assert project.started_on == days_ago(30)
    assert project.reports.count() == 3


def test_lower_progress_is_refused_unless_the_note_explains_it(project, county_clerk):
    report(project, county_clerk, progress=100, spent=Decimal("90"), reported_on=days_ago(20))
    with pytest.raises(ValidationError) as error:
        report(
            project,
            county_clerk,
            progress=80,
            spent=Decimal("90"),
            note="返工",
            reported_on=days_ago(5),
        )
    assert "note" in error.value.message_dict
    with pytest.raises(ValidationError):  # spending to date does not fall silently either
        report(
            project,
            county_clerk,
            progress=100,
            spent=Decimal("80"),
            note="更正",
            reported_on=days_ago(5),
        )
    assert project.reports.count() == 1

    explained = "视察发现护栏焊接不合格，拆除返工，进度相应调减。"
    report(
        project,
        county_clerk,
        progress=80,
        spent=Decimal("90"),
        note=explained,
        reported_on=days_ago(5),
    )
    project.refresh_from_db()
    # A completed project reopened by an explained report is under way again.
    assert (project.status, project.progress, project.completed_on) == ("underway", 80, None)


@pytest.mark.parametrize("progress", [-1, 101, "abc", "50.5", 50.5, None, True, ""])
def test_progress_outside_0_to_100_is_refused(project, county_clerk, progress):
    with pytest.raises(ValidationError) as error:
        report(project, county_clerk, progress=progress)
    assert "progress" in error.value.message_dict
    assert not ProgressReport.objects.exists()


@pytest.mark.parametrize(
    "spent",
    [Decimal("-0.01"), "-5", "NaN", "Infinity", "1e400", "1.234", "x", None, "1; DROP TABLE x"],
)
def test_negative_or_malformed_spending_is_refused(project, county_clerk, spent):
    with pytest.raises(ValidationError) as error:
        report(project, county_clerk, spent=spent)
    assert "spent" in error.value.message_dict
    assert not ProgressReport.objects.exists()


@pytest.mark.parametrize(
    "note", ["", "   ", "说" * 2001, "<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]
)
def test_an_empty_oversized_or_markup_note_is_refused(project, county_clerk, note):
    with pytest.raises(ValidationError) as error:
        report(project, county_clerk, note=note)
    assert "note" in error.value.message_dict
    assert not ProgressReport.objects.exists()
    project.refresh_from_db()
    assert project.progress == 0


def test_sql_looking_text_is_stored_as_typed(project, county_clerk):
    note = "'; DROP TABLE votes_project; -- 已完成50%"
    report(project, county_clerk, note=note)
    assert ProgressReport.objects.get().note == note
    assert Project.objects.count() == 1


@pytest.mark.parametrize(
    "reported_on",
    [TODAY + dt.timedelta(days=1), "2026-02-30", "yesterday", None, dt.date(2000, 1, 1)],
)
def test_a_report_date_in_the_future_malformed_or_long_before_the_cycle_is_refused(
    project, county_clerk, reported_on
):
    with pytest.raises(ValidationError) as error:
        report(project, county_clerk, reported_on=reported_on)
    assert "reported_on" in error.value.message_dict
    assert not ProgressReport.objects.exists()


def test_reports_are_entered_in_date_order(project, county_clerk):
    report(project, county_clerk, reported_on=days_ago(10))
    with pytest.raises(ValidationError) as error:
        report(project, county_clerk, progress=30, reported_on=days_ago(11))
    assert "reported_on" in error.value.message_dict
    report(project, county_clerk, progress=30, reported_on=days_ago(10))  # same day is fine
    assert project.reports.count() == 2


@pytest.mark.parametrize("phase", [Phase.PUBLISHED, Phase.EVALUATED])
def test_progress_is_refused_when_the_cycle_is_not_being_implemented(project, county_clerk, phase):
    BallotCycle.objects.filter(pk=project.candidate.cycle_id).update(phase=phase)
    project = Project.objects.get(pk=project.pk)
    with pytest.raises(ValidationError):
        report(project, county_clerk)
    milestone = Milestone.objects.create(project=project, title="开工", due_date=days_ago(5))
    with pytest.raises(ValidationError):
        tracking.milestone_update(milestone=milestone, progress=100, by=county_clerk)
    assert not ProgressReport.objects.exists()


ROLES = [
    # (who, may record progress, may inspect and add photos)
    ("anonymous", False, False),
    ("leader", False, True),
    ("member", False, True),
    ("deputy_of_this_congress", False, False),
    ("deputy_of_another_congress", False, False),
    ("deputy_without_record", False, False),
    ("department_user", False, False),
    ("township_clerk", False, False),
    ("other_county_clerk", False, False),
    ("county_clerk", True, True),
    ("city_clerk", True, True),
    ("admin_user", True, True),
]


@pytest.fixture
def who(request, voters, outsider):
    def resolve(role: str):
        return {
            "anonymous": lambda: AnonymousUser(),
            "leader": lambda: voters[0].user,
            "member": lambda: voters[1].user,
            "deputy_of_this_congress": lambda: voters[3].user,
            "deputy_of_another_congress": lambda: outsider.user,
            "deputy_without_record": lambda: request.getfixturevalue("deputy_user"),
        }.get(role, lambda: request.getfixturevalue(role))()

    return resolve


@pytest.mark.parametrize(("role", "tracks", "inspects"), ROLES)
def test_who_may_track_and_inspect(project, who, role, tracks, inspects):
    user = who(role)
    assert tracking.may_track(user, project) is tracks
    assert tracking.may_inspect(user, project) is inspects
    if tracks:
        report(project, user)
        assert ProgressReport.objects.count() == 1
    else:
        with pytest.raises(PermissionDenied):
            report(project, user)
        assert not ProgressReport.objects.exists()


def test_an_inactive_member_or_a_project_without_group_cannot_be_inspected_by_deputies(
    project, voters
):
    Deputy.objects.filter(pk=voters[1].pk).update(is_active=False)
    assert tracking.may_inspect(User.objects.get(pk=voters[1].user_id), project) is False
    Project.objects.filter(pk=project.pk).update(supervising_group=None)
    project.refresh_from_db()
    assert tracking.may_inspect(voters[0].user, project) is False


def test_may_inspect_asks_a_fixed_number_of_queries(project, voters, django_assert_max_num_queries):
    loaded = Project.objects.select_related("candidate__cycle__congress").get(pk=project.pk)
    with django_assert_max_num_queries(2):  # the account's deputy, the group
        assert tracking.may_inspect(voters[1].user, loaded)


# --- Milestones ------------------------------------------------------------------------


def test_a_milestone_at_100_percent_is_completed_today_unless_dated(project, county_clerk):
    milestone = Milestone.objects.create(project=project, title="主体完工", due_date=days_ago(3))
    tracking.milestone_update(milestone=milestone, progress=60, by=county_clerk)
    milestone.refresh_from_db()
    assert (milestone.progress, milestone.completed_on) == (60, None)

    tracking.milestone_update(milestone=milestone, progress=100, by=county_clerk)
    milestone.refresh_from_db()
    assert milestone.completed_on == TODAY

    tracking.milestone_update(
        milestone=milestone, progress=100, completed_on=days_ago(4), by=county_clerk
    )
    milestone.refresh_from_db()
    assert milestone.completed_on == days_ago(4)

    tracking.milestone_update(milestone=milestone, progress=90, by=county_clerk)
    milestone.refresh_from_db()
    assert (milestone.progress, milestone.completed_on) == (90, None)


@pytest.mark.parametrize(
    ("progress", "completed_on", "field"),
    [
        (101, None, "progress"),
        (-5, None, "progress"),
        (80, days_ago(1), "completed_on"),
        (100, TODAY + dt.timedelta(days=1), "completed_on"),
        (100, "not a date", "completed_on"),
    ],
)
def test_a_bad_milestone_update_is_refused(project, county_clerk, progress, completed_on, field):
    milestone = Milestone.objects.create(project=project, title="主体完工", due_date=days_ago(3))
    with pytest.raises(ValidationError) as error:
        tracking.milestone_update(
            milestone=milestone, progress=progress, completed_on=completed_on, by=county_clerk
        )
    assert field in error.value.message_dict
    milestone.refresh_from_db()
    assert (milestone.progress, milestone.completed_on) == (0, None)


@pytest.mark.parametrize(
    "role", ["anonymous", "member", "other_county_clerk", "township_clerk", "department_user"]
)
def test_only_the_office_updates_milestones(project, who, role):
    milestone = Milestone.objects.create(project=project, title="主体完工", due_date=days_ago(3))
    with pytest.raises(PermissionDenied):
        tracking.milestone_update(milestone=milestone, progress=100, by=who(role))
    milestone.refresh_from_db()
    assert milestone.completed_on is None


# --- Photos ----------------------------------------------------------------------------


def test_a_photo_is_stored_upright_without_exif(project, voters, media):
    upload = SimpleUploadedFile("IMG_0001 <b>.jpg", jpeg_with_gps(), "image/jpeg")
    photo = tracking.photo_add(
        project=project, image=upload, caption="护栏安装", taken_on=days_ago(1), by=voters[1].user
    )
    photo.refresh_from_db()
    assert (photo.caption, photo.taken_on, photo.uploaded_by) == (
        "护栏安装",
        days_ago(1),
        voters[1].user,
    )
    assert "IMG_0001" not in photo.image.name and photo.image.name.endswith(".jpg")
    data = (media / photo.image.name).read_bytes()
    assert b"PhoneMaker" not in data and b"Exif" not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.format == "JPEG"
        assert stored.size == (20, 40)  # turned upright by the orientation tag
        assert not stored.getexif()


@pytest.mark.parametrize(
    ("upload", "caption"),
    [
        (SimpleUploadedFile("a.jpg", b"just text, not a photo", "image/jpeg"), ""),
        (SimpleUploadedFile("a.png", png_header_only(12_000, 12_000), "image/png"), ""),
        (SimpleUploadedFile("a.png", png_bytes(), "image/png"), "<script>alert(1)</script>"),
        (SimpleUploadedFile("a.png", png_bytes(), "image/png"), "长" * 101),
        (None, ""),
    ],
)
def test_a_bad_photo_is_refused_and_nothing_is_stored(
    project, county_clerk, media, upload, caption
):
    with pytest.raises(ValidationError):
        tracking.photo_add(project=project, image=upload, caption=caption, by=county_clerk)
    assert not ProjectPhoto.objects.exists()
    assert not any(media.rglob("*.*"))


def test_a_photo_over_the_evidence_limit_is_refused(project, county_clerk, media, settings):
    settings.LIAISON_EVIDENCE_MAX_BYTES = 2000
    big = SimpleUploadedFile("big.png", noise_png())
    big.size = 1000  # a lying size changes nothing: the read stops at the limit
    with pytest.raises(ValidationError) as error:
        tracking.photo_add(project=project, image=big, by=county_clerk)
    assert "image" in error.value.message_dict
    assert not ProjectPhoto.objects.exists()


@pytest.mark.parametrize("role", ["anonymous", "deputy_of_this_congress", "other_county_clerk"])
def test_only_the_office_and_the_supervising_deputies_add_photos(project, who, role, media):
    upload = SimpleUploadedFile("a.png", png_bytes(), "image/png")
    with pytest.raises(PermissionDenied):
        tracking.photo_add(project=project, image=upload, by=who(role))
    assert not ProjectPhoto.objects.exists()


# --- Inspections -----------------------------------------------------------------------


def inspect(project, by, **overrides):
    data = {
        "project": project,
        "kind": Inspection.Kind.MID_YEAR,
        "inspected_on": days_ago(3),
        "finding": Inspection.Finding.ON_TRACK,
        "report": "现场查看路基施工，进度符合计划，群众反映良好。",
        "deputies": list(project.supervising_group.members.all()),
        "by": by,
    } | overrides
    return tracking.inspection_submit(**data)


def test_a_member_reports_the_mid_year_inspection(project, voters):
    inspection = inspect(project, voters[1].user, deputies=[voters[0], voters[1]])
    assert inspection.submitted_by == voters[1].user
    assert set(inspection.deputies.all()) == {voters[0], voters[1]}
    assert not Notification.objects.exists()  # on track: nobody is alerted


def test_a_second_report_of_the_same_stage_is_refused_clearly(project, voters, county_clerk):
    inspect(project, voters[1].user)
    with pytest.raises(ValidationError) as error:
        inspect(project, county_clerk, finding=Inspection.Finding.CONCERNS)
    assert error.value.error_dict["kind"][0].code == "duplicate_stage"
    assert Inspection.objects.filter(kind="mid_year").count() == 1
    # Spot checks are as many as needed.
    inspect(project, voters[1].user, kind=Inspection.Kind.SPOT)
    inspect(project, voters[2].user, kind=Inspection.Kind.SPOT)
    assert Inspection.objects.filter(kind="spot").count() == 2


def test_the_deputies_must_belong_to_the_supervising_group(project, voters, outsider):
    for strangers in ([voters[3]], [voters[1], outsider], []):
        with pytest.raises(ValidationError) as error:
            inspect(project, voters[1].user, deputies=strangers)
        assert "deputies" in error.value.message_dict
    assert not Inspection.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "annual"),
        ("finding", "fine"),
        ("report", ""),
        ("report", "<script>alert(1)</script>"),
        ("report", "查" * 2001),
        ("inspected_on", TODAY + dt.timedelta(days=1)),
    ],
)
def test_a_bad_inspection_is_refused(project, voters, field, value):
    with pytest.raises(ValidationError) as error:
        inspect(project, voters[1].user, **{field: value})
    assert field in error.value.message_dict
    assert not Inspection.objects.exists()


@pytest.mark.parametrize(
    "role",
    [
        "anonymous",
        "deputy_of_this_congress",
        "deputy_of_another_congress",
        "deputy_without_record",
        "department_user",
        "township_clerk",
        "other_county_clerk",
    ],
)
def test_who_may_not_inspect_is_refused(project, who, role):
    with pytest.raises(PermissionDenied):
        inspect(project, who(role))
    assert not Inspection.objects.exists()


def test_an_inspection_needs_the_cycle_being_implemented(project, voters):
    BallotCycle.objects.filter(pk=project.candidate.cycle_id).update(phase=Phase.EVALUATED)
    project = Project.objects.get(pk=project.pk)
    with pytest.raises(ValidationError):
        inspect(project, voters[1].user)
    assert not Inspection.objects.exists()


def test_a_serious_finding_tells_the_office_once(project, voters, county_clerk, city_clerk):
    inspection = inspect(
        project,
        voters[1].user,
        finding=Inspection.Finding.SERIOUS,
        report="路基压实度不达标，部分路段已出现沉降。",
    )
    notice = Notification.objects.get()
    assert (notice.recipient, notice.kind, notice.channel) == (
        county_clerk,
        "project_inspection_serious",
        "inbox",
    )
    assert "沉降" in notice.body and project.candidate.title in notice.subject
    assert notice.dedupe_key == f"inspection:{inspection.pk}:serious:u{county_clerk.pk}"
    # The nearest office (the county's) hears of it; the city office above does not.
    assert not Notification.objects.filter(recipient=city_clerk).exists()


# --- Overdue milestones ----------------------------------------------------------------


def test_overdue_milestones_are_reminded_once_to_the_office_and_the_leader(
    project, implementing, voters, county_clerk
):
    overdue = Milestone.objects.create(project=project, title="路基完工", due_date=days_ago(2))
    Milestone.objects.create(
        project=project, title="开工", due_date=days_ago(40), completed_on=days_ago(41)
    )
    Milestone.objects.create(project=project, title="通车", due_date=TODAY + dt.timedelta(days=9))
    assert tracking.milestones_remind() == 2
    assert tracking.milestones_remind() == 0
    notices = Notification.objects.filter(kind="milestone_overdue")
    assert {n.recipient for n in notices} == {county_clerk, voters[0].user}
    assert all("路基完工" in n.subject for n in notices)
    links = {n.recipient: n.link for n in notices}
    assert links[county_clerk] == reverse("admin:votes_project_change", args=[project.pk])
    assert links[voters[0].user] == reverse("votes:project", args=[project.pk])

    # Moved to a later date, it is chased again when that date passes too.
    Milestone.objects.filter(pk=overdue.pk).update(due_date=TODAY)
    assert tracking.milestones_remind() == 0
    assert tracking.milestones_remind(today=TODAY + dt.timedelta(days=1)) == 2
    assert tracking.milestones_remind(today=TODAY + dt.timedelta(days=1)) == 0


def test_milestones_of_cycles_not_implemented_or_leaders_without_account_get_no_reminder(
    project, implementing, voters, county_clerk
):
    Milestone.objects.create(project=project, title="路基完工", due_date=days_ago(2))
    voters[0].user.is_active = False
    voters[0].user.save(update_fields=["is_active"])
    assert tracking.milestones_remind() == 1  # the office only
    BallotCycle.objects.filter(pk=implementing.pk).update(phase=Phase.EVALUATED)
    Notification.objects.all().delete()
    assert tracking.milestones_remind() == 0


def _overdue_set(cycle, voters, count: int) -> None:
    """``count`` overdue milestones over the cycle's four candidates, each project with
    its own group whose leader has an account."""
    for number in range(1, 5):
        project = make_project(cycle, number, leader=voters[number - 1], members=voters)
        for index in range(count // 4 + (number <= count % 4)):
            Milestone.objects.create(
                project=project, title=f"节点{index}", due_date=days_ago(index + 1)
            )


@pytest.mark.parametrize("count", [2, 8])
def test_the_reminder_asks_a_fixed_number_of_queries(
    implementing, voters, county_clerk, count, django_assert_max_num_queries
):
    _overdue_set(implementing, voters, count)
    assert Milestone.objects.count() == count
    # Every notification is one savepoint, one insert and one release.
    with django_assert_max_num_queries(4 + 3 * 2 * count):
        assert tracking.milestones_remind() == 2 * count
    with CaptureQueriesContext(connection) as again:
        assert tracking.milestones_remind() == 0
    # Milestones, the office of the region, the keys already used: whatever the count.
    assert len(again.captured_queries) == 3


def test_the_daily_task_runs_the_reminder(project, voters, county_clerk):
    Milestone.objects.create(project=project, title="路基完工", due_date=days_ago(1))
    assert remind_overdue_milestones() == 2
    assert remind_overdue_milestones() == 0
    assert Notification.objects.filter(kind="milestone_overdue").count() == 2


# --- The image helper (liaison.images) -------------------------------------------------


def test_a_real_jpeg_is_re_encoded_upright_without_exif():
    cleaned = image_clean(
        SimpleUploadedFile("../../etc/<x>.jpg", jpeg_with_gps()), max_bytes=100_000
    )
    assert cleaned.name == "photo.jpg"
    data = cleaned.read()
    assert b"PhoneMaker" not in data and b"Exif" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ("JPEG", (20, 40))
        assert not image.getexif()


def test_a_real_png_loses_its_exif_and_keeps_its_format_when_asked():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    upload = SimpleUploadedFile("shot.png", png_bytes(exif=exif))
    kept = image_clean(upload, max_bytes=100_000, stem="evidence", keep_format=True)
    assert kept.name == "evidence.png" and b"PhoneMaker" not in kept.read()
    as_jpeg = image_clean(upload, max_bytes=100_000)
    with Image.open(as_jpeg) as image:
        assert image.format == "JPEG" and not image.getexif()


def test_a_transparent_png_becomes_a_jpeg_on_white():
    upload = SimpleUploadedFile("logo.png", png_bytes(mode="RGBA", color=(0, 0, 0, 0)))
    with Image.open(image_clean(upload, max_bytes=100_000)) as image:
        assert image.getpixel((5, 5)) == (255, 255, 255)


@pytest.mark.parametrize(
    "content",
    [b"just some text, not a photo", b"", b"\xff\xd8\xffgarbage", png_bytes()[:60]],
)
def test_what_is_not_a_readable_image_is_refused(content):
    with pytest.raises(ValidationError) as error:
        image_clean(SimpleUploadedFile("photo.jpg", content), max_bytes=100_000)
    assert error.value.code == "image_format"


@pytest.mark.parametrize("size", [(12_000, 12_000), (9_000, 8_000), (12_001, 10)])
def test_a_huge_canvas_is_refused_from_its_header_before_decoding(size):
    content = png_header_only(*size)
    assert len(content) < 100  # no pixel data: decoding it would fail as unreadable
    with pytest.raises(ValidationError) as error:
        image_clean(SimpleUploadedFile("bomb.png", content), max_bytes=100_000)
    assert error.value.code == "image_pixels"
    # The same header with a sane canvas gets as far as decoding, and fails there.
    with pytest.raises(ValidationError) as error:
        image_clean(SimpleUploadedFile("bomb.png", png_header_only(100, 100)), max_bytes=100_000)
    assert error.value.code == "image_format"


def test_a_file_over_the_byte_limit_is_refused_even_without_a_size():
    content = noise_png()
    stream = io.BytesIO(content)
    stream.name = "big.png"
    with pytest.raises(ValidationError) as error:
        image_clean(stream, max_bytes=len(content) - 1)
    assert error.value.code == "image_size"
    assert image_clean(io.BytesIO(content), max_bytes=len(content)).name == "photo.jpg"


def test_a_format_not_allowed_is_refused():
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="GIF")
    with pytest.raises(ValidationError) as error:
        image_clean(SimpleUploadedFile("a.gif", buffer.getvalue()), max_bytes=100_000)
    assert error.value.code == "image_format"
    allowed = image_clean(
        SimpleUploadedFile("a.gif", buffer.getvalue()), max_bytes=100_000, formats=["GIF"]
    )
    assert allowed.name == "photo.jpg"


def test_an_extra_deputy_seated_later_is_not_a_group_member(project, congress):
    late = DeputyFactory(region=congress.region)
    seat(late, congress)
    with pytest.raises(ValidationError):
        inspect(project, project.supervising_group.leader.user, deputies=[late])
