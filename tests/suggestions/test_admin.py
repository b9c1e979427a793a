"""The office's side of suggestions in the admin, tried from the outside.

Alice is the Hengyang county clerk, Bob the Hengnan county clerk next door, Tina a clerk
of Xidu township inside Alice's county. Items come in through the intake service; the
admin acts on them only through the services.
"""

import datetime as dt

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from liaison.models import Notification
from suggestions import services
from suggestions.models import (
    Assignment,
    Case,
    Category,
    Department,
    Event,
    FollowUp,
    PersonalDataAccess,
    RoutingRule,
    Suggestion,
)
from tests.factories import make_region, make_user

CHANGELIST = "admin:suggestions_suggestion_changelist"


# Pages are checked by their English msgids, whatever the catalogue holds.
pytestmark = pytest.mark.usefixtures("english")


def change_url(item) -> str:
    return reverse("admin:suggestions_suggestion_change", args=[item.pk])


def reveal_url(item) -> str:
    return reverse("admin:suggestions_suggestion_reveal_phone", args=[item.pk])


def changelist(client, **params):
    response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200, response.content[:500]
    return response


def listed(response) -> set[int]:
    return {item.pk for item in response.context["cl"].result_list}


def act(client, action, items, **data):
    """Post an admin action for ``items``; with data, as the intermediate page's apply."""
    payload = {"action": action, ACTION_CHECKBOX_NAME: [str(item.pk) for item in items]}
    if data:
        payload |= {"apply": "1", **data}
    return client.post(reverse(CHANGELIST), payload)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages]


@pytest.fixture
def jingtou(hengyang_county):
    """A second township of Hengyang county, next to Xidu."""
    return make_region("430421101000", "井头镇")


@pytest.fixture
def items(submit, other_station, jingtou):
    """An item from Xidu (Alice's county, Tina's township), one from Jingtou (Alice's
    county, not Tina's) and one from Yunji (Bob's county)."""
    return {
        "xidu": submit(title="西渡镇梅花村道路坑洼", phone="13800138000"),
        "jingtou": submit(
            station=None, region=jingtou, title="井头镇集市垃圾清运", phone="13600001234"
        ),
        "yunji": submit(station=other_station, title="云集镇路灯不亮", phone="13911112222"),
    }


# --- Who sees what ------------------------------------------------------------------


def test_county_clerk_sees_own_county_items_and_not_the_neighbouring_countys(
    client, county_clerk, items
):
    client.force_login(county_clerk)
    response = changelist(client)
    assert listed(response) == {items["xidu"].pk, items["jingtou"].pk}
    page = response.content.decode()
    assert "西渡镇梅花村道路坑洼" in page
    assert "云集镇路灯不亮" not in page


@pytest.mark.parametrize("page", ["change", "history"])
def test_county_clerk_gets_404_opening_a_neighbouring_county_item_by_id(
    client, county_clerk, items, page
):
    client.force_login(county_clerk)
    url = reverse(f"admin:suggestions_suggestion_{page}", args=[items["yunji"].pk])
    assert client.get(url).status_code == 404


def test_county_clerk_opens_own_county_item(client, county_clerk, items):
    client.force_login(county_clerk)
    response = client.get(change_url(items["xidu"]))
    assert response.status_code == 200
    assert items["xidu"].tracking_code in response.content.decode()


def test_township_clerk_sees_only_own_township_items(client, township_clerk, items):
    client.force_login(township_clerk)
    assert listed(changelist(client)) == {items["xidu"].pk}
    assert client.get(change_url(items["jingtou"])).status_code == 404


def test_city_clerk_sees_both_counties(client, city_clerk, items):
    client.force_login(city_clerk)
    assert listed(changelist(client)) == {item.pk for item in items.values()}


@pytest.mark.parametrize("who", ["department_user", "deputy_user"])
def test_department_handlers_and_deputies_cannot_reach_the_changelist(client, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse(CHANGELIST))
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert reverse("admin:login") in response["Location"]


