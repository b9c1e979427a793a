"""The office's side of formal deputy suggestions in the admin, tried from the outside.

Alice is the Hengyang county clerk, Bob the Hengnan county clerk next door. Dora's
suggestions go to the Hengyang county congress, Hank's to the Hengnan one. The admin
acts on them only through the services.
"""

import datetime as dt
import io
import re

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from liaison.models import Notification
from suggestions import deputy_suggestions as ds
from suggestions import services
from suggestions.models import Assignment, Case, DeputySuggestion, Event, ResultClass
from tests.factories import CongressFactory, DeputyFactory, make_department, make_user, seat

CHANGELIST = "admin:suggestions_deputysuggestion_changelist"
REPORT = "admin:suggestions_deputysuggestion_report"
TZ = dt.timezone(dt.timedelta(hours=8))


# Pages are checked by their English msgids, whatever the catalogue holds.
pytestmark = pytest.mark.usefixtures("english")


def at(day: str):
    return time_machine.travel(dt.datetime.fromisoformat(day).replace(hour=10, tzinfo=TZ))


def change_url(item) -> str:
    return reverse("admin:suggestions_deputysuggestion_change", args=[item.pk])


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
        payload |= {"apply": "1", **{k: v for k, v in data.items() if v is not None}}
    return client.post(reverse(CHANGELIST), payload)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages]


def refreshed(item) -> DeputySuggestion:
    return DeputySuggestion.objects.get(pk=item.pk)


@pytest.fixture
def classes(db):
    a = ResultClass.objects.get_or_create(code="A", defaults={"name": "已解决或采纳"})[0]
    b = ResultClass.objects.get_or_create(
        code="B", defaults={"name": "列入计划逐步解决", "needs_review": True, "sort_order": 20}
    )[0]
    c = ResultClass.objects.get_or_create(
        code="C", defaults={"name": "留作参考", "sort_order": 30}
    )[0]
    return {"A": a, "B": b, "C": c}


@pytest.fixture
def congress(hengyang_county):
    return CongressFactory(region=hengyang_county, level="county", name="衡阳县人民代表大会")


@pytest.fixture
def other_congress(hengnan_county):
    return CongressFactory(region=hengnan_county, level="county", name="衡南县人民代表大会")


@pytest.fixture
def author(congress, addressed_deputy):
    seat(addressed_deputy, congress)
    return addressed_deputy


@pytest.fixture
def eve(congress, xidu):
    deputy = DeputyFactory(
        code="EVE001", name="易代表", region=xidu, user=make_user("eve", role="deputy")
    )
    seat(deputy, congress)
    return deputy


@pytest.fixture
def hank(other_congress, yunji):
    deputy = DeputyFactory(
        code="HANK01", name="韩代表", region=yunji, user=make_user("hank", role="deputy")
    )
    seat(deputy, other_congress)
    return deputy


def write(deputy, congress, title, *, cosigners=(), submit=True):
    suggestion = ds.deputy_suggestion_draft(
        user=deputy.user, congress=congress, title=title, content=f"{title}的具体内容。"
    )
    if cosigners:
        ds.deputy_suggestion_invite(suggestion=suggestion, user=deputy.user, deputies=cosigners)
        for cosigner in cosigners:
            ds.cosigner_respond(suggestion=suggestion, user=cosigner.user, confirm=True)
    if submit:
        ds.deputy_suggestion_submit(suggestion=suggestion, user=deputy.user)
    return refreshed(suggestion)


@pytest.fixture
def items(author, eve, hank, congress, other_congress):
    """Dora's submitted suggestion (co-signed by Eve), her unsent draft, and Hank's
    submitted suggestion in the neighbouring county."""
    return {
        "submitted": write(author, congress, "关于改善黄高线路况的建议", cosigners=[eve]),
        "draft": write(author, congress, "尚未提交的草稿", submit=False),
        "hengnan": write(hank, other_congress, "关于云集镇路灯的建议"),
    }


