"""The scoping helper itself; the admin, views and exports are tested from the outside."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from liaison import scoping
from liaison.models import Region
from stations.models import Station
from tests.factories import StationFactory


def test_county_clerk_sees_own_county_subtree_only(county_clerk, xidu, yunji):
    mine = StationFactory(region=xidu)
    StationFactory(region=yunji)
    assert list(scoping.scope(Station.objects.all(), county_clerk)) == [mine]


def test_region_scope_uses_the_code_prefix_without_a_join(county_clerk, xidu):
    with CaptureQueriesContext(connection) as ctx:
        list(scoping.scope(Station.objects.all(), county_clerk))
    sql = ctx.captured_queries[0]["sql"]
    assert "LIKE" in sql.upper()
    assert "liaison_region" not in sql  # filtered on stations_station.region_id itself


def test_regions_are_scoped_by_their_own_code(county_clerk, xidu, yunji):
    codes = set(scoping.scope(Region.objects.all(), county_clerk).values_list("code", flat=True))
    assert codes == {"430421000000", "430421100000"}


def test_superuser_sees_everything(admin_user, xidu, yunji):
    StationFactory(region=xidu)
    StationFactory(region=yunji)
    assert scoping.scope(Station.objects.all(), admin_user).count() == 2


def test_users_without_a_region_see_nothing(deputy_user, department_user, xidu):
    StationFactory(region=xidu)
    assert not scoping.scope(Station.objects.all(), deputy_user).exists()
    assert not scoping.scope(Station.objects.all(), department_user).exists()


def test_in_scope_needs_no_query(county_clerk, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert scoping.in_scope(county_clerk, "430421100201")
        assert not scoping.in_scope(county_clerk, "430422100000")