def test_anonymous_visitor_is_sent_to_login(client, items):
    response = client.get(change_url(items["xidu"]))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_items_cannot_be_added_in_the_admin(client, county_clerk, admin_user):
    for user in (county_clerk, admin_user):
        client.force_login(user)
        assert client.get(reverse("admin:suggestions_suggestion_add")).status_code == 403


def test_the_delete_action_is_absent_and_items_cannot_be_deleted(
    client, county_clerk, admin_user, items
):
    for user in (county_clerk, admin_user):
        client.force_login(user)
        response = changelist(client)
        actions = dict(response.context["action_form"].fields["action"].choices)
        assert "delete_selected" not in actions
        assert {"assign_cases", "remind_cases", "close_cases", "merge_cases"} <= set(actions)
        delete = reverse("admin:suggestions_suggestion_delete", args=[items["xidu"].pk])
        assert client.get(delete).status_code == 403
        act(client, "delete_selected", [items["xidu"]], post="yes")
    assert Suggestion.objects.filter(pk=items["xidu"].pk).exists()


# --- The phone: masked in lists, revealed by POST and logged ---------------------------


def test_the_changelist_never_shows_the_full_phone(client, county_clerk, admin_user, items):
    for user in (county_clerk, admin_user):
        client.force_login(user)
        page = changelist(client).content.decode()
        assert "138****8000" in page
        assert "13800138000" not in page
        assert "13911112222" not in page


def test_the_item_page_shows_the_phone_masked_with_a_reveal_link(client, county_clerk, items):
    client.force_login(county_clerk)
    page = client.get(change_url(items["xidu"])).content.decode()
    assert "138****8000" in page
    assert "13800138000" not in page
    assert reveal_url(items["xidu"]) in page


def test_revealing_the_phone_needs_a_post(client, county_clerk, items):
    client.force_login(county_clerk)
    response = client.get(reveal_url(items["xidu"]))
    assert response.status_code == 200
    assert "13800138000" not in response.content.decode()
    assert not PersonalDataAccess.objects.exists()


def test_revealing_the_phone_shows_it_and_logs_one_access(client, county_clerk, items):
    client.force_login(county_clerk)
    response = client.post(reveal_url(items["xidu"]), {"reason": "电话回访"})
    assert response.status_code == 200
    assert "13800138000" in response.content.decode()
    access = PersonalDataAccess.objects.get()
    assert access.user == county_clerk
    assert access.case_id == items["xidu"].pk
    assert access.field == "phone"
    assert access.reason == "电话回访"


def test_revealing_a_neighbouring_county_phone_is_a_404_and_logs_nothing(
    client, county_clerk, items
):
    client.force_login(county_clerk)
    assert client.post(reveal_url(items["yunji"]), {"reason": "x"}).status_code == 404
    assert client.get(reveal_url(items["yunji"])).status_code == 404
    assert not PersonalDataAccess.objects.exists()


def test_the_reveal_log_lists_who_saw_which_item(client, county_clerk, other_county_clerk, items):
    client.force_login(county_clerk)
    client.post(reveal_url(items["xidu"]), {"reason": ""})
    client.force_login(other_county_clerk)
    client.post(reveal_url(items["yunji"]), {"reason": ""})
    client.force_login(county_clerk)
    response = client.get(reverse("admin:suggestions_personaldataaccess_changelist"))
    assert response.status_code == 200
    assert [row.user for row in response.context["cl"].result_list] == [county_clerk]
    assert items["xidu"].title in response.content.decode()


# --- Search and filters -----------------------------------------------------------------


def test_search_by_tracking_code_ignores_case(client, county_clerk, items):
    client.force_login(county_clerk)
    code = items["xidu"].tracking_code
    assert listed(changelist(client, q=code.lower())) == {items["xidu"].pk}


