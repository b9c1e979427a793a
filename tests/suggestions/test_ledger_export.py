"""The ledger (台账) export: an Excel file of the items a clerk may see, as filtered."""

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from suggestions import services
from suggestions.models import Suggestion
from suggestions.resources import SuggestionLedgerResource

EXPORT = "admin:suggestions_suggestion_export"

HEADERS = [
    "Tracking code",
    "Received on",
    "Channel",
    "Station",
    "Region",
    "Category",
    "Title",
    "Content",
    "Constituent (masked)",
    "Mobile (masked)",
    "Status",
    "Lead department",
    "Due date",
    "Replied on",
    "Reply",
    "Satisfaction",
    "Year-end sorting",
]


# Pages are checked by their English msgids, whatever the catalogue holds.
pytestmark = pytest.mark.usefixtures("english")


def export(client, **filters) -> list[dict]:
    """Export as the changelist would with ``filters``; the rows as header → value."""
    url = reverse(EXPORT)
    if filters:
        url += "?" + "&".join(f"{key}={value}" for key, value in filters.items())
    response = client.post(url, {"format": "0", "resource": "0"})
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "suggestions-ledger-" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def by_code(rows) -> dict[str, dict]:
    return {row["Tracking code"]: row for row in rows}


@pytest.fixture
def ledger(
    submit,
    other_station,
    roads_rule,
    department_user,
    county_clerk,
    addressed_deputy,
    deputy_user,
):
    """A closed (handled), a promoted, a rejected and a waiting item in Hengyang county,
    and one item in Hengnan county."""
    handled = submit(title="梅花村道路坑洼", phone="13800138000")
    services.case_route(case_id=handled.pk)
    services.case_reply(
        case=handled,
        department=roads_rule.department,
        author=department_user,
        public_text="已安排施工队修复。",
    )
    services.case_rate(case=handled, rating="satisfied")

    promoted = submit(title="建议修建乡村公路", deputy=addressed_deputy, phone="13700001111")
    services.suggestion_deputy_decide(suggestion=promoted, user=deputy_user, decision="promote")

    rejected = submit(title="邻里宅基地纠纷", phone="13600002222")
    services.case_close(
        case=rejected, user=county_clerk, outcome="not_feasible", note="已进入诉讼程序"
    )

    waiting = submit(title="村口路灯不亮", phone="13500003333")
    services.case_route(case_id=waiting.pk)

    neighbour = submit(station=other_station, title="云集镇路灯不亮", phone="13911112222")
    items = {
        "handled": handled,
        "promoted": promoted,
        "rejected": rejected,
        "waiting": waiting,
        "neighbour": neighbour,
    }
    for item in items.values():
        item.refresh_from_db()
    return items


def test_the_ledger_has_its_columns_and_the_year_end_sorting(client, county_clerk, ledger):
    client.force_login(county_clerk)
    rows = by_code(export(client))
    handled = rows[ledger["handled"].tracking_code]
    assert handled["Year-end sorting"] == "Handled"
    assert handled["Status"] == "Closed"
    assert handled["Lead department"] == "衡阳县交通运输局"
    assert handled["Reply"] == "已安排施工队修复。"
    assert handled["Satisfaction"] == "Satisfied"
    assert handled["Channel"] == "Web form"
    assert handled["Station"] == "西渡镇人大代表联络站"
    assert handled["Region"] == "西渡镇"
    assert handled["Category"] == "道路交通"
    assert handled["Constituent (masked)"] == "张*"
    assert handled["Received on"].date() == timezone.localdate(ledger["handled"].received_at)
    assert handled["Replied on"].date() == timezone.localdate(ledger["handled"].replied_at)
    assert handled["Due date"].date() == ledger["handled"].due_date

    assert rows[ledger["promoted"].tracking_code]["Year-end sorting"] == "Turned into a suggestion"
    assert rows[ledger["rejected"].tracking_code]["Year-end sorting"] == "Cannot be done"
    waiting = rows[ledger["waiting"].tracking_code]
    assert waiting["Year-end sorting"] is None
    assert waiting["Lead department"] == "衡阳县交通运输局"
    assert waiting["Reply"] is None


