"""Performance points (履职积分): once per event, rules by region and start date, yearly
caps, claims and their verification, grade bands, the ranking and the deputy's card."""

import datetime as dt
import io
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook
from PIL import Image

from liaison.models import Notification
from stations import points
from stations.models.points import GradeBand, PointEntry, PointRule
from tests.factories import DeputyFactory, make_user

D = dt.date


@pytest.fixture
def county_rules(hengyang_county):
    """衡阳县: a reception 5 points (at most 20 a year), a suggestion 3, an absence −1."""
    return {
        "reception": PointRule.objects.create(
            region=hengyang_county,
            kind="reception_logged",
            points=5,
            cap_per_period=20,
            valid_from=D(2026, 1, 1),
        ),
        "suggestion": PointRule.objects.create(
            region=hengyang_county, kind="suggestion_submitted", points=3, valid_from=D(2026, 1, 1)
        ),
        "missed": PointRule.objects.create(
            region=hengyang_county,
            kind="duty_missed",
            points=-1,
            cap_per_period=2,
            valid_from=D(2026, 1, 1),
        ),
    }


@pytest.fixture
def deputy(xidu):
    return DeputyFactory(region=xidu, user=make_user("liu", role="deputy"), name="刘西渡")


MARCH_8 = D(2026, 3, 8)


def award(deputy, key, kind="reception_logged", on=MARCH_8):
    return points.points_award(deputy=deputy, kind=kind, occurred_on=on, source_key=key)


# --- Awards -----------------------------------------------------------------------------


def test_points_are_created_once_per_event(deputy, county_rules):
    first = award(deputy, "reception:1")
    again = award(deputy, "reception:1")
    assert first.points == 5 and first.rule == county_rules["reception"]
    assert again is None
    assert PointEntry.objects.count() == 1


def test_points_are_created_once_inside_the_callers_transaction(deputy, county_rules):
    from django.db import transaction

    with transaction.atomic():
        award(deputy, "reception:1")
        assert award(deputy, "reception:1") is None
        # The caller's transaction is still usable after the refused duplicate.
        assert PointEntry.objects.count() == 1


@pytest.mark.postgres
def test_concurrent_awards_of_one_event_create_one_entry(transactional_db, xidu):
    from tests.factories import make_region

    county = make_region("430421000000")
    PointRule.objects.create(
        region=county, kind="reception_logged", points=5, valid_from=D(2026, 1, 1)
    )
    deputy = DeputyFactory(region=xidu)
    barrier = threading.Barrier(8)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(award(deputy, "reception:42"))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result is not None for result in results) == 1
    assert PointEntry.objects.count() == 1