def test_search_by_full_phone_only_since_the_number_is_encrypted(client, county_clerk, items):
    client.force_login(county_clerk)
    other = services.suggestion_submit(
        channel="web",
        station=items["xidu"].station,
        category=items["xidu"].category,
        title="另一件",
        content="另一位群众的意见。",
        phone="13700008000",
        consent=True,
    )
    assert listed(changelist(client, q="138 0013 8000")) == {items["xidu"].pk}
    assert listed(changelist(client, q="+86 137 0000 8000")) == {other.pk}
    # Part of a number finds nothing: the column holds ciphertext and the index a hash.
    assert listed(changelist(client, q="8000")) == set()


def test_search_by_title_words(client, county_clerk, items):
    client.force_login(county_clerk)
    assert listed(changelist(client, q="垃圾")) == {items["jingtou"].pk}
    assert listed(changelist(client, q="路灯")) == set()  # Bob's item stays out of reach


def test_filter_by_status(client, county_clerk, items, transport_bureau):
    services.case_assign(case=items["xidu"], lead=transport_bureau, actor=county_clerk)
    client.force_login(county_clerk)
    assert listed(changelist(client, status__exact="assigned")) == {items["xidu"].pk}
    assert listed(changelist(client, status__exact="received")) == {items["jingtou"].pk}


def test_filter_overdue_items(client, county_clerk, items):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Case.objects.filter(pk=items["xidu"].pk).update(status="assigned", due_date=yesterday)
    # Overdue only while open: a closed item past its date is not.
    Case.objects.filter(pk=items["jingtou"].pk).update(status="closed", due_date=yesterday)
    client.force_login(county_clerk)
    response = changelist(client, overdue="yes")
    assert listed(response) == {items["xidu"].pk}


def test_filter_by_handling_department(client, county_clerk, items, transport_bureau, water_bureau):
    services.case_assign(case=items["xidu"], lead=transport_bureau, actor=county_clerk)
    services.case_assign(
        case=items["jingtou"], lead=water_bureau, co_handlers=[transport_bureau], actor=None
    )
    client.force_login(county_clerk)
    assert listed(changelist(client, department=transport_bureau.pk)) == {
        items["xidu"].pk,
        items["jingtou"].pk,
    }
    assert listed(changelist(client, department=water_bureau.pk)) == {items["jingtou"].pk}
    # A re-assignment withdraws the old departments: they no longer count.
    services.case_assign(case=items["jingtou"], lead=water_bureau, actor=county_clerk)
    assert listed(changelist(client, department=transport_bureau.pk)) == {items["xidu"].pk}


def test_township_clerk_can_filter_by_the_county_bureaus_serving_the_township(
    client, township_clerk, items, transport_bureau
):
    services.case_assign(case=items["xidu"], lead=transport_bureau, actor=None)
    client.force_login(township_clerk)
    response = changelist(client)
    assert f"?department={transport_bureau.pk}" in response.content.decode()
    assert listed(changelist(client, department=transport_bureau.pk)) == {items["xidu"].pk}


def test_region_filter_drills_down_from_the_users_own_region(
    client, county_clerk, items, xidu, jingtou
):
    client.force_login(county_clerk)
    page = changelist(client).content.decode()
    assert f"?region={xidu.code}" in page and f"?region={jingtou.code}" in page
    assert listed(changelist(client, region=xidu.code)) == {items["xidu"].pk}
    assert listed(changelist(client, region=jingtou.code)) == {items["jingtou"].pk}
    # Another county's region is not a way in.
    assert listed(changelist(client, region="430422100000")) == {
        items["xidu"].pk,
        items["jingtou"].pk,
    }


def test_year_end_sorting_filter(client, county_clerk, items):
    services.case_close(
        case=items["xidu"], user=county_clerk, outcome="not_feasible", note="已进入诉讼程序"
    )
    client.force_login(county_clerk)
    assert listed(changelist(client, sorting="not_feasible")) == {items["xidu"].pk}
    assert listed(changelist(client, sorting="handled")) == set()


