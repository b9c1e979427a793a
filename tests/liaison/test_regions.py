import pytest
from django.db import IntegrityError

from liaison import regions
from liaison.models import Region
from tests.factories import make_region


@pytest.mark.parametrize(
    ("code", "level", "prefix", "parent"),
    [
        ("430000000000", "province", "43", None),
        ("430400000000", "city", "4304", "430000000000"),
        ("430421000000", "county", "430421", "430400000000"),
        ("430421100000", "township", "430421100", "430421000000"),
        ("430421100201", "village", "430421100201", "430421100000"),
    ],
)
def test_code_shape_gives_level_prefix_and_parent(code, level, prefix, parent):
    assert regions.level_of(code) == level
    assert regions.prefix_of(code) == prefix
    assert regions.parent_code_of(code) == parent


@pytest.mark.parametrize("bad", ["", "43", "4304000000000", "43040000000x", None])
def test_malformed_codes_are_refused(bad):
    with pytest.raises(ValueError):
        regions.level_of(bad)


def test_saving_a_region_derives_level_and_parent(db):
    village = make_region("430421100201", "石狮村")
    assert village.level == "village"
    assert village.parent_id == "430421100000"
    assert village.parent.parent.parent.parent.code == "430000000000"


def test_database_refuses_a_code_that_is_not_twelve_digits(db):
    with pytest.raises(IntegrityError):
        Region.objects.bulk_create([Region(code="43ABC", name="坏代码", level="province")])


def test_clean_reports_a_missing_parent(db):
    region = Region(code="430421100201", name="孤村")
    with pytest.raises(Exception, match="430421100000"):
        region.full_clean()
