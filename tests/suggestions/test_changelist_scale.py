"""The opinions' changelist at a province's scale (issue 6): a handful of queries per
page whatever is filtered, searched or drilled into; no count of the whole table, no
DISTINCT, no scan for the date drill-down; searches that use their indexes.

The count is exact up to LIAISON_CHANGELIST_EXACT_COUNT_LIMIT rows and the planner's
estimate above it; the tests set the limit low to see both sides with a few rows.
"""

import datetime as dt
import io
import re
from functools import partial

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from suggestions import services
from suggestions.models import TRACKING_ALPHABET, Case, Suggestion
from tests import changelist_helpers
from tests.changelist_helpers import BOTH_COUNTS, MAX_QUERIES, ROLES, listed, plan
from tests.factories import make_region

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("english")]

CHANGELIST = "admin:suggestions_suggestion_changelist"
get = partial(changelist_helpers.get, CHANGELIST)
capture = partial(changelist_helpers.capture, CHANGELIST)
search = partial(changelist_helpers.search, Suggestion)


@pytest.fixture
def jingtou(hengyang_county):
    return make_region("430421101000", "井头镇")


@pytest.fixture
def items(submit, other_station, jingtou, transport_bureau, county_clerk):
    """Twelve opinions: eight from Xidu and two from Jingtou (Hengyang county), two from
    Yunji (Hengnan county); some assigned, one received in 2024."""
    made = []
    for i in range(8):
        made.append(submit(title=f"西渡镇村口道路坑洼{i}", phone=f"1380013{i:04d}"))
    made.append(
        submit(station=None, region=jingtou, title="井头镇集市垃圾清运", phone="13600001234")
    )
    made.append(submit(station=None, region=jingtou, title="井头镇路灯不亮", phone="13600005678"))
    made.append(submit(station=other_station, title="云集镇路灯不亮", phone="13911112222"))
    made.append(submit(station=other_station, title="云集镇菜市场脏乱", phone="13911113333"))
    for item in made[:3]:
        services.case_assign(case=item, lead=transport_bureau, actor=county_clerk)
    old = timezone.make_aware(dt.datetime(2024, 3, 5, 10, 0))
    Case.objects.filter(pk=made[0].pk).update(received_at=old)
    return made


@pytest.fixture
def pages(items, roads, transport_bureau, xidu):
    """Every way into the changelist: unfiltered, each filter, each kind of search, each
    level of the date drill-down, and a page past the end."""
    first = items[1]
    return {
        "unfiltered": {},
        "status": {"status__exact": "assigned"},
        "category": {"category": roads.pk},
        "channel": {"channel__exact": "web"},
        "region": {"region": xidu.code},
        "department": {"department": transport_bureau.pk},
        "overdue": {"overdue": "yes"},
        "year-end sorting": {"sorting": "handled"},
        "search tracking code": {"q": first.tracking_code.lower()},
        "search full mobile": {"q": first.phone},
        "search title": {"q": "道路坑洼"},
        "drill-down year": {"received_at__year": "2024"},
        "drill-down month": {"received_at__year": "2024", "received_at__month": "3"},
        "drill-down day": {
            "received_at__year": "2024",
            "received_at__month": "3",
            "received_at__day": "5",
        },
        "facets asked for": {"_facets": "1"},
    }


# --- A handful of queries, whoever looks and however -----------------------------------


@BOTH_COUNTS
@pytest.mark.parametrize("role", ROLES)
def test_every_changelist_page_takes_at_most_six_queries(
    client, request, settings, pages, role, cap
):
    """Session, user, the permissions of a non-superuser (two), the filters' choices and
    the drill-down's first year (one), the page with its count (one)."""
    settings.LIAISON_CHANGELIST_EXACT_COUNT_LIMIT = cap
    client.force_login(request.getfixturevalue(role))
    counts = {name: len(capture(client, params)) for name, params in pages.items()}
    assert max(counts.values()) <= MAX_QUERIES, counts


def test_the_page_and_its_count_are_one_query(client, county_clerk, items):
    client.force_login(county_clerk)
    counting = [sql for sql in capture(client, {}) if "COUNT(" in sql.upper()]
    assert len(counting) == 1
    # The count is a subquery of the page's own query, which reads the rows.
    assert '"tracking_code"' in counting[0] and "LIMIT 100" in counting[0]


