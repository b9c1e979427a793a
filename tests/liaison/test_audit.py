"""The audit trail: every change to an item, by the admin or a service, on the item's
history page with who, when and what; personal values masked; scoped like the item;
and nothing at all about the secret ballot.

Alice is the Hengyang county clerk, Bob the Hengnan county clerk next door. The opinions'
fixtures (a Xidu station, the roads category, the county's transport bureau, the public
form's ``submit``) are the suggestions tests' own, imported rather than written again.
"""

# ruff: noqa: F811  (a test naming an imported fixture is not a redefinition)

import datetime as dt
import itertools

import pytest
from auditlog.models import LogEntry as AuditEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from liaison import audit
from liaison.models import Region
from stations.models import PointEntry, PointKind
from suggestions import services
from suggestions.models import Case, Suggestion
from tests.factories import (
    CongressFactory,
    make_cycle,
    make_department,
    make_rule_for_points,
    make_user,
    make_voters,
)
from tests.suggestions.conftest import (  # noqa: F401  (fixtures)
    other_station,
    roads,
    roads_rule,
    station,
    submit,
    transport_bureau,
    water,
)
from votes import services as votes

# Pages are checked by their English msgids, whatever the catalogue holds.
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def bureau(transport_bureau, roads_rule):
    """The county's transport bureau, which the rule routes roads to; Dan handles."""
    return transport_bureau


@pytest.fixture
def item(submit) -> Suggestion:
    """张三's opinion (13800138000) from a Xidu station, from the public form."""
    return submit(title="西渡镇梅花村道路坑洼")


@pytest.fixture
def neighbours_item(submit, other_station) -> Suggestion:
    return submit(station=other_station, title="云集镇路灯不亮", name="李四", phone="13911112222")


def history_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])


def change_item(client, item, **fields):
    """Post the item's change form as the office does (only category and region are
    editable; the inlines are read-only)."""
    return client.post(
        reverse("admin:suggestions_suggestion_change", args=[item.pk]),
        {
            "category": item.category_id,
            "region": item.region_id,
            **fields,
            **{
                f"{prefix}-{key}": value
                for prefix in ("assignments", "replies", "follow_ups", "events")
                for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
            },
        },
    )


def rows_of(response) -> list:
    assert response.status_code == 200, response.content[:300]
    return response.context["rows"]


# --- Who, when, what ---------------------------------------------------------------------


def test_the_admins_change_shows_who_made_it_and_the_field_old_and_new(
    client, county_clerk, item, water
):
    county_clerk.first_name = "王丽"
    county_clerk.save()
    client.force_login(county_clerk)
    before = timezone.now()
    assert change_item(client, item, category=water.pk).status_code == 302

    rows = rows_of(client.get(history_url(item)))
    newest = rows[0]
    assert newest.at >= before
    assert {row.source for row in rows[:2]} == {"admin form", "recorded change"}
    recorded = next(row for row in rows[:2] if row.source == "recorded change")
    assert recorded.actor == "王丽"
    assert recorded.action == "Changed"
    assert [(c.label, c.old, c.new) for c in recorded.changes] == [
        ("category", "道路交通", "饮水与水利")
    ]
    form_entry = next(row for row in rows[:2] if row.source == "admin form")
    assert form_entry.actor == "王丽"
    assert "Category" in form_entry.message


