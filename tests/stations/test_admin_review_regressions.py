"""Doors a review found open: each now shut, tried from the outside."""

import datetime as dt

import tablib
from django.urls import reverse
from django.utils import timezone

from liaison.models import Region
from stations.models import Membership, Placement, ReceptionDay, ReceptionSchedule, Station
from stations.resources import StationResource
from stations.services import reception_days_roll
from tests.factories import CongressFactory, DeputyFactory, StationFactory, make_region, place


def test_import_cannot_take_over_another_county_station_by_its_code(county_clerk, xidu, yunji):
    theirs = StationFactory(region=yunji, code="YJ0001", name="云集镇中心联络站")
    data = tablib.Dataset(
        ("YJ0001", "被我接管", "station", "fixed", xidu.code, ""),
        headers=["code", "name", "tier", "kind", "region", "address"],
    )
    result = StationResource().import_scoped(data, user=county_clerk)
    assert result.has_validation_errors() or result.has_errors()
    theirs.refresh_from_db()
    assert (theirs.name, theirs.region_id) == ("云集镇中心联络站", yunji.code)


def test_inline_rows_of_another_county_are_neither_shown_nor_deletable(
    client, county_clerk, xidu, yunji
):
    deputy = DeputyFactory(region=xidu)
    secret = StationFactory(region=yunji, name="云集镇秘密联络站")
    placement = place(deputy, secret)
    client.force_login(county_clerk)
    url = reverse("admin:stations_deputy_change", args=[deputy.pk])
    assert "云集镇秘密联络站" not in client.get(url).content.decode()
    client.post(
        url,
        {
            "code": deputy.code,
            "name": deputy.name,
            "gender": "F",
            "region": xidu.code,
            "is_active": "on",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "placements-TOTAL_FORMS": "1",
            "placements-INITIAL_FORMS": "1",
            "placements-0-id": str(placement.pk),
            "placements-0-deputy": str(deputy.pk),
            "placements-0-station": str(secret.pk),
            "placements-0-DELETE": "on",
        },
    )
    assert Placement.objects.filter(pk=placement.pk).exists()


def test_clerk_cannot_add_a_region_in_another_county(client, county_clerk, yunji):
    client.force_login(county_clerk)
    response = client.post(
        reverse("admin:liaison_region_add"), {"code": "430422100299", "name": "偷建村"}
    )
    assert response.status_code == 200
    assert "不在您的辖区内" in response.content.decode()
    assert not Region.objects.filter(code="430422100299").exists()


def test_county_clerk_can_seat_a_deputy_in_the_city_and_national_congress(
    client, county_clerk, xidu
):
    city = CongressFactory(region=make_region("430400000000"), level="city", name="衡阳市人大")
    national = CongressFactory(region=None, level="national", name="全国人大", term="第十四届")
    deputy = DeputyFactory(region=xidu)
    client.force_login(county_clerk)
    response = client.post(
        reverse("admin:stations_deputy_change", args=[deputy.pk]),
        {
            "code": deputy.code,
            "name": "改名",
            "gender": "F",
            "region": xidu.code,
            "is_active": "on",
            "memberships-TOTAL_FORMS": "2",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-congress": str(city.pk),
            "memberships-0-is_active": "on",
            "memberships-1-congress": str(national.pk),
            "memberships-1-is_active": "on",
            "placements-TOTAL_FORMS": "0",
            "placements-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert set(Membership.objects.values_list("congress__level", flat=True)) == {"city", "national"}


def _confirm(client, rows) -> None:
    """Post the admin's confirm step directly, as a stale or tampered confirm form would."""
    from import_export.tmp_storages import TempFolderStorage

    content = tablib.Dataset(*rows, headers=["code", "name", "tier", "kind", "region", "address"])
    storage = TempFolderStorage()
    storage.save(content.export("xlsx"))
    url = reverse("admin:stations_station_import")
    formats = client.get(url).context["form"].fields["format"].choices
    xlsx = next(str(v) for v, label in formats if str(label).lower() == "xlsx")
    client.post(
        reverse("admin:stations_station_process_import"),
        {
            "import_file_name": storage.name,
            "original_file_name": "f.xlsx",
            "format": xlsx,
            "resource": "0",
        },
    )


def test_admin_confirm_of_a_file_with_a_bad_row_changes_nothing(client, county_clerk, xidu, yunji):
    client.force_login(county_clerk)
    _confirm(client, [("XD0001", "好站", "station", "fixed", xidu.code, "")])
    assert Station.objects.filter(code="XD0001").exists()  # the path does import
    _confirm(
        client,
        [
            ("XD0003", "又一好站", "station", "fixed", xidu.code, ""),
            ("XD0002", "邻县站", "station", "fixed", yunji.code, ""),
        ],
    )
    assert list(Station.objects.values_list("code", flat=True)) == ["XD0001"]


def test_editing_a_schedule_moves_its_future_days(xidu):
    station = StationFactory(region=xidu)
    schedule = ReceptionSchedule.objects.create(station=station, rule="monthly", day_of_month=8)
    place(DeputyFactory(region=xidu), station)
    today = timezone.localdate()
    end = today + dt.timedelta(days=92)
    reception_days_roll(station=station, start=today, end=end)
    schedule.day_of_month = 20
    schedule.save()
    reception_days_roll(station=station, start=today, end=end)
    days = set(ReceptionDay.objects.filter(date__gte=today).values_list("date__day", flat=True))
    assert days == {20}