@pytest.mark.postgres
def test_concurrent_awards_of_different_events_respect_the_cap(transactional_db, xidu):
    from tests.factories import make_region

    county = make_region("430421000000")
    PointRule.objects.create(
        region=county,
        kind="reception_logged",
        points=5,
        cap_per_period=12,
        valid_from=D(2026, 1, 1),
    )
    deputy = DeputyFactory(region=xidu)
    barrier = threading.Barrier(6)

    def run(index):
        try:
            barrier.wait()
            award(deputy, f"reception:{index}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert PointEntry.objects.count() == 6
    assert sum(PointEntry.objects.values_list("points", flat=True)) == 12


def test_a_rule_change_applies_only_from_its_start_date(deputy, county_rules, hengyang_county):
    county_rules["reception"].valid_to = D(2026, 6, 30)
    county_rules["reception"].save()
    PointRule.objects.create(
        region=hengyang_county, kind="reception_logged", points=8, valid_from=D(2026, 7, 1)
    )
    # Recorded late, but the event was before the change: the old rule counts it.
    before = award(deputy, "reception:1", on=D(2026, 6, 30))
    after = award(deputy, "reception:2", on=D(2026, 7, 1))
    assert (before.points, after.points) == (5, 8)
    assert before.rule == county_rules["reception"]


def test_a_newer_rule_of_the_same_region_supersedes_without_an_end_date(
    deputy, county_rules, hengyang_county
):
    PointRule.objects.create(
        region=hengyang_county, kind="suggestion_submitted", points=4, valid_from=D(2026, 9, 1)
    )
    assert award(deputy, "s:1", kind="suggestion_submitted", on=D(2026, 8, 31)).points == 3
    assert award(deputy, "s:2", kind="suggestion_submitted", on=D(2026, 9, 1)).points == 4


def test_the_cap_per_year_limits_points_and_resets_next_year(deputy, county_rules):
    amounts = [award(deputy, f"reception:{n}", on=D(2026, 3, n + 1)).points for n in range(5)]
    assert amounts == [5, 5, 5, 5, 0]
    assert PointEntry.objects.count() == 5  # the capped event is recorded, at 0
    assert award(deputy, "reception:2027", on=D(2027, 1, 8)).points == 5
    assert points.deputy_score(deputy=deputy, year=2026)["total"] == 20


def test_a_partial_cap_is_recorded_with_what_is_left(deputy, county_rules, hengyang_county):
    county_rules["reception"].cap_per_period = 12
    county_rules["reception"].save()
    assert [award(deputy, f"r:{n}").points for n in range(3)] == [5, 5, 2]


def test_a_cap_on_a_deduction_limits_what_is_taken_off(deputy, county_rules):
    amounts = [award(deputy, f"missed:{n}", kind="duty_missed").points for n in range(3)]
    assert amounts == [-1, -1, 0]


def test_the_most_specific_region_wins(deputy, county_rules, hengyang, xidu, yunji):
    PointRule.objects.create(
        region=hengyang, kind="reception_logged", points=2, valid_from=D(2026, 1, 1)
    )
    PointRule.objects.create(
        region=xidu, kind="reception_logged", points=6, valid_from=D(2026, 1, 1)
    )
    neighbour = DeputyFactory(region=yunji)  # Hengnan county: only the city rule
    assert award(deputy, "r:1").points == 6
    assert award(neighbour, "r:2").points == 2


def test_a_rule_not_started_yet_falls_back_to_the_region_above(deputy, hengyang, xidu):
    PointRule.objects.create(
        region=hengyang, kind="ballot_cast", points=2, valid_from=D(2026, 1, 1)
    )
    PointRule.objects.create(region=xidu, kind="ballot_cast", points=4, valid_from=D(2026, 6, 1))
    assert award(deputy, "b:1", kind="ballot_cast", on=D(2026, 5, 31)).points == 2
    assert award(deputy, "b:2", kind="ballot_cast", on=D(2026, 6, 1)).points == 4


def test_no_rule_means_no_entry(deputy):
    assert award(deputy, "r:1") is None
    assert not PointEntry.objects.exists()


def test_an_unknown_kind_is_a_programming_error(deputy, county_rules):
    with pytest.raises(ValueError):
        award(deputy, "x:1", kind="bribe_taken")


# --- Claims -----------------------------------------------------------------------------


def png_upload(name="photo.png", size=(40, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_a_claim_waits_at_zero_until_the_office_verifies_it(
    deputy, county_clerk, hengyang_county, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    PointRule.objects.create(
        region=hengyang_county, kind="claim_activity", points=4, valid_from=D(2026, 1, 1)
    )
    entry = points.points_claim(
        deputy=deputy,
        description="参加县人大常委会组织的农村公路专题调研",
        occurred_on=D(2026, 5, 20),
        evidence=png_upload(),
        by=deputy.user,
    )
    assert (entry.status, entry.points) == ("claimed", 0)
    assert entry.evidence.name.endswith(".png") and "photo" not in entry.evidence.name
    assert Notification.objects.filter(recipient=county_clerk, kind="points_claim").exists()
    assert points.deputy_score(deputy=deputy, year=2026)["total"] == 0

    points.points_verify(entry=entry, by=county_clerk, approve=True)
    entry.refresh_from_db()
    assert (entry.status, entry.points, entry.verified_by) == ("verified", 4, county_clerk)
    assert points.deputy_score(deputy=deputy, year=2026)["total"] == 4
    assert Notification.objects.filter(recipient=deputy.user, kind="points_verified").exists()
    with pytest.raises(ValidationError):
        points.points_verify(entry=entry, by=county_clerk, approve=False)


def test_the_office_may_give_other_points_or_reject(deputy, county_clerk):
    first = points.points_claim(
        deputy=deputy, description="参加代表培训", occurred_on=D(2026, 4, 1), by=deputy.user
    )
    second = points.points_claim(
        deputy=deputy, description="视察", occurred_on=D(2026, 4, 2), by=deputy.user
    )
    with pytest.raises(ValidationError):  # no rule for claims: points must be given
        points.points_verify(entry=first, by=county_clerk, approve=True)
    points.points_verify(entry=first, by=county_clerk, approve=True, points=3)
    points.points_verify(entry=second, by=county_clerk, approve=False, note="无佐证材料")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.points) == ("verified", 3)
    assert (second.status, second.points, second.review_note) == ("rejected", 0, "无佐证材料")


def test_only_the_office_of_the_deputys_region_verifies(
    deputy, other_county_clerk, deputy_user, department_user
):
    entry = points.points_claim(
        deputy=deputy, description="调研", occurred_on=D(2026, 4, 1), by=deputy.user
    )
    for user in (other_county_clerk, deputy.user, department_user):
        with pytest.raises(PermissionDenied):
            points.points_verify(entry=entry, by=user, approve=True, points=5)
    with pytest.raises(PermissionDenied):
        points.points_claim(
            deputy=deputy, description="调研", occurred_on=D(2026, 4, 1), by=deputy_user
        )


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("a.pdf", b"<html>not a pdf</html>"), "PDF"),
        (SimpleUploadedFile("a.exe", b"MZ\x90\x00"), "PDF"),
        (SimpleUploadedFile("a.jpg", b"\xff\xd8\xffgarbage"), "image"),
    ],
)
def test_evidence_must_be_a_real_photo_or_pdf(deputy, upload, message):
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationError) as error:
        points.points_claim(
            deputy=deputy,
            description="调研",
            occurred_on=D(2026, 4, 1),
            evidence=upload,
            by=deputy.user,
        )
    assert message in str(error.value)
    assert not PointEntry.objects.exists()


