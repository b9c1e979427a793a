"""The deputies' changelist at a province's scale (issue 6): a handful of queries per
page, no count of the whole table, no DISTINCT, searches on their indexes, and the
region scoping intact.

The count is exact up to LIAISON_CHANGELIST_EXACT_COUNT_LIMIT rows and the planner's
estimate above it; the tests set the limit low to see both sides with a few rows.
"""

import re
from functools import partial

import pytest
from django.db import connection
from django.urls import reverse

from stations.models import Deputy
from tests import changelist_helpers
from tests.changelist_helpers import BOTH_COUNTS, MAX_QUERIES, ROLES, listed, plan
from tests.factories import DeputyFactory

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("english")]

CHANGELIST = "admin:stations_deputy_changelist"
get = partial(changelist_helpers.get, CHANGELIST)
capture = partial(changelist_helpers.capture, CHANGELIST)
search = partial(changelist_helpers.search, Deputy)


@pytest.fixture
def deputies(xidu, hengyang_county, yunji):
    """Eight deputies of Hengyang county (five of Xidu, one inactive) and three of
    Hengnan county's Yunji."""
    made = {
        "xidu": [
            DeputyFactory(code=f"XD{i:04d}", name=f"西渡代表{i}", region=xidu) for i in range(5)
        ],
        "county": [DeputyFactory(code=f"HY{i:04d}", region=hengyang_county) for i in range(3)],
        "yunji": [DeputyFactory(code=f"YJ{i:04d}", region=yunji) for i in range(3)],
    }
    made["xidu"][0].name = "张建国"
    made["xidu"][0].gender = "M"
    made["xidu"][0].save()
    Deputy.objects.filter(pk=made["county"][0].pk).update(is_active=False)
    return made


@pytest.fixture
def pages(deputies, xidu):
    return {
        "unfiltered": {},
        "active": {"is_active__exact": "1"},
        "gender": {"gender__exact": "M"},
        "region": {"region": xidu.code},
        "search code": {"q": "xd0001"},
        "search name": {"q": "建国"},
        "search name, three characters": {"q": "张建国"},
        "facets asked for": {"_facets": "1"},
    }


@BOTH_COUNTS
@pytest.mark.parametrize("role", ROLES)
def test_every_deputy_changelist_page_takes_at_most_six_queries(
    client, request, settings, pages, role, cap
):
    settings.LIAISON_CHANGELIST_EXACT_COUNT_LIMIT = cap
    client.force_login(request.getfixturevalue(role))
    counts = {name: len(capture(client, params)) for name, params in pages.items()}
    assert max(counts.values()) <= MAX_QUERIES, counts


@BOTH_COUNTS
@pytest.mark.parametrize("role", ROLES)
def test_no_full_count_and_no_distinct(client, request, settings, pages, role, cap):
    settings.LIAISON_CHANGELIST_EXACT_COUNT_LIMIT = cap
    client.force_login(request.getfixturevalue(role))
    for name, params in pages.items():
        counting = 0
        for sql in capture(client, params):
            upper = sql.upper()
            if "COUNT(" in upper:
                counting += 1
                assert f"LIMIT {cap + 1}" in upper, (name, sql)
            assert not re.search(r"\bDISTINCT\b", upper), (name, sql)
            assert 'UPPER("STATIONS_DEPUTY"."CODE"' not in upper, (name, sql)
        assert counting <= 1, name


def test_over_the_limit_the_count_is_an_estimate(client, settings, county_clerk, deputies):
    settings.LIAISON_CHANGELIST_EXACT_COUNT_LIMIT = 3
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE stations_deputy")
    client.force_login(county_clerk)
    response = get(client, {})
    cl = response.context["cl"]
    assert cl.result_count_is_approximate and cl.result_count >= 4
    paginator = response.content.decode().split('class="paginator"')[1].split("</p>")[0]
    text = " ".join(re.sub(r"<[^>]+>", " ", paginator).split())
    assert re.search(r"(about|more than) [\d,]+ deputies", text), text
    assert len(listed(response)) == 8


def test_under_the_limit_the_count_is_exact(client, settings, county_clerk, deputies):
    settings.LIAISON_CHANGELIST_EXACT_COUNT_LIMIT = 100
    client.force_login(county_clerk)
    response = get(client, {})
    assert response.context["cl"].result_count == 8
    assert "8 deputies" in response.content.decode()


def test_county_clerk_sees_and_finds_only_own_county_deputies(
    client, county_clerk, deputies, yunji
):
    client.force_login(county_clerk)
    own = {d.pk for d in deputies["xidu"] + deputies["county"]}
    assert listed(get(client, {})) == own
    assert listed(get(client, {"q": "yj0001"})) == set()
    assert listed(get(client, {"q": "xd0001"})) == {deputies["xidu"][1].pk}
    assert listed(get(client, {"q": "建国"})) == {deputies["xidu"][0].pk}
    # Another county's region is not a way in, and is not offered.
    assert listed(get(client, {"region": yunji.code})) == own
    assert f"?region={yunji.code}" not in get(client, {}).content.decode()


def test_province_clerk_drills_down_from_the_cities(client, province_clerk, deputies, xidu):
    client.force_login(province_clerk)
    page = get(client, {}).content.decode()
    assert "?region=430400000000" in page
    assert listed(get(client, {"region": xidu.code})) == {d.pk for d in deputies["xidu"]}


@pytest.mark.parametrize("who", ["department_user", "deputy_user"])
def test_other_roles_cannot_open_the_deputy_changelist(client, request, deputies, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse(CHANGELIST)).status_code in (302, 403)
    client.logout()
    assert client.get(reverse(CHANGELIST)).status_code == 302


def test_deputy_autocomplete_still_searches_within_scope(client, county_clerk, deputies):
    """Other forms pick deputies through this admin's search and paginator."""
    client.force_login(county_clerk)
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "term": "西渡",
            "app_label": "stations",
            "model_name": "placement",
            "field_name": "deputy",
        },
    )
    assert response.status_code == 200
    found = {int(row["id"]) for row in response.json()["results"]}
    assert found == {d.pk for d in deputies["xidu"][1:]}  # the first is 张建国 now


# --- The searches use their indexes -------------------------------------------------


def test_deputy_searches_use_their_indexes(deputies, xidu):
    Deputy.objects.bulk_create(
        Deputy(code=f"BK{i:06d}", name=f"批量代表{i}", region=xidu) for i in range(2000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE stations_deputy")
    assert "deputy_name_trgm_idx" in plan(search("张建国"))
    code_plan = plan(search("bk000123"))
    assert "stations_deputy_code" in code_plan and "deputy_name_trgm_idx" in code_plan
    assert list(search("bk000123")) == [Deputy.objects.get(code="BK000123")]