@pytest.fixture
def accepted(items, county_clerk):
    ds.deputy_suggestion_accept(suggestion=items["submitted"], user=county_clerk)
    return refreshed(items["submitted"])


# --- Who sees what ------------------------------------------------------------------


def test_county_clerk_sees_own_county_congress_suggestions_only(client, county_clerk, items):
    client.force_login(county_clerk)
    response = changelist(client)
    # Dora's unsent draft is her own work in progress; Hank's is the other county's.
    assert listed(response) == {items["submitted"].pk}
    page = response.content.decode()
    assert "关于改善黄高线路况的建议" in page and "关于云集镇路灯的建议" not in page


@pytest.mark.parametrize("page", ["change", "history"])
def test_another_countys_suggestion_by_id_is_a_404(client, county_clerk, items, page):
    client.force_login(county_clerk)
    url = reverse(f"admin:suggestions_deputysuggestion_{page}", args=[items["hengnan"].pk])
    assert client.get(url).status_code == 404
    draft = reverse(f"admin:suggestions_deputysuggestion_{page}", args=[items["draft"].pk])
    assert client.get(draft).status_code == 404


def test_city_clerk_sees_both_counties(client, city_clerk, items):
    client.force_login(city_clerk)
    assert listed(changelist(client)) == {items["submitted"].pk, items["hengnan"].pk}


@pytest.mark.parametrize("who", ["department_user", "deputy_user"])
def test_department_handlers_and_deputies_cannot_reach_the_admin(client, request, who, items):
    client.force_login(request.getfixturevalue(who))
    for url in (reverse(CHANGELIST), reverse(REPORT), change_url(items["submitted"])):
        response = client.get(url)
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert reverse("admin:login") in response["Location"]


def test_suggestions_cannot_be_added_or_deleted_in_the_admin(client, county_clerk, items):
    client.force_login(county_clerk)
    assert client.get(reverse("admin:suggestions_deputysuggestion_add")).status_code == 403
    delete = reverse("admin:suggestions_deputysuggestion_delete", args=[items["submitted"].pk])
    assert client.get(delete).status_code == 403
    choices = changelist(client).context["action_form"].fields["action"].choices
    assert "delete_selected" not in {name for name, _label in choices}
    assert DeputySuggestion.objects.filter(pk=items["submitted"].pk).exists()


def test_the_item_page_shows_co_signers_and_records_read_only(
    client, county_clerk, accepted, transport_bureau, classes, author, eve
):
    services.case_assign(case=accepted, lead=transport_bureau, actor=county_clerk)
    services.case_reply(
        case=accepted,
        department=transport_bureau,
        author=None,
        public_text="",
        result_class=classes["A"],
        per_deputy={author.pk: "致刘代表：已采纳。", eve.pk: "致易代表：已采纳。"},
    )
    client.force_login(county_clerk)
    response = client.get(change_url(accepted))
    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "易代表（Confirmed）",
        "致刘代表：已采纳。",
        "致易代表：已采纳。",
        "A 已解决或采纳",
    ):
        assert text in page
    formsets = {f.opts.model._meta.model_name: f for f in response.context["inline_admin_formsets"]}
    assert set(formsets) == {"cosigner", "assignment", "reply", "followup", "event"}
    for formset in formsets.values():
        assert not formset.has_add_permission and not formset.has_change_permission
        assert not formset.has_delete_permission
    addressees = {form.original.addressee_id for form in formsets["reply"]}
    assert addressees == {author.pk, eve.pk, None}
    assert [f.original.deputy_id for f in formsets["cosigner"]] == [eve.pk]
    # What the deputies wrote is not typed over: only the category can be corrected.
    assert set(response.context["adminform"].form.fields) <= {"category"}