def test_evidence_larger_than_the_limit_is_refused(deputy, settings):
    settings.LIAISON_EVIDENCE_MAX_BYTES = 1000
    with pytest.raises(ValidationError):
        points.evidence_clean(png_upload(size=(400, 400)))
    upload = SimpleUploadedFile("a.pdf", b"%PDF-1.7\n" + b"0" * 2000)
    with pytest.raises(ValidationError):
        points.evidence_clean(upload)


def test_a_claim_cannot_be_for_the_future(deputy):
    with pytest.raises(ValidationError):
        points.points_claim(
            deputy=deputy, description="调研", occurred_on=D(2100, 1, 1), by=deputy.user
        )


# --- Grades -----------------------------------------------------------------------------


@pytest.fixture
def bands(hengyang):
    for label, score in (("优秀", 80), ("合格", 60), ("不合格", None)):
        GradeBand.objects.create(region=hengyang, label=label, min_score=score)


@pytest.mark.parametrize(
    ("total", "grade"), [(85, "优秀"), (80, "优秀"), (60, "合格"), (59, "不合格"), (-3, "不合格")]
)
def test_grade_bands(deputy, bands, total, grade):
    assert points.grade_for(region_code=deputy.region_id, total=total).label == grade


def test_a_county_scale_replaces_the_city_scale(deputy, bands, hengyang_county, yunji):
    GradeBand.objects.create(region=hengyang_county, label="好", min_score=50)
    GradeBand.objects.create(region=hengyang_county, label="差", min_score=None)
    assert points.grade_for(region_code=deputy.region_id, total=79).label == "好"
    assert points.grade_for(region_code=deputy.region_id, total=10).label == "差"
    assert points.grade_for(region_code=yunji.code, total=79).label == "合格"


def test_the_score_counts_per_kind_and_grades(deputy, county_rules, bands):
    for n in range(3):
        award(deputy, f"r:{n}")
    award(deputy, "s:1", kind="suggestion_submitted")
    award(deputy, "m:1", kind="duty_missed")
    score = points.deputy_score(deputy=deputy, year=2026)
    assert score["total"] == 15 + 3 - 1
    assert score["by_kind"]["reception_logged"] == {
        "label": score["by_kind"]["reception_logged"]["label"],
        "points": 15,
        "count": 3,
    }
    assert score["grade"] == "不合格"
    assert points.deputy_score(deputy=deputy, year=2025)["total"] == 0


# --- Ranking ----------------------------------------------------------------------------


@pytest.fixture
def two_counties(county_rules, hengyang, xidu, yunji):
    PointRule.objects.create(
        region=hengyang, kind="reception_logged", points=1, valid_from=D(2026, 1, 1)
    )
    own = [DeputyFactory(region=xidu, name=f"西渡代表{n}") for n in range(3)]
    other = [DeputyFactory(region=yunji, name=f"云集代表{n}") for n in range(2)]
    for index, person in enumerate(own + other):
        for n in range(index + 1):
            award(person, f"r:{person.pk}:{n}")
    return own, other


def test_the_ranking_is_scoped_to_the_clerks_county(county_clerk, two_counties):
    own, _other = two_counties
    rows = points.points_ranking(user=county_clerk, year=2026)
    assert [row.deputy for row in rows] == [own[2], own[1], own[0]]
    assert [row.total for row in rows] == [15, 10, 5]
    assert [row.rank for row in rows] == [1, 2, 3]


def test_the_city_clerk_ranks_both_counties_and_ties_share_a_rank(city_clerk, two_counties):
    own, other = two_counties
    rows = points.points_ranking(user=city_clerk, year=2026)
    # 西渡 (衡阳县) counts 5 a reception, 云集 (衡南县) the city's 1: 15, 10, 5 | 4, 5.
    ranks = {row.deputy: row.rank for row in rows}
    assert ranks == {own[2]: 1, own[1]: 2, own[0]: 3, other[1]: 3, other[0]: 5}