def test_changelist_queries_do_not_grow_with_the_number_of_items(
    client, county_clerk, submit, transport_bureau, django_assert_max_num_queries
):
    def count_queries() -> int:
        with django_assert_max_num_queries(12) as queries:
            response = client.get(reverse(CHANGELIST))
        assert response.status_code == 200
        return len(queries)

    def add(n):
        for i in range(n):
            item = submit(title=f"意见{Suggestion.objects.count()}-{i}")
            services.case_assign(case=item, lead=transport_bureau, actor=county_clerk)

    client.force_login(county_clerk)
    add(3)
    few = count_queries()
    add(17)
    assert Suggestion.objects.count() == 20
    many = count_queries()
    assert many == few


# --- The item page --------------------------------------------------------------------


def test_the_item_page_shows_timeline_assignments_and_replies_read_only(
    client, county_clerk, items, transport_bureau, department_user
):
    services.case_assign(case=items["xidu"], lead=transport_bureau, actor=county_clerk)
    services.case_reply(
        case=items["xidu"],
        department=transport_bureau,
        author=department_user,
        public_text="已安排施工队修复。",
    )
    client.force_login(county_clerk)
    response = client.get(change_url(items["xidu"]))
    page = response.content.decode()
    assert "已安排施工队修复。" in page
    assert transport_bureau.name in page
    timeline = next(f for f in response.context["inline_admin_formsets"] if f.opts.model is Event)
    kinds = [form.original.kind for form in timeline]
    assert kinds == ["received", "assigned", "replied"]
    assert not timeline.has_add_permission and not timeline.has_change_permission
    assert not timeline.has_delete_permission


