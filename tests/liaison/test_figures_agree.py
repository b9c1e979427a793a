"""The dashboard, the Excel report and the ledger export agree, figure by figure.

One county's year is built by hand — several months, categories and townships; items
closed on time, late (by the Beijing date, not the UTC one), never given a deadline,
overdue now, merged, promoted, rejected; ratings of every kind; items just inside and
just outside the year in Beijing time; a neighbour county's item — and its figures are
read three ways, as a Hengyang city clerk who drills down to the county:

* the admin index's dashboard (the figures' data attributes and the chart payload),
* the Excel report (the workbook as openpyxl reads it),
* the ledger export from the opinions' changelist, from whose rows the figures are
  recomputed here with the definitions of ``liaison.stats``.

All three must equal each other and the numbers worked out by hand below.
"""

import datetime as dt
import io
import json
from collections import Counter
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from stations.models import Deputy
from suggestions.models import DeputySuggestion, Suggestion
from tests.factories import CongressFactory, make_category, make_region

TZ = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 3, 15)
COUNTY = "430421000000"
XIDU, JINGTOU = "430421100000", "430421101000"

# Worked out by hand from ``ledger`` (see the comment on each item there).
EXPECTED = {
    "received": 13,
    "merged": 1,
    "promoted": 1,
    "rejected": 1,
    "to_handle": 10,
    "closed": 7,
    "open": 3,
    "closed_rate": 70.0,
    "on_time": 5,
    "on_time_rate": 71.4,
    "rated": 5,
    "satisfied": 4,
    "satisfaction_rate": 80.0,
    "overdue_now": 3,
}
EXPECTED_CATEGORIES = {
    # label: (received, closed, overdue now)
    "道路交通": (7, 4, 2),
    "饮水与水利": (4, 3, 1),
    "No category": (2, 0, 0),
}
EXPECTED_REGIONS = {"西渡镇": 8, "井头镇": 4, "衡阳县 itself": 1}
EXPECTED_MONTHS = {1: 3, 3: 2, 4: 1, 5: 1, 6: 2, 7: 1, 8: 1, 11: 1, 12: 1}


# Pages are checked by their English msgids, whatever the catalogue holds.
pytestmark = pytest.mark.usefixtures("english")