def test_a_service_run_from_an_admin_action_is_recorded_with_the_clerk_as_actor(
    client, county_clerk, item, bureau
):
    client.force_login(county_clerk)
    response = client.post(
        reverse("admin:suggestions_suggestion_changelist"),
        {
            "action": "assign_cases",
            "_selected_action": [str(item.pk)],
            "apply": "1",
            "lead": bureau.pk,
            "time_limit_days": "10",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == Case.Status.ASSIGNED

    rows = rows_of(client.get(history_url(item)))
    status_rows = [r for r in rows if any(c.label == "status" for c in r.changes)]
    assert status_rows, [r.changes for r in rows]
    assert status_rows[0].actor == "alice"
    change = next(c for c in status_rows[0].changes if c.label == "status")
    assert (change.old, change.new) == ("Received", "Assigned")


def test_a_change_outside_any_request_is_shown_as_made_by_the_system(
    client, county_clerk, item, bureau
):
    # A Celery task or a command has no request, so no actor, whatever it passes on.
    services.case_assign(case=item, lead=bureau, actor=county_clerk)
    client.force_login(county_clerk)
    rows = rows_of(client.get(history_url(item)))
    assert rows[0].actor == "system"
    assert any(c.label == "status" and c.new == "Assigned" for c in rows[0].changes)


def test_the_history_masks_the_constituents_name_and_phone(client, county_clerk, item):
    client.force_login(county_clerk)
    response = client.get(history_url(item))
    created = rows_of(response)[-1]
    assert created.action == "Created"
    shown = {c.label: c.new for c in created.changes}
    assert shown["mobile"] == "138****8000"
    assert shown["name"] == "张*"
    page = response.content.decode()
    assert "138****8000" in page
    assert "13800138000" not in page
    assert "张三" not in page
    # Nor does the stored trail hold them: anonymising the item leaves nothing behind.
    stored = AuditEntry.objects.filter(object_pk=str(item.pk)).values_list("changes", flat=True)
    assert not any("13800138000" in str(c) or "张三" in str(c) for c in stored)


def test_the_trail_of_a_suggestion_includes_its_case_rows(client, county_clerk, item, bureau):
    """The handling services save the parent Case row; its changes are the item's too."""
    services.case_assign(case=Case.objects.get(pk=item.pk), lead=bureau, actor=county_clerk)
    case_type = ContentType.objects.get_for_model(Case)
    assert AuditEntry.objects.filter(content_type=case_type, object_pk=str(item.pk)).exists()
    client.force_login(county_clerk)
    assert any(
        c.label == "status" for row in rows_of(client.get(history_url(item))) for c in row.changes
    )


def test_the_history_page_is_newest_first_and_paginated(client, admin_user, xidu):
    for number in range(55):
        xidu.name = f"西渡镇{number}"
        xidu.save()
    client.force_login(admin_user)
    first = client.get(history_url(xidu))
    rows = rows_of(first)
    assert len(rows) == 50
    assert [c.new for c in rows[0].changes] == ["西渡镇54"]
    assert [c.new for c in rows[1].changes] == ["西渡镇53"]
    assert all(a.at >= b.at for a, b in itertools.pairwise(rows))
    assert first.context["page_obj"].paginator.count == 56  # 55 changes and the creation
    second = rows_of(client.get(history_url(xidu), {"p": 2}))
    assert len(second) == 6
    assert second[-1].action == "Created"


def test_the_history_page_takes_the_same_queries_however_long_the_history(
    client, county_clerk, item, bureau, roads, water
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        client.get(history_url(item))  # warm the content-type cache
        with CaptureQueriesContext(connection) as context:
            rows_of(client.get(history_url(item)))
        return len(context)

    client.force_login(county_clerk)
    services.case_assign(case=item, lead=bureau, actor=county_clerk)
    assert change_item(client, item, category=water.pk).status_code == 302
    short = queries()
    for _round in range(5):
        services.case_assign(case=item, lead=bureau, actor=county_clerk)
    item.refresh_from_db()
    assert change_item(client, item, category=roads.pk).status_code == 302
    # Session, user, permissions (2), the item, count, page, entries of each kind, and
    # one query per kind of object the changes name (region, station, category).
    assert queries() == short <= 12


# --- Scoped like the object ------------------------------------------------------------


def test_another_countys_item_history_is_a_404(client, county_clerk, neighbours_item):
    client.force_login(county_clerk)
    assert client.get(history_url(neighbours_item)).status_code == 404


def test_a_township_clerk_cannot_read_the_history_of_the_county_above(
    client, township_clerk, hengyang_county
):
    client.force_login(township_clerk)
    assert client.get(history_url(hengyang_county)).status_code == 404
    xidu = Region.objects.get(code="430421100000")
    assert client.get(history_url(xidu)).status_code == 200


@pytest.mark.parametrize("who", ["deputy_user", "department_user"])
def test_deputies_and_handlers_never_reach_a_history_page(client, request, who, item):
    client.force_login(request.getfixturevalue(who))
    response = client.get(history_url(item))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# --- The whole trail: administrators only ------------------------------------------------


def test_only_administrators_browse_the_whole_audit_trail(
    client, admin_user, county_clerk, city_clerk, item
):
    url = reverse("admin:auditlog_logentry_changelist")
    for clerk in (county_clerk, city_clerk):
        client.force_login(clerk)
        assert client.get(url).status_code == 403
        entry = AuditEntry.objects.filter(object_pk=str(item.pk)).first()
        change = reverse("admin:auditlog_logentry_change", args=[entry.pk])
        assert client.get(change).status_code == 403
    client.force_login(admin_user)
    page = client.get(url)
    assert page.status_code == 200
    assert "13800138000" not in page.content.decode()


def test_the_trail_has_no_personal_values_in_full_for_deputies_and_departments(
    hengyang_county,
):
    from stations.models import Deputy

    deputy = Deputy.objects.create(code="D1", name="刘代表", region=hengyang_county)
    deputy.phone = "13712345678"
    deputy.save()
    bureau = make_department("衡阳县水利局", hengyang_county, supervisor_phone="13900001111")
    stored = str(list(AuditEntry.objects.values_list("changes", flat=True)))
    assert "137****5678" in stored and "139****1111" in stored
    assert "13712345678" not in stored and "13900001111" not in stored
    assert bureau.pk


def test_mask_personal_keeps_enough_to_recognise_and_not_to_use():
    assert audit.mask_personal("13800138000") == "138****8000"
    assert audit.mask_personal("张三") == "张*"
    assert audit.mask_personal("欧阳修") == "欧**"
    assert audit.mask_personal("wang@example.cn") == "***@example.cn"
    assert audit.mask_personal("430421199001011234") == "430****1234"
    assert audit.mask_personal("None") == "None"
    assert audit.mask_personal("") == ""


# --- The secret ballot leaves no trail -----------------------------------------------------


SECRET_MODELS = ["ballot", "mark", "rollentry", "attendance", "tallysheet", "tallyline"]


@pytest.mark.parametrize("name", SECRET_MODELS)
def test_secret_ballot_models_are_not_registered(name):
    model = apps.get_model("votes", name)
    assert not auditlog.contains(model)
    assert f"votes.{name}" in audit.SECRET


def test_casting_closing_tallying_and_counting_leave_no_trail_of_the_ballot(
    county_clerk, hengyang_county
):
    congress = CongressFactory(region=hengyang_county, level="county", name="衡阳县人民代表大会")
    voters = make_voters(congress, 3)
    cycle = make_cycle(congress, places=3, candidates=4)
    make_rule_for_points(hengyang_county, PointKind.BALLOT_CAST, 2)
    amy = make_user("amy", role="office", region=hengyang_county)
    round_ = votes.voting_open(cycle=cycle, by=county_clerk)
    candidates = list(round_.candidates.order_by("number"))

    before = AuditEntry.objects.count()
    receipts = [
        votes.ballot_cast(
            round_=round_,
            deputy=deputy,
            marks={str(c.pk): "for" if c.number <= 2 else "against" for c in candidates},
        )
        for deputy in voters[:2]
    ]
    # Casting writes nothing to the trail at all: not the roll, the ballot, the marks,
    # nor the points the cast earns (their audit row would stamp the moment of the vote).
    assert AuditEntry.objects.count() == before
    assert PointEntry.objects.filter(kind=PointKind.BALLOT_CAST).count() == 2

    votes.round_close(round_=round_, by=county_clerk)
    lines = {(c.pk, choice): 0 for c in candidates for choice in ("for", "against", "abstain")}
    for clerk in (county_clerk, amy):
        votes.tally_enter(round_=round_, by=clerk, issued=1, returned=0, invalid=0, lines=lines)
    votes.round_count(round_=round_, by=county_clerk)

    secret_types = ContentType.objects.get_for_models(
        *(apps.get_model("votes", name) for name in SECRET_MODELS)
    ).values()
    assert not AuditEntry.objects.filter(content_type__in=secret_types).exists()
    trail = str(list(AuditEntry.objects.values_list("changes", "object_repr")))
    assert not any(receipt in trail for receipt in receipts)
    # The round itself is on the record: who closed and counted it, and when.
    round_type = ContentType.objects.get_for_model(round_)
    assert AuditEntry.objects.filter(content_type=round_type, object_pk=str(round_.pk)).exists()


def test_secret_and_audited_lists_do_not_overlap():
    assert not audit.SECRET & audit.AUDITED.keys()


def test_every_other_point_entry_is_on_the_record(hengyang_county):
    from stations import points

    deputy = apps.get_model("stations", "deputy").objects.create(
        code="D9", name="赵代表", region=hengyang_county
    )
    make_rule_for_points(hengyang_county, PointKind.RECEPTION_LOGGED, 5)
    entry = points.points_award(
        deputy=deputy,
        kind=PointKind.RECEPTION_LOGGED,
        occurred_on=dt.date(2026, 3, 1),
        source_key="reception:1",
    )
    assert AuditEntry.objects.get_for_object(entry).exists()
