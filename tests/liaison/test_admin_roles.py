"""Each role sees in the admin only what it may use, tried from the outside.

The users: root (administrator); office staff of Hunan province (hana), Hengyang city
(carol), Hengyang county (alice), Hengnan county (bob) and Xidu township (tina); Dan, a
department handler; Dora, a deputy; and an anonymous visitor. For each: which task
groups and models the admin index lists, and what the admin's URLs answer.
"""

import pytest
from django.urls import reverse

from stations.models import Station
from tests.factories import StationFactory, make_user

pytestmark = pytest.mark.usefixtures("english")

# What every office account works with, by task group (the index's English titles).
OFFICE_MENUS = {
    "Opinion handling": [
        "suggestions.suggestion",
        "suggestions.deputysuggestion",
        "stations.reception",
        "suggestions.assignment",
        "suggestions.reply",
        "suggestions.followup",
        "suggestions.workorder",
        "suggestions.department",
        "suggestions.routingrule",
        "suggestions.category",
        "suggestions.resultclass",
    ],
    "Deputies' work": [
        "stations.deputy",
        "stations.deputygroup",
        "stations.congress",
        "stations.pointentry",
        "stations.pointrule",
        "stations.gradeband",
    ],
    "Stations and reception days": [
        "stations.station",
        "stations.placement",
        "stations.receptionschedule",
        "stations.receptionday",
        "stations.dutyswap",
    ],
    "Project ballots": [
        "votes.ballotcycle",
        "votes.proposal",
        "votes.negativelistitem",
        "votes.roundresult",
        "votes.project",
    ],
    "System administration": [
        "liaison.region",
        "liaison.workdayoverride",
        "suggestions.integration",
        "suggestions.callbackdelivery",
        "suggestions.personaldataaccess",
    ],
}
# Accounts, tokens, the whole audit trail and the machinery's records cross regions.
ADMINISTRATORS_ONLY = [
    "liaison.user",
    "auth.group",
    "authtoken.tokenproxy",
    "liaison.notification",
    "liaison.outboxmessage",
    "auditlog.logentry",
]
OFFICE = ["province_clerk", "city_clerk", "county_clerk", "township_clerk"]
# The jobs' own menu entry is decided by the jobs' rules; not part of this matrix.
JOBS = "liaison.job"


@pytest.fixture
def stations(xidu, hengyang_county, yunji) -> dict[str, Station]:
    return {
        "xidu": StationFactory(code="XD001", name="西渡镇联络站", region=xidu),
        "county": StationFactory(code="HY001", name="衡阳县中心站", region=hengyang_county),
        "yunji": StationFactory(code="YJ001", name="云集镇联络站", region=yunji),
    }


def menus(client) -> dict[str, list[str]]:
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200, response.content[:300]
    return {
        str(group["name"]): [
            f"{m['model']._meta.app_label}.{m['model']._meta.model_name}"
            for m in group["models"]
            if f"{m['model']._meta.app_label}.{m['model']._meta.model_name}" != JOBS
        ]
        for group in response.context["app_list"]
    }


def url_of(label: str, page: str = "changelist", *args) -> str:
    app_label, model = label.split(".")
    return reverse(f"admin:{app_label}_{model}_{page}", args=args)


# --- The index ------------------------------------------------------------------------------


def test_an_administrator_sees_every_group_and_model(client, admin_user):
    client.force_login(admin_user)
    listed = menus(client)
    for group, models in OFFICE_MENUS.items():
        assert [m for m in listed[group] if m in models] == models
    assert set(ADMINISTRATORS_ONLY) <= set(listed["System administration"])


@pytest.mark.parametrize("who", OFFICE)
def test_office_staff_at_every_level_see_their_work_and_nothing_else(client, request, who):
    client.force_login(request.getfixturevalue(who))
    listed = {group: models for group, models in menus(client).items() if models}
    expected = dict(OFFICE_MENUS)
    if who != "township_clerk":  # one person's data requests: county offices and above
        system = expected["System administration"]
        expected["System administration"] = [*system, "suggestions.personaldatarequest"]
    assert listed == expected