def at(text: str) -> dt.datetime:
    """A moment in Beijing time."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def today():
    with time_machine.travel(dt.datetime(2026, 3, 15, 10, 0, tzinfo=TZ), tick=False):
        yield TODAY


@pytest.fixture
def ledger(today, hengyang_county, xidu, yunji):
    jingtou = make_region(JINGTOU, "井头镇")
    roads = make_category("roads", "道路交通")
    water = make_category("water", "饮水与水利")
    county = hengyang_county

    def item(code, region, category, received, status, **extra):
        return Suggestion.objects.create(
            region=region,
            category=category,
            title=f"意见{code}",
            content=f"测试意见{code}的内容。",
            channel="web",
            status=status,
            received_at=at(received),
            **extra,
        )

    a = item(
        "A",
        xidu,
        roads,
        "2025-01-10 09:00",
        "closed",
        due_date=dt.date(2025, 1, 24),
        replied_at=at("2025-01-20 10:00"),
        closed_at=at("2025-01-22 10:00"),
        satisfaction="satisfied",
    )  # closed on time, satisfied
    item(
        "B",
        xidu,
        roads,
        "2025-01-25 09:00",
        "closed",
        due_date=dt.date(2025, 2, 7),
        replied_at=at("2025-02-10 10:00"),
        satisfaction="basically",
    )  # closed late, basically satisfied
    item(
        "C",
        xidu,
        water,
        "2025-03-05 09:00",
        "replied",
        due_date=dt.date(2025, 3, 20),
        replied_at=at("2025-03-20 17:00"),
    )  # replied on its due date: closed and on time, not rated yet
    item(
        "D",
        jingtou,
        water,
        "2025-03-31 23:30",
        "answered_on_spot",
        replied_at=at("2025-03-31 23:40"),
    )  # March in Beijing (still the 31st in UTC too); no deadline: on time
    item(
        "E",
        jingtou,
        roads,
        "2025-04-02 09:00",
        "reopened",
        due_date=dt.date(2025, 4, 30),
        replied_at=at("2025-04-20 10:00"),
        satisfaction="unsatisfied",
        reopen_count=1,
    )  # rated unsatisfied, reopened, now overdue
    item(
        "F", county, None, "2025-06-01 09:00", "assigned", due_date=dt.date(2026, 4, 1)
    )  # filed at the county itself, open, not yet due
    item(
        "G",
        xidu,
        roads,
        "2025-06-15 09:00",
        "merged",
        merged_into=a,
        closed_at=at("2025-06-15 10:00"),
    )  # merged into A
    item("H", xidu, water, "2025-07-01 09:00", "promoted")  # turned into a suggestion
    item("I", jingtou, None, "2025-08-08 09:00", "rejected")  # not admissible
    item("J", xidu, roads, "2025-12-31 23:59", "received")  # 31 December in Beijing
    item(
        "K",
        jingtou,
        roads,
        "2025-11-11 09:00",
        "closed",
        due_date=dt.date(2025, 11, 25),
        replied_at=at("2025-11-26 00:30"),
        satisfaction="satisfied",
    )  # replied on the 26th in Beijing (the 25th in UTC): late
    item(
        "L",
        xidu,
        roads,
        "2025-05-05 09:00",
        "closed",
        due_date=dt.date(2025, 5, 20),
        replied_at=at("2025-05-19 10:00"),
        satisfaction="not_rated",
    )  # closed on time; "not rated" is no rating
    item(
        "P",
        xidu,
        water,
        "2025-01-01 00:10",
        "closed",
        replied_at=at("2025-01-01 09:00"),
        satisfaction="satisfied",
    )  # 1 January in Beijing (31 December in UTC), no deadline
    # Outside the year, or the county: only "overdue now" may count them.
    item(
        "M", xidu, roads, "2024-12-31 23:00", "assigned", due_date=dt.date(2025, 1, 15)
    )  # 2024 in Beijing; overdue now
    item(
        "N", xidu, water, "2026-01-05 09:00", "assigned", due_date=dt.date(2026, 2, 1)
    )  # 2026; overdue now
    item(
        "O", yunji, roads, "2025-05-05 09:00", "assigned", due_date=dt.date(2025, 6, 1)
    )  # the neighbour county: never counted
    # A deputy suggestion of the county: not a constituent opinion.
    congress = CongressFactory(region=county)
    author = Deputy.objects.create(code="DS0001", name="李代表", region=xidu)
    DeputySuggestion.objects.create(
        region=xidu,
        congress=congress,
        author=author,
        title="关于修缮乡村道路的建议",
        content="建议修缮。",
        status="received",
        received_at=at("2025-02-02 09:00"),
        accepted_at=at("2025-02-02 09:00"),
        year=2025,
        number="001",
    )


# --- Reading the three -------------------------------------------------------------


class _Page(HTMLParser):
    """The data-figure/data-value pairs and the json_script payload of a page."""

    def __init__(self):
        super().__init__()
        self.figures: dict[str, str] = {}
        self.payload = ""
        self._in_payload = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-figure" in attrs:
            self.figures.setdefault(attrs["data-figure"], attrs.get("data-value", ""))
        self._in_payload = attrs.get("id") == "dashboard-data"

    def handle_data(self, data):
        if self._in_payload:
            self.payload += data

    def handle_endtag(self, tag):
        self._in_payload = False


def number(text: str):
    return None if text in ("", None) else (float(text) if "." in text else int(text))


def from_dashboard(client) -> dict:
    response = client.get(reverse("admin:index"), {"region": COUNTY, "period": "2025"})
    assert response.status_code == 200
    page = _Page()
    page.feed(response.content.decode())
    data = json.loads(page.payload)
    figures = {key: number(value) for key, value in page.figures.items()}
    assert data["headline"] == figures  # the charts' payload and the tiles are one
    categories = {
        label: (received, closed)
        for label, received, closed in zip(
            data["categories"]["labels"],
            data["categories"]["received"],
            data["categories"]["closed"],
            strict=True,
        )
    }
    regions = dict(zip(data["regions"]["labels"], data["regions"]["received"], strict=True))
    months = {
        int(label[5:]): received
        for label, received in zip(
            data["months"]["labels"], data["months"]["received"], strict=True
        )
        if received
    }
    return {"figures": figures, "categories": categories, "regions": regions, "months": months}


def from_workbook(client) -> dict:
    response = client.get(
        reverse("liaison_report"), {"region": COUNTY, "year": "2025", "format": "xlsx"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    figures = {}
    for label, value in book["Figures"].iter_rows(min_row=1, max_col=2, values_only=True):
        figures[label] = value

    def sheet(name):
        rows = list(book[name].iter_rows(values_only=True))
        return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]

    return {
        "figures": figures,
        "categories": {
            row["Category"]: (row["Received"], row["Closed"], row["Overdue now"])
            for row in sheet("By category")
        },
        "regions": {row["Region"]: row["Received"] for row in sheet("By region")},
        "months": {
            int(row["Month"][5:]): row["Received"]
            for row in sheet("Monthly trend")
            if row["Received"]
        },
    }


def from_ledger(client) -> dict:
    """Export the county's ledger through the changelist, and recompute the figures
    from its rows with the definitions the dashboard documents."""
    url = reverse("admin:suggestions_suggestion_export") + f"?region={COUNTY}"
    response = client.post(url, {"format": "0", "resource": "0"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    rows = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]

    def day(value):
        return value.date() if isinstance(value, dt.datetime) else value

    year = [row for row in rows if day(row["Received on"]).year == 2025]
    status = Counter(row["Status"] for row in year)
    closed_rows = [
        row for row in year if row["Status"] in ("Replied", "Answered on the spot", "Closed")
    ]
    on_time = sum(
        1
        for row in closed_rows
        if row["Due date"] is None or day(row["Replied on"]) <= day(row["Due date"])
    )
    rated = [
        r for r in year if r["Satisfaction"] in ("Satisfied", "Basically satisfied", "Unsatisfied")
    ]
    satisfied = [r for r in rated if r["Satisfaction"] != "Unsatisfied"]
    open_statuses = ("Received", "Assigned", "Reopened")

    def overdue(row):
        return (
            row["Status"] in open_statuses
            and row["Due date"] is not None
            and day(row["Due date"]) < TODAY
        )

    set_aside = status["Merged"] + status["Promoted to a deputy suggestion"] + status["Rejected"]
    to_handle = len(year) - set_aside

    def pct(part, whole):
        return round(100 * part / whole, 1) if whole else None

    categories = {}
    for name in {row["Category"] or "No category" for row in rows}:
        mine = [row for row in year if (row["Category"] or "No category") == name]
        categories[name] = (
            len(mine),
            sum(row in closed_rows for row in mine),
            sum(overdue(row) for row in rows if (row["Category"] or "No category") == name),
        )
    return {
        "figures": {
            "received": len(year),
            "merged": status["Merged"],
            "promoted": status["Promoted to a deputy suggestion"],
            "rejected": status["Rejected"],
            "to_handle": to_handle,
            "closed": len(closed_rows),
            "open": sum(status[s] for s in open_statuses),
            "closed_rate": pct(len(closed_rows), to_handle),
            "on_time": on_time,
            "on_time_rate": pct(on_time, len(closed_rows)),
            "rated": len(rated),
            "satisfied": len(satisfied),
            "satisfaction_rate": pct(len(satisfied), len(rated)),
            "overdue_now": sum(overdue(row) for row in rows),
        },
        "categories": {name: value for name, value in categories.items() if any(value)},
        "months": dict(Counter(day(row["Received on"]).month for row in year)),
        "region_names": Counter(row["Region"] for row in year),
    }


# Workbook labels of the headline figures, by key (the English msgids).
LABELS = {
    "received": "Opinions received",
    "merged": "Merged into another item",
    "promoted": "Turned into deputy suggestions",
    "rejected": "Not admissible",
    "to_handle": "To handle",
    "closed": "Closed",
    "open": "Still open",
    "closed_rate": "Closed rate",
    "on_time": "Closed on time",
    "on_time_rate": "On-time closing rate",
    "rated": "Rated by constituents",
    "satisfied": "Satisfied or basically satisfied",
    "satisfaction_rate": "Satisfaction rate",
    "overdue_now": "Overdue now",
}
PERCENT = {"closed_rate", "on_time_rate", "satisfaction_rate"}


def workbook_value(figures: dict, key: str):
    value = figures[LABELS[key]]
    # Rates are stored as fractions formatted 0.0%, the value the page shows.
    return round(value * 100, 1) if key in PERCENT else value


def test_dashboard_report_and_ledger_show_the_same_figures(client, city_clerk, ledger):
    client.force_login(city_clerk)
    dashboard = from_dashboard(client)
    workbook = from_workbook(client)
    exported = from_ledger(client)

    for key, expected in EXPECTED.items():
        assert dashboard["figures"][key] == expected, key
        assert workbook_value(workbook["figures"], key) == expected, key
        assert exported["figures"][key] == expected, key

    # By category: received and closed in the period, overdue now.
    assert exported["categories"] == EXPECTED_CATEGORIES
    assert workbook["categories"] == EXPECTED_CATEGORIES
    assert dashboard["categories"] == {
        label: counts[:2] for label, counts in EXPECTED_CATEGORIES.items()
    }
    # By month received, in Beijing time.
    assert exported["months"] == EXPECTED_MONTHS
    assert workbook["months"] == EXPECTED_MONTHS
    assert dashboard["months"] == EXPECTED_MONTHS
    # By township; the ledger names each item's own region (a township here, or the
    # county for the item filed at the county itself).
    assert workbook["regions"] == EXPECTED_REGIONS
    assert dashboard["regions"] == EXPECTED_REGIONS
    assert exported["region_names"] == {"西渡镇": 8, "井头镇": 4, "衡阳县": 1}


def test_the_deputy_suggestion_is_counted_as_one_not_as_an_opinion(client, city_clerk, ledger):
    client.force_login(city_clerk)
    dashboard = from_dashboard(client)
    workbook = from_workbook(client)
    assert dashboard["figures"]["ds_accepted"] == 1
    assert workbook["figures"]["Deputy suggestions accepted"] == 1
    assert dashboard["figures"]["received"] == 13