def test_the_office_may_correct_the_category(client, county_clerk, items, water):
    client.force_login(county_clerk)
    item = items["submitted"]
    response = client.post(
        change_url(item),
        {
            "category": water.pk,
            "title": "改写的标题",
            **{
                f"{prefix}-{key}": value
                for prefix in ("cosigners", "assignments", "replies", "follow_ups", "events")
                for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
            },
        },
    )
    assert response.status_code == 302
    item = refreshed(item)
    assert item.category == water and item.title == "关于改善黄高线路况的建议"


# --- Search and filters ---------------------------------------------------------------


def test_search_by_number_title_or_deputy(client, county_clerk, accepted, author, eve, congress):
    second = write(author, congress, "关于村级图书室的建议")
    ds.deputy_suggestion_accept(suggestion=second, user=county_clerk)
    client.force_login(county_clerk)
    year = accepted.year
    assert listed(changelist(client, q=f"{year}-001")) == {accepted.pk}
    assert listed(changelist(client, q="2")) == {second.pk}
    assert listed(changelist(client, q=f"{year - 1}-001")) == set()
    assert listed(changelist(client, q="图书室")) == {second.pk}
    assert listed(changelist(client, q="刘代表")) == {accepted.pk, second.pk}


def test_filters_by_status_congress_and_overdue(
    client, county_clerk, accepted, items, congress, other_congress, transport_bureau
):
    client.force_login(county_clerk)
    response = changelist(client)
    spec = next(f for f in response.context["cl"].filter_specs if f.parameter_name == "congress")
    assert [value for value, _label in spec.lookup_choices] == [str(congress.pk)]
    assert listed(changelist(client, status="received")) == {accepted.pk}
    assert listed(changelist(client, status="submitted")) == set()
    with at("2026-01-05"):
        services.case_assign(case=accepted, lead=transport_bureau, actor=county_clerk)
    assert listed(changelist(client, overdue="yes")) == {accepted.pk}
    assert listed(changelist(client, congress=other_congress.pk)) == set()


@pytest.mark.parametrize("count", [1, 6])
def test_the_changelist_runs_a_bounded_number_of_queries(
    client, county_clerk, author, eve, congress, classes, count, django_assert_max_num_queries
):
    for n in range(count):
        item = write(author, congress, f"建议{n}", cosigners=[eve])
        ds.deputy_suggestion_accept(suggestion=item, user=county_clerk)
    client.force_login(county_clerk)
    with django_assert_max_num_queries(12):
        response = changelist(client)
    assert len(listed(response)) == count


# --- Actions --------------------------------------------------------------------------


def test_accepting_numbers_the_suggestion_and_tells_the_author(
    client, county_clerk, items, deputy_user
):
    client.force_login(county_clerk)
    page = act(client, "accept_suggestions", [items["submitted"]])
    assert page.status_code == 200
    assert "关于改善黄高线路况的建议" in page.content.decode()
    assert refreshed(items["submitted"]).status == Case.Status.SUBMITTED

    response = act(client, "accept_suggestions", [items["submitted"]], confirm="1")
    assert response.status_code == 302
    item = refreshed(items["submitted"])
    assert item.status == Case.Status.RECEIVED and item.number == "001"
    assert item.year == timezone.localdate().year
    assert f"Numbers given: {item.year}-001." in messages_of(response)
    assert Notification.objects.filter(kind="deputy_suggestion", recipient=deputy_user).exists()
    assert listed(changelist(client, q=f"{item.year}-001")) == {item.pk}


def test_accepting_twice_is_refused_and_reported(client, county_clerk, accepted):
    client.force_login(county_clerk)
    response = act(client, "accept_suggestions", [accepted], confirm="1")
    notes = messages_of(response)
    assert any(f"{accepted.year}-001:" in note for note in notes)
    assert refreshed(accepted).number == "001"


def test_an_action_cannot_reach_another_countys_suggestion(client, county_clerk, items):
    client.force_login(county_clerk)
    act(client, "accept_suggestions", [items["hengnan"]], confirm="1")
    assert refreshed(items["hengnan"]).status == Case.Status.SUBMITTED