@pytest.mark.parametrize("who", OFFICE)
def test_office_staff_see_no_add_link_where_they_may_not_add(client, request, who):
    """Categories and the holiday calendar are the province's; items come in through
    the intake and deputies' own pages, never typed in the admin."""
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("admin:index"))
    addable = {
        f"{m['model']._meta.app_label}.{m['model']._meta.model_name}"
        for group in response.context["app_list"]
        for m in group["models"]
        if m["add_url"]
    }
    assert "suggestions.suggestion" not in addable
    assert "suggestions.deputysuggestion" not in addable
    assert "votes.project" not in addable
    assert "stations.station" in addable
    province = who == "province_clerk"
    assert ("suggestions.category" in addable) is province
    assert ("liaison.workdayoverride" in addable) is province


# --- Who may reach the admin at all ----------------------------------------------------------


@pytest.mark.parametrize("who", ["deputy_user", "department_user", None])
@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/suggestions/suggestion/",
        "/admin/tasks/opinions/",
        "/admin/suggestions/",
        "/admin/auditlog/logentry/",
    ],
)
def test_deputies_handlers_and_visitors_are_sent_to_the_login(client, request, who, url):
    if who:
        client.force_login(request.getfixturevalue(who))
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("role", ["deputy", "department"])
def test_a_deputy_or_handler_wrongly_ticked_staff_still_stays_out(client, db, role):
    user = make_user(f"ticked-{role}", role=role, is_staff=True)
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_deputy_signing_in_at_the_admin_login_is_turned_away(client, deputy_user):
    response = client.post(
        reverse("admin:login"),
        {"username": "dora", "password": "correct horse battery", "next": "/admin/"},
    )
    assert response.status_code == 200  # the form again, with an error
    assert response.context["form"].errors


# --- What the admin's URLs answer -----------------------------------------------------------


@pytest.mark.parametrize("label", ADMINISTRATORS_ONLY)
def test_administrators_open_the_cross_region_records(client, admin_user, label):
    client.force_login(admin_user)
    assert client.get(url_of(label)).status_code == 200


@pytest.mark.parametrize("label", ADMINISTRATORS_ONLY)
@pytest.mark.parametrize("who", OFFICE)
def test_office_staff_are_refused_the_cross_region_records(client, request, who, label):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url_of(label)).status_code == 403


@pytest.mark.parametrize("who", OFFICE)
@pytest.mark.parametrize("label", [m for models in OFFICE_MENUS.values() for m in models])
def test_office_staff_open_every_list_in_their_menus(client, request, who, label):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url_of(label)).status_code == 200


@pytest.mark.parametrize(
    ("who", "station", "status"),
    [
        ("admin_user", "yunji", 200),
        ("province_clerk", "yunji", 200),
        ("city_clerk", "yunji", 200),
        ("county_clerk", "xidu", 200),
        ("county_clerk", "county", 200),
        ("county_clerk", "yunji", 404),
        ("other_county_clerk", "xidu", 404),
        ("township_clerk", "xidu", 200),
        ("township_clerk", "county", 404),
    ],
)
@pytest.mark.parametrize("page", ["change", "history"])
def test_a_station_page_opens_only_inside_the_users_region(
    client, request, stations, who, station, status, page
):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url_of("stations.station", page, stations[station].pk)).status_code == (
        status
    )


@pytest.mark.parametrize("who", OFFICE)
def test_only_the_province_adds_categories_and_holidays(client, request, who):
    client.force_login(request.getfixturevalue(who))
    expected = 200 if who == "province_clerk" else 403
    assert client.get(url_of("suggestions.category", "add")).status_code == expected
    assert client.get(url_of("liaison.workdayoverride", "add")).status_code == expected


@pytest.mark.parametrize("who", [*OFFICE, "admin_user"])
def test_nobody_types_an_opinion_into_the_admin(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url_of("suggestions.suggestion", "add")).status_code == 403


def test_the_system_group_page_shows_a_clerk_regions_holidays_integrations_and_reveals(
    client, county_clerk
):
    client.force_login(county_clerk)
    response = client.get(reverse("admin:task_group", args=["system"]))
    assert response.status_code == 200
    (group,) = response.context["app_list"]
    assert [m["object_name"] for m in group["models"]] == [
        "Region",
        "WorkdayOverride",
        "Integration",
        "CallbackDelivery",
        "PersonalDataAccess",
        "PersonalDataRequest",
    ]