def test_a_region_outside_the_clerks_county_ranks_nobody(county_clerk, two_counties, yunji):
    assert points.points_ranking(user=county_clerk, year=2026, region=yunji) == []


def test_the_admin_ranking_is_scoped_and_exports_excel(client, county_clerk, two_counties):
    own, other = two_counties
    client.force_login(county_clerk)
    url = reverse("admin:stations_pointentry_ranking")
    page = client.get(url, {"year": 2026}).content.decode()
    assert all(person.name in page for person in own)
    assert not any(person.name in page for person in other)
    response = client.get(url, {"year": 2026, "format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == [own[2].name, own[1].name, own[0].name]


@pytest.mark.parametrize("size", [2, 30])
def test_the_admin_ranking_reads_a_bounded_number_of_queries(
    client, county_clerk, county_rules, xidu, bands, size, django_assert_max_num_queries
):
    for n in range(size):
        person = DeputyFactory(region=xidu)
        award(person, f"r:{n}")
    client.force_login(county_clerk)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("admin:stations_pointentry_ranking"), {"year": 2026})
    assert response.status_code == 200


# --- The deputy's card ------------------------------------------------------------------


def test_the_card_shows_only_own_entries(client, deputy, county_rules, xidu):
    stranger = DeputyFactory(region=xidu, name="别人")
    points.points_award(
        deputy=deputy,
        kind="reception_logged",
        occurred_on=D(2026, 3, 8),
        source_key="mine",
        description="三月接待日",
    )
    points.points_award(
        deputy=stranger,
        kind="reception_logged",
        occurred_on=D(2026, 3, 8),
        source_key="theirs",
        description="别人的接待",
    )
    client.force_login(deputy.user)
    page = client.get(reverse("stations:my_points"), {"year": 2026}).content.decode()
    assert "三月接待日" in page
    assert "别人的接待" not in page


def test_a_deputy_claims_from_the_card_with_evidence(client, deputy, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(deputy.user)
    response = client.post(
        reverse("stations:my_points"),
        {
            "occurred_on": "2026-05-20",
            "description": "<script>x</script>调研",
            "evidence": png_upload(),
        },
    )
    assert response.status_code == 302
    entry = PointEntry.objects.get()
    assert entry.status == "claimed" and entry.evidence
    page = client.get(reverse("stations:my_points"), {"year": 2026}).content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;调研" in page
    evidence = client.get(reverse("stations:points_evidence", args=[entry.pk]))
    assert evidence.status_code == 200 and evidence["Content-Type"] == "image/png"


def test_a_bad_claim_shows_the_form_again(client, deputy):
    client.force_login(deputy.user)
    response = client.post(reverse("stations:my_points"), {"occurred_on": "", "description": ""})
    assert response.status_code == 400
    assert not PointEntry.objects.exists()


def test_the_card_is_for_deputies_only(client, county_clerk, department_user, deputy_user):
    url = reverse("stations:my_points")
    for user in (county_clerk, department_user, deputy_user):
        client.force_login(user)
        assert client.get(url).status_code == 403


# --- The annual report ------------------------------------------------------------------


def test_the_report_shows_the_years_figures(client, deputy, county_rules, bands):
    from stations.models import Congress, Membership

    congress = Congress.objects.create(
        level="county", region=deputy.region.parent, name="衡阳县人民代表大会", term="第十八届"
    )
    Membership.objects.create(deputy=deputy, congress=congress)
    award(deputy, "r:1")
    award(deputy, "s:1", kind="suggestion_submitted")
    client.force_login(deputy.user)
    page = client.get(reverse("stations:my_report", args=[2026])).content.decode()
    assert "衡阳县人民代表大会" in page
    assert "@media print" not in page  # the print rules live in the stylesheet
    assert "stations.css" in page
    assert "<strong>8</strong>" in page
    assert "不合格" in page


def test_a_deputy_cannot_open_another_deputys_report(client, deputy, xidu):
    stranger = DeputyFactory(region=xidu)
    client.force_login(deputy.user)
    assert client.get(reverse("stations:deputy_report", args=[stranger.pk, 2026])).status_code == (
        404
    )
    assert client.get(reverse("stations:deputy_report", args=[deputy.pk, 2026])).status_code == (
        200
    )


def test_the_office_opens_reports_of_its_own_region_only(
    client, county_clerk, other_county_clerk, department_user, deputy
):
    url = reverse("stations:deputy_report", args=[deputy.pk, 2026])
    client.force_login(county_clerk)
    assert client.get(url).status_code == 200
    for user in (other_county_clerk, department_user):
        client.force_login(user)
        assert client.get(url).status_code == 404