def test_the_intake_fields_are_read_only(client, county_clerk, items, water):
    client.force_login(county_clerk)
    item = items["xidu"]
    form = client.get(change_url(item)).context["adminform"].form
    assert set(form.fields) <= {"category", "region"}
    response = client.post(
        change_url(item),
        {
            "category": water.pk,
            "region": item.region_id,
            "title": "改写的标题",
            "phone": "13000000000",
            **{
                f"{prefix}-{key}": value
                for prefix in ("assignments", "replies", "follow_ups", "events")
                for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
            },
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    item.refresh_from_db()
    assert item.category == water  # staff may correct the category
    assert item.title == "西渡镇梅花村道路坑洼"
    assert item.phone == "13800138000"


def test_the_item_page_suggests_similar_open_items_to_merge(client, county_clerk, submit):
    first = submit(title="梅花村道路坑洼")
    second = submit(title="梅花村道路坑洼积水")
    client.force_login(county_clerk)
    response = client.get(change_url(first))
    assert [case.pk for case in response.context["similar_cases"]] == [second.pk]
    assert change_url(second) in response.content.decode()


# --- Actions --------------------------------------------------------------------------


def test_assigning_goes_through_an_intermediate_page_and_notifies_the_department(
    client, county_clerk, items, transport_bureau, roads_rule, department_user, other_bureau
):
    client.force_login(county_clerk)
    page = act(client, "assign_cases", [items["xidu"]])
    assert page.status_code == 200
    form = page.context["form"]
    assert set(form.fields["lead"].queryset) == {transport_bureau}  # not Bob's bureau
    assert form.initial == {"time_limit_days": 10, "lead": transport_bureau.pk}
    assert not Assignment.objects.exists()

    response = act(
        client,
        "assign_cases",
        [items["xidu"]],
        lead=transport_bureau.pk,
        time_limit_days="10",
        reason="属交通局职责",
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get(case=items["xidu"])
    assert assignment.department == transport_bureau
    assert assignment.time_limit_days == 10
    assert assignment.assigned_by == county_clerk
    assert Notification.objects.filter(kind="assigned", recipient=department_user).exists()
    items["xidu"].refresh_from_db()
    assert items["xidu"].status == "assigned"
    assert "Assigned: 1." in messages_of(response)


def test_an_assignment_to_another_countys_department_is_refused(
    client, county_clerk, items, transport_bureau, other_bureau
):
    client.force_login(county_clerk)
    response = act(client, "assign_cases", [items["xidu"]], lead=other_bureau.pk)
    assert response.status_code == 200  # the form comes back with an error
    assert "lead" in response.context["form"].errors
    assert not Assignment.objects.exists()


def test_an_action_cannot_reach_another_countys_item(client, county_clerk, items, transport_bureau):
    client.force_login(county_clerk)
    act(client, "close_cases", [items["yunji"]], outcome="not_feasible", note="不属实")
    items["yunji"].refresh_from_db()
    assert items["yunji"].status == "received"


def test_sending_a_reminder_notifies_the_handlers(
    client, county_clerk, items, transport_bureau, department_user
):
    services.case_assign(case=items["xidu"], lead=transport_bureau, actor=county_clerk)
    client.force_login(county_clerk)
    response = act(client, "remind_cases", [items["xidu"], items["jingtou"]])
    assert response.status_code == 302
    assert Notification.objects.filter(kind="reminder", recipient=department_user).count() == 1
    assert Event.objects.filter(case=items["xidu"], kind="reminded").exists()
    # The unassigned item has nobody to remind, and the clerk is told which one.
    assert any(items["jingtou"].tracking_code in m for m in messages_of(response))


def test_closing_as_not_feasible_needs_a_note(client, county_clerk, items):
    client.force_login(county_clerk)
    response = act(client, "close_cases", [items["xidu"]], outcome="not_feasible", note="")
    assert response.status_code == 200
    assert "note" in response.context["form"].errors
    items["xidu"].refresh_from_db()
    assert items["xidu"].status == "received"


def test_closing_as_not_feasible_with_a_note(client, county_clerk, items):
    client.force_login(county_clerk)
    response = act(
        client, "close_cases", [items["xidu"]], outcome="not_feasible", note="该事项已进入诉讼程序"
    )
    assert response.status_code == 302
    items["xidu"].refresh_from_db()
    assert items["xidu"].status == "rejected"
    assert items["xidu"].outcome == "not_feasible"
    event = Event.objects.filter(case=items["xidu"]).latest("id")
    assert event.kind == "rejected" and event.public_text == "该事项已进入诉讼程序"


def test_a_refused_item_is_reported_and_the_others_are_still_processed(
    client, county_clerk, items, transport_bureau, department_user
):
    services.case_assign(case=items["jingtou"], lead=transport_bureau, actor=county_clerk)
    services.case_reply(
        case=items["jingtou"],
        department=transport_bureau,
        author=department_user,
        public_text="已清运。",
    )
    client.force_login(county_clerk)
    # "Handled" closes a replied item; a received item cannot be closed that way.
    response = act(
        client, "close_cases", [items["xidu"], items["jingtou"]], outcome="handled", note=""
    )
    assert response.status_code == 302
    items["xidu"].refresh_from_db()
    items["jingtou"].refresh_from_db()
    assert items["xidu"].status == "received"
    assert items["jingtou"].status == "closed"
    assert items["jingtou"].outcome == "handled"
    notes = messages_of(response)
    assert any(items["xidu"].tracking_code in m for m in notes)


def test_merging_keeps_the_chosen_primary(client, county_clerk, submit):
    first = submit(title="梅花村道路坑洼")
    second = submit(title="梅花村道路坑洼积水")
    client.force_login(county_clerk)
    page = act(client, "merge_cases", [second, first])
    assert page.status_code == 200
    assert page.context["form"].initial["primary"] == second.pk  # the first selected
    response = act(client, "merge_cases", [second, first], primary=first.pk)
    assert response.status_code == 302
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.status == "merged" and second.merged_into_id == first.pk
    assert first.status == "received"


def test_merging_needs_two_items(client, county_clerk, items):
    client.force_login(county_clerk)
    response = act(client, "merge_cases", [items["xidu"]])
    assert response.status_code == 302
    items["xidu"].refresh_from_db()
    assert items["xidu"].status == "received"


def test_merging_items_of_different_townships_is_refused(client, county_clerk, items):
    client.force_login(county_clerk)
    response = act(
        client, "merge_cases", [items["xidu"], items["jingtou"]], primary=items["xidu"].pk
    )
    assert response.status_code == 302
    items["jingtou"].refresh_from_db()
    assert items["jingtou"].status == "received"


def test_logging_a_telephone_follow_up(
    client, county_clerk, items, transport_bureau, department_user
):
    services.case_assign(case=items["xidu"], lead=transport_bureau, actor=county_clerk)
    services.case_reply(
        case=items["xidu"],
        department=transport_bureau,
        author=department_user,
        public_text="已修复。",
    )
    client.force_login(county_clerk)
    assert act(client, "record_phone_follow_up", [items["xidu"]]).status_code == 200
    response = act(
        client, "record_phone_follow_up", [items["xidu"]], rating="basically", comment="还行"
    )
    assert response.status_code == 302
    follow_up = FollowUp.objects.get(case=items["xidu"])
    assert follow_up.method == "phone"
    assert follow_up.rating == "basically"
    assert follow_up.recorded_by == county_clerk
    items["xidu"].refresh_from_db()
    assert items["xidu"].status == "closed"


def test_an_action_started_on_the_item_page_returns_there(
    client, county_clerk, items, transport_bureau
):
    services.case_assign(case=items["xidu"], lead=transport_bureau, actor=county_clerk)
    client.force_login(county_clerk)
    page = client.get(change_url(items["xidu"]))
    offered = [name for name, _label in page.context["handling_actions"]]
    assert offered == ["assign_cases", "remind_cases", "close_cases"]
    response = client.post(
        reverse(CHANGELIST),
        {
            "action": "remind_cases",
            ACTION_CHECKBOX_NAME: [str(items["xidu"].pk)],
            "_next": change_url(items["xidu"]),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == change_url(items["xidu"])


def test_an_unsafe_next_url_is_ignored(client, county_clerk, items, transport_bureau):
    services.case_assign(case=items["xidu"], lead=transport_bureau, actor=county_clerk)
    client.force_login(county_clerk)
    response = client.post(
        reverse(CHANGELIST),
        {
            "action": "remind_cases",
            ACTION_CHECKBOX_NAME: [str(items["xidu"].pk)],
            "_next": "https://evil.example.com/",
        },
    )
    assert response.status_code == 302
    assert "evil" not in response["Location"]


# --- Categories, departments, routing rules -------------------------------------------


def test_administrators_reorder_categories_in_the_list(client, admin_user, roads, water):
    client.force_login(admin_user)
    response = client.get(reverse("admin:suggestions_category_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].formset is not None  # sort order and active, in the list


def test_county_clerks_see_categories_but_do_not_edit_them(client, county_clerk, roads):
    client.force_login(county_clerk)
    response = client.get(reverse("admin:suggestions_category_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].formset is None
    url = reverse("admin:suggestions_category_change", args=[roads.pk])
    client.post(url, {"code": "roads", "name": "改名", "sort_order": "1"})
    assert Category.objects.get(pk=roads.pk).name == "道路交通"


def test_departments_are_scoped_by_region(client, county_clerk, transport_bureau, other_bureau):
    client.force_login(county_clerk)
    response = client.get(reverse("admin:suggestions_department_changelist"))
    assert {d.pk for d in response.context["cl"].result_list} == {transport_bureau.pk}
    url = reverse("admin:suggestions_department_change", args=[other_bureau.pk])
    assert client.get(url).status_code == 404


def test_only_department_handlers_can_be_made_handlers_of_a_department(
    client, county_clerk, transport_bureau, department_user, deputy_user, hengnan_county
):
    outsider = make_user("olga", role="department", region=hengnan_county)
    client.force_login(county_clerk)
    url = reverse("admin:suggestions_department_change", args=[transport_bureau.pk])
    choices = set(client.get(url).context["adminform"].form.fields["users"].queryset)
    assert department_user in choices
    assert deputy_user not in choices and county_clerk not in choices
    assert outsider not in choices  # a handler of Bob's county


def test_a_routing_rule_needs_a_department_serving_its_region(
    client, county_clerk, xidu, hengyang_county, roads, transport_bureau
):
    township_office = Department.objects.create(name="西渡镇人民政府", region=xidu)
    client.force_login(county_clerk)
    url = reverse("admin:suggestions_routingrule_add")
    # A township's department cannot take the whole county's items.
    response = client.post(
        url,
        {
            "category": roads.pk,
            "region": hengyang_county.code,
            "department": township_office.pk,
            "time_limit_days": "10",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "department" in response.context["adminform"].form.errors
    assert not RoutingRule.objects.exists()
    # The county bureau may take the township's.
    response = client.post(
        url,
        {
            "category": roads.pk,
            "region": xidu.code,
            "department": transport_bureau.pk,
            "time_limit_days": "10",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    assert (rule.region_id, rule.department) == (xidu.code, transport_bureau)


def test_routing_rules_list_shows_their_parts(
    client, county_clerk, roads_rule, yunji, other_bureau
):
    RoutingRule.objects.create(region=yunji, department=other_bureau, time_limit_days=5)
    client.force_login(county_clerk)
    response = client.get(reverse("admin:suggestions_routingrule_changelist"))
    assert [r.pk for r in response.context["cl"].result_list] == [roads_rule.pk]
    page = response.content.decode()
    assert "衡阳县交通运输局" in page and "道路交通" in page


def test_a_township_clerk_without_a_department_of_their_own_is_told_so(
    client, township_clerk, items, transport_bureau
):
    client.force_login(township_clerk)
    response = act(client, "assign_cases", [items["xidu"]])
    assert response.status_code == 302
    assert not Assignment.objects.exists()


def test_records_of_another_county_are_not_listed(
    client, county_clerk, items, transport_bureau, other_bureau
):
    services.case_assign(case=items["xidu"], lead=transport_bureau, actor=None)
    services.case_assign(case=items["yunji"], lead=other_bureau, actor=None)
    client.force_login(county_clerk)
    response = client.get(reverse("admin:suggestions_assignment_changelist"))
    assert response.status_code == 200
    assert [a.case_id for a in response.context["cl"].result_list] == [items["xidu"].pk]


def test_an_assigned_item_keeps_its_region_and_a_finished_one_cannot_be_edited(
    client, county_clerk, items, transport_bureau
):
    client.force_login(county_clerk)
    services.case_assign(case=items["xidu"], lead=transport_bureau, actor=county_clerk)
    form = client.get(change_url(items["xidu"])).context["adminform"].form
    assert set(form.fields) == {"category"}
    services.case_close(
        case=items["jingtou"], user=county_clerk, outcome="not_feasible", note="不属实"
    )
    response = client.get(change_url(items["jingtou"]))
    assert not response.context["adminform"].form.fields
    assert 'name="_save"' not in response.content.decode()


def test_county_clerk_adds_a_department_of_the_county_with_its_handlers(
    client, county_clerk, hengyang_county, hengnan_county, department_user
):
    client.force_login(county_clerk)
    url = reverse("admin:suggestions_department_add")
    data = {
        "name": "衡阳县住房和城乡建设局",
        "supervisor_name": "李局长",
        "supervisor_phone": "13900002222",
        "users": [department_user.pk],
        "is_active": "on",
    }
    response = client.post(url, data | {"region": hengnan_county.code})
    assert response.status_code == 200  # Bob's county is not Alice's to furnish
    assert "region" in response.context["adminform"].form.errors
    response = client.post(url, data | {"region": hengyang_county.code})
    assert response.status_code == 302
    department = Department.objects.get(name="衡阳县住房和城乡建设局")
    assert department.region == hengyang_county
    assert list(department.users.all()) == [department_user]