def test_returning_needs_a_reason(client, county_clerk, items, author):
    client.force_login(county_clerk)
    response = act(client, "return_suggestions", [items["submitted"]], reason="")
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert refreshed(items["submitted"]).status == Case.Status.SUBMITTED

    response = act(client, "return_suggestions", [items["submitted"]], reason="建议内容不够具体")
    assert response.status_code == 302
    item = refreshed(items["submitted"])
    assert item.status == Case.Status.DRAFT and item.office_note == "建议内容不够具体"
    # A returned draft stays on the office's list, under its own filter.
    assert listed(changelist(client, status="draft")) == {item.pk}


def test_assigning_gives_a_due_date_by_months(
    client, county_clerk, accepted, transport_bureau, water_bureau, other_bureau, department_user
):
    with at("2027-01-31"):
        client.force_login(county_clerk)  # a session of that day
        page = act(client, "assign_suggestions", [accepted])
        assert page.status_code == 200
        form = page.context["form"]
        assert set(form.fields["lead"].queryset) == {transport_bureau, water_bureau}
        assert "time_limit_days" not in form.fields
        assert "2027-04-30" in page.content.decode()  # 3 months, shown before assigning
        response = act(
            client,
            "assign_suggestions",
            [accepted],
            lead=transport_bureau.pk,
            co_handlers=[water_bureau.pk],
            reason="交通局主办",
        )
    assert response.status_code == 302
    lead = Assignment.objects.get(case=accepted, role="lead")
    co = Assignment.objects.get(case=accepted, role="co")
    assert lead.department == transport_bureau and co.department == water_bureau
    assert lead.due_date == dt.date(2027, 4, 30) and lead.time_limit_months == 3
    assert lead.time_limit_days is None and lead.assigned_by == county_clerk
    assert refreshed(accepted).due_date == dt.date(2027, 4, 30)
    assert Notification.objects.filter(kind="assigned", recipient=department_user).exists()


def test_assigning_to_another_countys_department_is_refused(
    client, county_clerk, accepted, transport_bureau, other_bureau
):
    client.force_login(county_clerk)
    response = act(client, "assign_suggestions", [accepted], lead=other_bureau.pk)
    assert response.status_code == 200
    assert "lead" in response.context["form"].errors
    assert not Assignment.objects.exists()


def test_a_township_department_cannot_take_a_county_congress_suggestion(
    client, county_clerk, accepted, xidu, transport_bureau
):
    township_office = make_department("西渡镇人民政府", xidu)
    client.force_login(county_clerk)
    page = act(client, "assign_suggestions", [accepted])
    assert list(page.context["form"].fields["lead"].queryset) == [transport_bureau]
    response = act(client, "assign_suggestions", [accepted], lead=township_office.pk)
    assert response.status_code == 200 and "lead" in response.context["form"].errors
    assert not Assignment.objects.exists()


def test_wide_ranging_gives_six_months(client, county_clerk, accepted, transport_bureau):
    with at("2027-01-31"):
        services.case_assign(case=accepted, lead=transport_bureau, actor=county_clerk)
    client.force_login(county_clerk)
    response = act(client, "mark_wide_ranging", [accepted], reason="")
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    response = act(client, "mark_wide_ranging", [accepted], reason="涉及多个部门和明年预算")
    assert response.status_code == 302
    item = refreshed(accepted)
    assert item.wide_ranging and item.wide_ranging_reason == "涉及多个部门和明年预算"
    lead = Assignment.objects.get(case=accepted)
    assert lead.due_date == dt.date(2027, 7, 31) and lead.time_limit_months == 6
    assert item.due_date == dt.date(2027, 7, 31)


def test_a_wide_ranging_suggestion_is_assigned_for_six_months(
    client, county_clerk, accepted, transport_bureau
):
    with at("2027-01-31"):
        client.force_login(county_clerk)
        act(client, "mark_wide_ranging", [accepted], reason="跨部门")
        assert "2027-07-31" in act(client, "assign_suggestions", [accepted]).content.decode()
        act(client, "assign_suggestions", [accepted], lead=transport_bureau.pk)
    assert Assignment.objects.get(case=accepted).due_date == dt.date(2027, 7, 31)


