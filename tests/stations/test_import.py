"""Excel imports: a good file lands, a file with any bad row changes nothing."""

import io

import pytest
import tablib
from django.urls import reverse

from liaison.models import Region
from liaison.resources import RegionResource
from stations.models import Deputy, Station
from stations.resources import DeputyResource, StationResource

STATION_HEADERS = ["code", "name", "tier", "kind", "region", "address"]


def _xlsx(headers, rows) -> bytes:
    return tablib.Dataset(*rows, headers=headers).export("xlsx")


def _dataset(headers, rows) -> tablib.Dataset:
    return tablib.Dataset().load(_xlsx(headers, rows), format="xlsx")


def _row_errors(result) -> dict[int, str]:
    return {row.number: str(row.error) for row in result.invalid_rows}


def test_good_station_file_imports_every_row(county_clerk, xidu):
    rows = [
        ("XD0001", "西渡镇人大代表中心联络站", "centre", "fixed", xidu.code, "西渡镇政府"),
        ("XD0002", "西渡镇流动联络站", "station", "mobile", xidu.code, ""),
    ]
    result = StationResource().import_scoped(_dataset(STATION_HEADERS, rows), user=county_clerk)
    assert not result.has_errors() and not result.has_validation_errors()
    assert set(Station.objects.values_list("code", flat=True)) == {"XD0001", "XD0002"}


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        (("XD0003", "坏层级", "capital", "fixed", "430421100000", ""), "capital"),
        (("XD0003", "坏区划", "station", "fixed", "430421999999", ""), "Region"),
        (("XD0003", "邻县站", "station", "fixed", "430422100000", ""), "辖区"),
        (("bad code!", "坏编码", "station", "fixed", "430421100000", ""), "大写字母"),
        (("XD0003", "", "station", "fixed", "430421100000", ""), "name"),
    ],
)
def test_file_with_one_bad_row_changes_nothing_and_names_the_row(
    county_clerk, xidu, yunji, bad_row, reason
):
    Station.objects.create(code="XD0009", name="原有站", region=xidu)
    rows = [
        ("XD0001", "西渡镇人大代表中心联络站", "centre", "fixed", xidu.code, ""),
        ("XD0009", "改了名字", "station", "fixed", xidu.code, ""),
        bad_row,
    ]
    result = StationResource().import_scoped(_dataset(STATION_HEADERS, rows), user=county_clerk)
    assert result.has_validation_errors() or result.has_errors()
    errors = _row_errors(result)
    assert list(errors) == [3], errors
    assert list(Station.objects.values_list("code", "name")) == [("XD0009", "原有站")]


def test_region_import_derives_parents_and_refuses_orphans(county_clerk, xidu):
    good = _dataset(["code", "name"], [("430421100210", "新村"), ("430421100211", "又一村")])
    result = RegionResource().import_scoped(good, user=county_clerk)
    assert not result.has_validation_errors()
    assert Region.objects.get(code="430421100210").parent_id == xidu.code

    bad = _dataset(
        ["code", "name"], [("430421100212", "好村"), ("430421555201", "无上级"), ("12", "短")]
    )
    result = RegionResource().import_scoped(bad, user=county_clerk)
    assert set(_row_errors(result)) == {2, 3}
    assert not Region.objects.filter(code="430421100212").exists()


def test_clerk_cannot_import_regions_of_another_county(county_clerk, hengnan_county):
    data = _dataset(["code", "name"], [("430422100000", "云集镇（改）")])
    result = RegionResource().import_scoped(data, user=county_clerk)
    assert result.has_validation_errors()
    assert not Region.objects.filter(code="430422100000").exists()


def test_deputy_import_refuses_a_bad_gender_and_keeps_nothing(county_clerk, xidu):
    data = _dataset(
        ["code", "name", "gender", "region", "occupation", "phone"],
        [
            ("DP90001", "刘一", "M", xidu.code, "教师", "13800000001"),
            ("DP90002", "刘二", "X", xidu.code, "医生", "13800000002"),
        ],
    )
    result = DeputyResource().import_scoped(data, user=county_clerk)
    assert list(_row_errors(result)) == [2]
    assert not Deputy.objects.exists()


def _admin_import(client, model: str, content: bytes):
    """Upload through the admin's import page, then confirm, as a clerk would."""
    url = reverse(f"admin:stations_{model}_import")
    upload = io.BytesIO(content)
    upload.name = "import.xlsx"
    formats = client.get(url).context["form"].fields["format"].choices
    xlsx = next(str(value) for value, label in formats if str(label).lower() == "xlsx")
    response = client.post(url, {"import_file": upload, "format": xlsx, "resource": "0"})
    return response


def test_admin_import_of_a_bad_file_shows_row_numbers_and_offers_no_confirm(
    client, county_clerk, xidu, yunji
):
    client.force_login(county_clerk)
    content = _xlsx(
        STATION_HEADERS,
        [
            ("XD0001", "好站", "station", "fixed", xidu.code, ""),
            ("XD0002", "邻县站", "station", "fixed", "430422100000", ""),
        ],
    )
    response = _admin_import(client, "station", content)
    page = response.content.decode()
    assert response.status_code == 200
    assert "430422100000" in page and "不在您的辖区内" in page
    assert "confirm" not in response.context or not response.context.get("confirm_form")
    assert not Station.objects.exists()


def test_admin_import_of_a_good_file_lands_after_confirming(client, county_clerk, xidu):
    client.force_login(county_clerk)
    content = _xlsx(STATION_HEADERS, [("XD0001", "好站", "station", "fixed", xidu.code, "")])
    response = _admin_import(client, "station", content)
    confirm = response.context["confirm_form"]
    data = {name: confirm[name].value() for name in confirm.fields}
    client.post(reverse("admin:stations_station_process_import"), data)
    assert Station.objects.get(code="XD0001").name == "好站"


@pytest.mark.parametrize("use_json", [False, True])
def test_bulk_audit_diff_of_new_rows_equals_auditlogs(xidu, use_json, django_user_model):
    """The import's audit rows for new rows are built by liaison.resources._CreatedDiff,
    which must give exactly what auditlog's own model_instance_diff gives."""
    from auditlog.diff import model_instance_diff

    from liaison.resources import _CreatedDiff
    from tests.factories import DeputyFactory, StationFactory

    user = django_user_model.objects.create_user(
        "importer", email="clerk@example.org", password="x", region=xidu
    )
    deputy = DeputyFactory(region=xidu, phone="13812345678")
    station = StationFactory(region=xidu)
    for row in (deputy, station, user):
        expected = model_instance_diff(None, row, use_json_for_changes=use_json)
        assert _CreatedDiff(type(row), use_json=use_json)(row) == expected
        assert expected  # something is recorded, masked where it must be
    assert "13812345678" not in str(_CreatedDiff(type(deputy), use_json=use_json)(deputy))
