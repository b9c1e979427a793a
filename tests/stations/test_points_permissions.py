"""Who may do what with performance points, tried from the outside.

Alice (衡阳县 office) manages the rules, bands and entries of her county; Bob (衡南县)
sees none of them; a deputy sees only their own card, evidence and report; department
handlers have nothing here.
"""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from stations import points
from stations.models.points import GradeBand, PointEntry, PointRule
from tests.factories import DeputyFactory, make_user

D = dt.date


@pytest.fixture
def world(hengyang_county, hengnan_county, xidu, yunji, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    own_deputy = DeputyFactory(region=xidu, name="刘西渡", user=make_user("liu", role="deputy"))
    other_deputy = DeputyFactory(region=yunji, name="王云集", user=make_user("wang", role="deputy"))
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(buffer, format="JPEG")
    own_claim = points.points_claim(
        deputy=own_deputy,
        description="西渡镇调研",
        occurred_on=D(2026, 4, 1),
        evidence=SimpleUploadedFile("p.jpg", buffer.getvalue()),
        by=own_deputy.user,
    )
    other_claim = points.points_claim(
        deputy=other_deputy,
        description="云集镇培训",
        occurred_on=D(2026, 4, 1),
        evidence=SimpleUploadedFile("p.pdf", b"%PDF-1.4\n%%EOF\n"),
        by=other_deputy.user,
    )
    return {
        "own_deputy": own_deputy,
        "other_deputy": other_deputy,
        "own_rule": PointRule.objects.create(
            region=hengyang_county,
            kind="claim_activity",
            points=4,
            valid_from=D(2026, 1, 1),
            note="衡阳县细则",
        ),
        "other_rule": PointRule.objects.create(
            region=hengnan_county,
            kind="claim_activity",
            points=2,
            valid_from=D(2026, 1, 1),
            note="衡南县细则",
        ),
        "own_band": GradeBand.objects.create(region=hengyang_county, label="优秀甲", min_score=80),
        "other_band": GradeBand.objects.create(region=hengnan_county, label="优秀乙", min_score=80),
        "own_claim": own_claim,
        "other_claim": other_claim,
    }


def _url(model, action, obj=None):
    name = f"admin:stations_{model}_{action}"
    return reverse(name, args=[obj.pk]) if obj is not None else reverse(name)


@pytest.mark.parametrize(
    ("model", "key"),
    [("pointrule", "rule"), ("gradeband", "band"), ("pointentry", "claim")],
)
def test_the_county_clerk_sees_own_county_only(client, county_clerk, world, model, key):
    client.force_login(county_clerk)
    assert client.get(_url(model, "change", world[f"own_{key}"])).status_code == 200
    assert client.get(_url(model, "change", world[f"other_{key}"])).status_code == 404
    page = client.get(_url(model, "changelist")).content.decode()
    own, other = world[f"own_{key}"], world[f"other_{key}"]
    marker = {"rule": "region", "band": "label", "claim": "description"}[key]
    if marker == "region":
        assert own.region.name in page and other.region.name not in page
    else:
        assert getattr(own, marker) in page and getattr(other, marker) not in page


def test_department_handlers_and_deputies_have_no_points_admin(
    client, department_user, world, county_clerk
):
    for user in (department_user, world["own_deputy"].user):
        assert not user.has_perm("stations.view_pointentry")
        assert not user.has_perm("stations.change_pointrule")
        client.force_login(user)
        response = client.get(_url("pointentry", "changelist"))
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert county_clerk.has_perm("stations.change_pointrule")
    assert county_clerk.has_perm("stations.change_gradeband")
    assert not county_clerk.has_perm("stations.delete_pointentry")


def test_the_clerk_verifies_with_the_action_and_cannot_touch_another_county(
    client, county_clerk, world
):
    client.force_login(county_clerk)
    response = client.post(
        _url("pointentry", "changelist"),
        {
            "action": "verify_claims",
            "_selected_action": [world["own_claim"].pk, world["other_claim"].pk],
        },
    )
    assert response.status_code == 302
    own = PointEntry.objects.get(pk=world["own_claim"].pk)
    other = PointEntry.objects.get(pk=world["other_claim"].pk)
    assert (own.status, own.points) == ("verified", 4)
    assert (other.status, other.points) == ("claimed", 0)


def test_the_clerk_decides_a_claim_on_its_page_with_other_points(client, county_clerk, world):
    client.force_login(county_clerk)
    response = client.post(
        _url("pointentry", "change", world["own_claim"]),
        {"decision": "verify", "award": "7", "review_note": "材料齐全"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = PointEntry.objects.get(pk=world["own_claim"].pk)
    assert (entry.status, entry.points, entry.review_note) == ("verified", 7, "材料齐全")
    # A decided entry is a record: its page is read-only.
    response = client.post(
        _url("pointentry", "change", entry), {"decision": "reject", "review_note": "改"}
    )
    assert response.status_code == 403
    assert PointEntry.objects.get(pk=entry.pk).status == "verified"


def test_the_clerk_records_points_the_office_saw_itself(client, county_clerk, world):
    client.force_login(county_clerk)
    response = client.post(
        _url("pointentry", "add"),
        {
            "deputy": world["own_deputy"].pk,
            "kind": "claim_activity",
            "points": "6",
            "occurred_on": "2026-06-01",
            "description": "参加县人大常委会执法检查",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = PointEntry.objects.get(description="参加县人大常委会执法检查")
    assert (entry.status, entry.points, entry.verified_by) == ("verified", 6, county_clerk)
    assert entry.source_key.startswith("staff:")


def test_the_clerk_cannot_record_points_for_another_countys_deputy(client, county_clerk, world):
    client.force_login(county_clerk)
    response = client.post(
        _url("pointentry", "add"),
        {
            "deputy": world["other_deputy"].pk,
            "kind": "claim_activity",
            "points": "6",
            "occurred_on": "2026-06-01",
            "description": "越权",
        },
    )
    assert response.status_code == 200  # the form refuses the choice
    assert not PointEntry.objects.filter(description="越权").exists()


def test_a_rule_that_counted_points_keeps_its_points(client, county_clerk, world):
    points.points_verify(entry=world["own_claim"], by=county_clerk, approve=True)
    client.force_login(county_clerk)
    page = client.get(_url("pointrule", "change", world["own_rule"])).content.decode()
    assert 'name="points"' not in page
    assert 'name="valid_to"' in page


def test_evidence_is_for_its_deputy_and_the_office_of_their_region(
    client, world, county_clerk, other_county_clerk, department_user
):
    url = reverse("stations:points_evidence", args=[world["own_claim"].pk])
    client.force_login(world["own_deputy"].user)
    assert client.get(url).status_code == 200
    client.force_login(county_clerk)
    assert client.get(url).status_code == 200
    for user in (world["other_deputy"].user, other_county_clerk, department_user):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_the_ranking_needs_the_view_permission(client, department_user, county_clerk, world):
    url = reverse("admin:stations_pointentry_ranking")
    client.force_login(department_user)
    assert client.get(url).status_code == 302
    client.force_login(county_clerk)
    page = client.get(url).content.decode()
    assert "刘西渡" in page and "王云集" not in page


def test_the_deputy_report_link_in_the_admin_is_scoped(client, county_clerk, world):
    client.force_login(county_clerk)
    page = client.get(_url("deputy", "changelist")).content.decode()
    own = reverse("stations:deputy_report", args=[world["own_deputy"].pk, 2026])
    assert own.rsplit("/", 2)[0] in page
    other = reverse("stations:deputy_report", args=[world["other_deputy"].pk, 2026])
    assert client.get(other).status_code == 404


@pytest.mark.parametrize(
    "name",
    [
        "admin:stations_pointrule_changelist",
        "admin:stations_pointrule_add",
        "admin:stations_gradeband_changelist",
        "admin:stations_gradeband_add",
        "admin:stations_pointentry_changelist",
        "admin:stations_pointentry_add",
        "admin:stations_dutyswap_changelist",
        "admin:stations_receptionday_changelist",
        "admin:stations_pointentry_ranking",
    ],
)
def test_the_points_admin_pages_open_for_the_county_clerk(client, county_clerk, world, name):
    client.force_login(county_clerk)
    assert client.get(reverse(name)).status_code == 200