def test_priority_supervision_names_the_leader(client, county_clerk, accepted):
    client.force_login(county_clerk)
    response = act(client, "flag_priority", [accepted], leader="")
    assert response.status_code == 200 and "leader" in response.context["form"].errors
    response = act(client, "flag_priority", [accepted], leader="王副主任")
    assert response.status_code == 302
    item = refreshed(accepted)
    assert item.priority and item.supervising_leader == "王副主任"
    assert listed(changelist(client, priority__exact="1")) == {item.pk}


def test_sending_a_reminder_notifies_the_handlers(
    client, county_clerk, accepted, transport_bureau, department_user
):
    services.case_assign(case=accepted, lead=transport_bureau, actor=county_clerk)
    client.force_login(county_clerk)
    response = act(client, "remind_suggestions", [accepted])
    assert response.status_code == 302
    assert Notification.objects.filter(kind="reminder", recipient=department_user).count() == 1
    assert Event.objects.filter(case=accepted, kind="reminded").exists()


def test_the_item_page_offers_the_actions_of_its_status(client, county_clerk, items, accepted):
    client.force_login(county_clerk)
    offered = [
        name for name, _label in client.get(change_url(accepted)).context["handling_actions"]
    ]
    assert offered == ["assign_suggestions", "mark_wide_ranging", "flag_priority"]


def test_an_action_started_on_the_item_page_returns_there(client, county_clerk, accepted):
    client.force_login(county_clerk)
    response = client.post(
        reverse(CHANGELIST),
        {
            "action": "flag_priority",
            ACTION_CHECKBOX_NAME: [str(accepted.pk)],
            "_next": change_url(accepted),
            "apply": "1",
            "leader": "县长",
        },
    )
    assert response.status_code == 302 and response["Location"] == change_url(accepted)


# --- The annual report ----------------------------------------------------------------


def _figures_in_page(page: str, table_id: str) -> dict[str, str]:
    table = re.search(rf'<table id="{table_id}">(.*?)</table>', page, re.S).group(1)
    return dict(re.findall(r'<th scope="row">(.*?)</th><td class="figure">(.*?)</td>', table, re.S))


def _figures_in_xlsx(content: bytes) -> dict[str, object]:
    sheet = load_workbook(io.BytesIO(content)).active
    return {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if len(row) > 1 and row[0]}


@pytest.fixture
def handled_year(county_clerk, author, eve, congress, transport_bureau, classes, accepted):
    """Three numbered suggestions: one answered on time (A, under priority supervision;
    Dora satisfied, Eve not, so it is handled again), one answered late (B, basically
    satisfied), one not answered."""
    late = write(author, congress, "关于农村饮水安全的建议")
    open_one = write(author, congress, "关于村级图书室的建议")
    for item in (late, open_one):
        ds.deputy_suggestion_accept(suggestion=item, user=county_clerk)
    year = accepted.year

    services.case_assign(case=accepted, lead=transport_bureau, actor=county_clerk)
    services.case_reply(
        case=accepted,
        department=transport_bureau,
        author=None,
        public_text="",
        result_class=classes["A"],
        per_deputy={author.pk: "已采纳。", eve.pk: "已采纳。"},
    )
    services.case_rate(case=accepted, rating="satisfied", rater=author)
    services.case_rate(case=accepted, rating="unsatisfied", rater=eve, comment="未说明资金")
    ds.deputy_suggestion_flag_priority(suggestion=accepted, user=county_clerk, leader="县长")

    # Assigned long ago: three months have passed, so its reply now is late.
    with at(f"{year - 1}-06-01"):
        services.case_assign(case=late, lead=transport_bureau, actor=county_clerk)
    services.case_reply(
        case=late,
        department=transport_bureau,
        author=None,
        public_text="",
        result_class=classes["B"],
        per_deputy={author.pk: "列入计划。"},
    )
    services.case_rate(case=late, rating="basically", rater=author)
    return year