def test_the_filters_choices_come_in_one_query(client, county_clerk, items):
    """Categories, departments and regions for three filters, and the drill-down's first
    year: one UNION ALL, not a query per filter."""
    client.force_login(county_clerk)
    reference = [
        sql
        for sql in capture(client, {})
        if re.search(r'FROM "(suggestions_category|suggestions_department|liaison_region)"', sql)
    ]
    assert len(reference) == 1
    for table in ("suggestions_category", "suggestions_department", "liaison_region"):
        assert f'FROM "{table}"' in reference[0]
    assert reference[0].count("UNION ALL") == 3


# --- What the SQL never does ---------------------------------------------------------


@BOTH_COUNTS
@pytest.mark.parametrize("role", ROLES)
def test_no_full_count_no_distinct_no_date_scan(client, request, settings, pages, role, cap):
    settings.LIAISON_CHANGELIST_EXACT_COUNT_LIMIT = cap
    client.force_login(request.getfixturevalue(role))
    for name, params in pages.items():
        for sql in capture(client, params):
            upper = sql.upper()
            if "COUNT(" in upper:
                # Every count is of at most cap + 1 rows.
                assert f"LIMIT {cap + 1}" in upper, (name, sql)
            assert not re.search(r"\bDISTINCT\b", upper), (name, sql)
            assert "DATE_TRUNC" not in upper, (name, sql)


def test_the_department_filter_joins_nothing(client, county_clerk, items, transport_bureau):
    client.force_login(county_clerk)
    queries = capture(client, {"department": transport_bureau.pk})
    page = next(sql for sql in queries if '"tracking_code"' in sql)
    assert "EXISTS" in page.upper()
    assert 'JOIN "SUGGESTIONS_ASSIGNMENT"' not in page.upper()


# --- The count: exact up to the limit, the planner's estimate above it ------------------


def test_under_the_limit_the_count_is_exact(client, settings, county_clerk, items):
    settings.LIAISON_CHANGELIST_EXACT_COUNT_LIMIT = 100
    client.force_login(county_clerk)
    response = get(client, {})
    cl = response.context["cl"]
    assert cl.result_count == 10 and not cl.result_count_is_approximate
    page = response.content.decode()
    assert "10 constituent suggestions" in page
    assert "about" not in page.split('class="paginator"')[1]


def test_over_the_limit_the_page_shows_an_approximate_count(client, settings, county_clerk, items):
    settings.LIAISON_CHANGELIST_EXACT_COUNT_LIMIT = 3
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE suggestions_case")
        cursor.execute("ANALYZE suggestions_suggestion")
    client.force_login(county_clerk)
    response = get(client, {})
    cl = response.context["cl"]
    assert cl.result_count_is_approximate
    assert cl.result_count >= 4
    page = response.content.decode()
    paginator = page.split('class="paginator"')[1].split("</p>")[0]
    assert re.search(r"(about|more than) [\d,]+", paginator), paginator
    assert re.search(r"(about|more than) [\d,]+ results", page)
    # The rows are still the newest of the user's own.
    assert len(listed(response)) == 10


def test_the_estimate_is_the_planners_not_a_count(settings, submit, items):
    """Over the limit the count is what the planner expects from the statistics: right
    after ANALYZE the real number, and it lags behind rows added since."""
    from liaison.changelist import CappedCountPaginator

    settings.LIAISON_CHANGELIST_EXACT_COUNT_LIMIT = 3
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE suggestions_case")
        cursor.execute("ANALYZE suggestions_suggestion")
    paginator = CappedCountPaginator(Suggestion.objects.order_by("-pk"), 100)
    assert paginator.count == 12 and paginator.approximate
    for i in range(5):
        submit(title=f"新的意见{i}")
    assert Suggestion.objects.count() == 17
    paginator = CappedCountPaginator(Suggestion.objects.order_by("-pk"), 100)
    assert paginator.approximate and paginator.count != 17


@BOTH_COUNTS
def test_a_page_past_the_end_is_empty_not_an_error(client, settings, county_clerk, items, cap):
    settings.LIAISON_CHANGELIST_EXACT_COUNT_LIMIT = cap
    client.force_login(county_clerk)
    with CaptureQueriesContext(connection) as queries:
        response = get(client, {"p": "40"})
    assert listed(response) == set()
    # An empty page does not carry the count: it takes one query more, and only then.
    assert len(queries) <= MAX_QUERIES + 1
    assert get(client, {"p": "abc"}).context["cl"].page_num == 1


# --- The date drill-down, from the calendar -----------------------------------------


def test_the_drill_down_offers_the_years_from_the_first_item(client, county_clerk, items):
    client.force_login(county_clerk)
    page = get(client, {}).content.decode()
    this_year = timezone.localdate().year
    for year in range(2024, this_year + 1):
        assert f"?received_at__year={year}" in page
    assert "?received_at__year=2023" not in page


