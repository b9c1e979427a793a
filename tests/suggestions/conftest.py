"""Suggestions fixtures: a station in Xidu township (衡阳县西渡镇), a category, the
county's transport bureau with Dan as its handler, and a rule routing roads there."""

import pytest

from stations.models import Station
from tests.factories import (
    DeputyFactory,
    StationFactory,
    make_category,
    make_department,
    make_rule,
    make_user,
)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # Rate limits count in the cache; each test starts with a clean slate.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def station(xidu) -> Station:
    return StationFactory(code="XD001", name="西渡镇人大代表联络站", region=xidu)


@pytest.fixture
def other_station(yunji) -> Station:
    return StationFactory(code="YJ001", name="云集镇人大代表联络站", region=yunji)


@pytest.fixture
def roads(db):
    return make_category("roads", "道路交通")


@pytest.fixture
def water(db):
    return make_category("water", "饮水与水利")


@pytest.fixture
def transport_bureau(hengyang_county, department_user):
    """衡阳县交通运输局: Dan handles its items; its director is the supervisor."""
    return make_department(
        "衡阳县交通运输局",
        hengyang_county,
        users=[department_user],
        supervisor_phone="13900001111",
        supervisor_name="周局长",
    )


@pytest.fixture
def water_bureau(hengyang_county):
    erin = make_user("erin", role="department")
    return make_department("衡阳县水利局", hengyang_county, users=[erin])


@pytest.fixture
def other_bureau(hengnan_county):
    """The neighbouring county's bureau: Frank must never see Hengyang county's items."""
    frank = make_user("frank", role="department")
    return make_department("衡南县交通运输局", hengnan_county, users=[frank])


@pytest.fixture
def roads_rule(hengyang_county, transport_bureau, roads):
    return make_rule(hengyang_county, transport_bureau, category=roads, days=10)


@pytest.fixture
def addressed_deputy(xidu, deputy_user):
    """Dora is the deputy behind the deputy_user account."""
    return DeputyFactory(code="DORA01", name="刘代表", region=xidu, user=deputy_user)


@pytest.fixture
def submit(station, roads):
    """Submit a valid opinion through the service, overriding any field."""
    from suggestions import services

    def _submit(**overrides):
        fields = {
            "channel": "web",
            "station": station,
            "category": roads,
            "title": "村口道路坑洼",
            "content": "西渡镇梅花村村口道路坑洼积水，雨天无法通行，请尽快修复。",
            "name": "张三",
            "phone": "13800138000",
            "consent": True,
        } | overrides
        return services.suggestion_submit(**fields)

    return _submit