def test_the_report_page_and_the_excel_file_show_the_same_figures(
    client, county_clerk, congress, handled_year
):
    client.force_login(county_clerk)
    params = {"congress": congress.pk, "year": handled_year}
    response = client.get(reverse(REPORT), params)
    assert response.status_code == 200
    page = response.content.decode()
    figures = _figures_in_page(page, "report-figures")
    assert figures == {
        "Suggestions accepted": "3",
        "Replied": "2",
        "Not yet replied": "1",
        "Replied on time": "1",
        "On-time rate": "50.0%",
        "Ratings by deputies": "3",
        "Satisfied or basically satisfied": "2",
        "Satisfaction rate": "66.7%",
    }
    classes = _figures_in_page(page, "report-classes")
    assert classes == {
        "A 已解决或采纳": "1",
        "B 列入计划逐步解决": "1",
        "C 留作参考": "0",
        "No result class yet": "1",
    }
    assert "关于改善黄高线路况的建议" in page and "县长" in page  # the priority list
    assert "@media print" in page

    xlsx = client.get(reverse(REPORT), params | {"format": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in xlsx["Content-Disposition"]
    cells = _figures_in_xlsx(xlsx.content)
    for label, shown in (figures | classes).items():
        value = cells[label]
        if shown.endswith("%"):
            assert round(value * 100, 1) == float(shown[:-1]), label
        else:
            assert str(value) == shown, label
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    priority = [row for row in sheet.iter_rows(values_only=True) if row[0] == f"{handled_year}-001"]
    assert [list(row[:4]) for row in priority] == [
        [f"{handled_year}-001", "关于改善黄高线路况的建议", "刘代表", "县长"]
    ]


def test_the_report_offers_only_congresses_in_jurisdiction(
    client, county_clerk, congress, other_congress, handled_year
):
    client.force_login(county_clerk)
    page = client.get(reverse(REPORT))
    assert page.status_code == 200 and page.context["report"] is None
    assert list(page.context["form"].fields["congress"].queryset) == [congress]
    response = client.get(reverse(REPORT), {"congress": other_congress.pk, "year": handled_year})
    assert response.status_code == 200
    assert "congress" in response.context["form"].errors and response.context["report"] is None
    xlsx = client.get(
        reverse(REPORT), {"congress": other_congress.pk, "year": handled_year, "format": "xlsx"}
    )
    assert not xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_changelist_links_to_the_report(client, county_clerk, items):
    client.force_login(county_clerk)
    assert reverse(REPORT) in changelist(client).content.decode()


# --- Result classes -------------------------------------------------------------------


def test_result_classes_are_kept_by_administrators_and_the_province(
    client, county_clerk, admin_user, hunan, classes
):
    province_clerk = make_user("paul", role="office", region=hunan)
    url = reverse("admin:suggestions_resultclass_change", args=[classes["B"].pk])
    data = {"code": "B", "name": "列入计划", "needs_review": "on", "sort_order": "20"}

    client.force_login(county_clerk)
    assert client.get(reverse("admin:suggestions_resultclass_changelist")).status_code == 200
    client.post(url, data)
    assert ResultClass.objects.get(pk=classes["B"].pk).name == "列入计划逐步解决"

    client.force_login(province_clerk)
    response = client.post(url, data | {"is_active": "on"})
    assert response.status_code == 302
    assert ResultClass.objects.get(pk=classes["B"].pk).name == "列入计划"

    client.force_login(admin_user)
    response = client.post(
        reverse("admin:suggestions_resultclass_add"),
        {"code": "D", "name": "暂缓办理", "sort_order": "40", "is_active": "on"},
    )
    assert response.status_code == 302
    assert ResultClass.objects.filter(code="D").exists()