def test_the_drill_down_narrows_to_a_year_a_month_and_a_day(client, county_clerk, items):
    client.force_login(county_clerk)
    response = get(client, {"received_at__year": "2024"})
    assert listed(response) == {items[0].pk}
    page = response.content.decode()
    assert "received_at__month=12" in page and "received_at__month=3" in page
    month = get(client, {"received_at__year": "2024", "received_at__month": "3"})
    assert listed(month) == {items[0].pk}
    assert "received_at__day=31" in month.content.decode()
    day = {"received_at__year": "2024", "received_at__month": "3", "received_at__day": "4"}
    assert listed(get(client, day)) == set()


# --- Search: right rows, the phone masked, scoped ------------------------------------


def test_search_finds_by_code_phone_and_title_within_scope(client, county_clerk, items):
    client.force_login(county_clerk)
    first, yunji = items[1], items[10]
    assert listed(get(client, {"q": first.tracking_code.lower()})) == {first.pk}
    assert listed(get(client, {"q": first.phone})) == {first.pk}
    assert listed(get(client, {"q": "路灯不亮"})) == {items[9].pk}  # not Yunji's
    assert listed(get(client, {"q": yunji.tracking_code})) == set()


@BOTH_COUNTS
def test_the_changelist_shows_phones_masked(client, settings, admin_user, items, cap):
    settings.LIAISON_CHANGELIST_EXACT_COUNT_LIMIT = cap
    client.force_login(admin_user)
    for params in ({}, {"q": items[1].phone}):
        page = get(client, params).content.decode()
        cells = re.findall(r'<td class="field-masked_phone">(.*?)</td>', page)
        assert "138****0001" in cells
        assert all(re.fullmatch(r"1\d\d\*{4}\d{4}", cell) for cell in cells), cells
        # No number shown anywhere in the list (the searched one is only in the links).
        rows = re.sub(r"<[^>]+>", " ", page.split("<tbody>")[1])
        assert not re.search(r"1[3-9]\d{9}", rows)


def test_filters_offer_only_what_the_user_may_choose(
    client, county_clerk, province_clerk, items, transport_bureau, other_bureau, xidu, yunji
):
    client.force_login(county_clerk)
    page = get(client, {}).content.decode()
    assert f"?department={transport_bureau.pk}" in page
    assert f"?department={other_bureau.pk}" not in page
    assert f"?region={xidu.code}" in page and f"?region={yunji.code}" not in page
    assert "?category=" in page
    client.force_login(province_clerk)
    page = get(client, {}).content.decode()
    assert "?region=430400000000" in page  # the cities below the province
    assert f"?department={other_bureau.pk}" in page


@pytest.mark.parametrize("who", ["department_user", "deputy_user"])
def test_other_roles_cannot_open_the_changelist(client, request, items, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse(CHANGELIST)).status_code in (302, 403)
    client.logout()
    assert client.get(reverse(CHANGELIST)).status_code == 302


# --- The searches use their indexes -------------------------------------------------


@pytest.fixture
def scale(items, settings):
    """A few thousand more opinions, by the seed_scale command, and fresh statistics."""
    call_command("seed_scale", suggestions=3000, deputies=0, force=True, stdout=io.StringIO())
    return items


def test_search_lookups_use_their_indexes(scale):
    item = scale[1]
    assert "suggestions_suggestion_tracking_code" in plan(search(item.tracking_code.lower()))
    # The number is encrypted: a full number is found by its keyed hash's index.
    assert "suggestion_phone_hmac_idx" in plan(search(item.phone))
    assert "case_title_trgm_idx" in plan(search("学校门口路灯"))


def test_seed_scale_fills_in_and_tops_up(scale, xidu):
    made = Suggestion.objects.filter(submission_key__startswith="scale-")
    assert made.count() == 3000
    codes = set(made.values_list("tracking_code", flat=True))
    assert len(codes) == 3000
    assert all(len(code) == 12 and set(code) <= set(TRACKING_ALPHABET) for code in codes)
    assert all(
        re.fullmatch(r"1[3-9]\d{9}", phone) for phone in made.values_list("phone", flat=True)
    )
    # Statistics are fresh: the planner knows the table's size.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = 'suggestions_suggestion'::regclass"
        )
        assert cursor.fetchone()[0] >= 3000
    call_command("seed_scale", suggestions=3000, deputies=0, force=True, stdout=io.StringIO())
    assert made.count() == 3000