def test_the_ledger_masks_every_phone(client, county_clerk, ledger):
    client.force_login(county_clerk)
    rows = by_code(export(client))
    assert rows[ledger["handled"].tracking_code]["Mobile (masked)"] == "138****8000"
    cells = {str(value) for row in rows.values() for value in row.values()}
    for item in ledger.values():
        assert item.phone not in cells
        assert not any(item.phone in cell for cell in cells)


def test_the_ledger_has_only_the_clerks_jurisdiction(
    client, county_clerk, other_county_clerk, ledger
):
    client.force_login(county_clerk)
    codes = set(by_code(export(client)))
    assert ledger["neighbour"].tracking_code not in codes
    assert codes == {item.tracking_code for key, item in ledger.items() if key != "neighbour"}
    client.force_login(other_county_clerk)
    assert set(by_code(export(client))) == {ledger["neighbour"].tracking_code}


def test_the_ledger_follows_the_changelist_filters(client, county_clerk, ledger):
    client.force_login(county_clerk)
    rows = export(client, sorting="not_feasible")
    assert [row["Tracking code"] for row in rows] == [ledger["rejected"].tracking_code]
    rows = export(client, status__exact="assigned")
    assert [row["Tracking code"] for row in rows] == [ledger["waiting"].tracking_code]


def test_a_merged_item_shows_the_reply_its_constituent_got(
    client, county_clerk, submit, roads_rule, department_user
):
    primary = submit(title="梅花村道路坑洼")
    duplicate = submit(title="梅花村道路积水")
    services.case_route(case_id=primary.pk)
    services.case_merge(primary=primary, duplicates=[duplicate], user=county_clerk)
    services.case_reply(
        case=primary,
        department=roads_rule.department,
        author=department_user,
        public_text="已修复。",
    )
    client.force_login(county_clerk)
    row = by_code(export(client))[duplicate.tracking_code]
    assert row["Status"] == "Merged"
    assert row["Reply"] == "已修复。"


def test_the_export_page_lists_the_columns(client, county_clerk, ledger):
    client.force_login(county_clerk)
    response = client.get(reverse(EXPORT))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Mobile (masked)" in page and "Year-end sorting" in page


@pytest.mark.parametrize("who", ["department_user", "deputy_user"])
def test_handlers_and_deputies_cannot_export(client, request, ledger, who):
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse(EXPORT), {"format": "0", "resource": "0"})
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_export_queries_do_not_grow_with_the_number_of_rows(
    client, county_clerk, submit, roads_rule, department_user, django_assert_max_num_queries
):
    def add(n):
        for i in range(n):
            item = submit(title=f"意见{Suggestion.objects.count()}-{i}")
            services.case_route(case_id=item.pk)
            services.case_reply(
                case=item,
                department=roads_rule.department,
                author=department_user,
                public_text=f"答复{i}",
            )

    def count_queries() -> tuple[int, int]:
        with django_assert_max_num_queries(10) as queries:
            rows = export(client)
        return len(queries), len(rows)

    client.force_login(county_clerk)
    add(3)
    few, rows = count_queries()
    assert rows == 3
    add(17)
    many, rows = count_queries()
    assert rows == 20
    assert many == few


def test_the_resource_on_its_own_is_scoped_to_its_user(county_clerk, ledger):
    dataset = SuggestionLedgerResource(user=county_clerk).export(queryset=Suggestion.objects.all())
    codes = set(dataset["Tracking code"])
    assert ledger["neighbour"].tracking_code not in codes
    assert ledger["handled"].tracking_code in codes


def test_dates_in_the_ledger_are_beijing_dates(client, county_clerk, submit):
    # 20:00 UTC is 04:00 the next day in Beijing: the ledger shows the Beijing date.
    item = submit()
    late = dt.datetime(2026, 3, 1, 20, 0, tzinfo=dt.UTC)
    Suggestion.objects.filter(pk=item.pk).update(received_at=late)
    client.force_login(county_clerk)
    row = by_code(export(client))[item.tracking_code]
    assert row["Received on"].date() == dt.date(2026, 3, 2)
