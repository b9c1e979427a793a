"""The workspaces from the outside: who may open which page, and what the forms change.

Dan handles the Hengyang county transport bureau's items, Erin the water bureau's,
Frank the neighbouring county's transport bureau's; Dora is the deputy an opinion can
be addressed to.
"""

import datetime as dt
import io

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from liaison.models import Notification
from suggestions import services
from suggestions.models import Assignment, Case, Photo, Reply, Suggestion
from tests.factories import DeputyFactory, make_user

PHONE = "13800138000"
MASKED_PHONE = "138****8000"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def work_item(case) -> str:
    return reverse("suggestions:work_item", args=[case.pk])


def deputy_item(case) -> str:
    return reverse("suggestions:deputy_item", args=[case.pk])


def refreshed(case) -> Suggestion:
    return Suggestion.objects.get(pk=case.pk)


@pytest.fixture
def routed(submit, roads_rule):
    """An opinion the roads rule routed to the transport bureau, Dan's department."""
    suggestion = submit()
    services.case_route(case_id=suggestion.pk)
    return suggestion


@pytest.fixture
def dan(department_user, transport_bureau):
    return client_for(department_user)


@pytest.fixture
def addressed(submit, addressed_deputy):
    """An opinion a constituent addressed to Dora."""
    return submit(deputy=addressed_deputy, title="希望代表关注村小校车")


@pytest.fixture
def dora(deputy_user, addressed_deputy):
    return client_for(deputy_user)


# --- Who may open which page ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("suggestions:workspace", []),
        ("suggestions:work_item", [1]),
        ("suggestions:deputy_items", []),
        ("suggestions:deputy_item", [1]),
    ],
)
def test_anonymous_visitors_are_sent_to_log_in(client, db, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=" + url
    assert client.post(url, {"action": "reply"}).status_code == 302


@pytest.mark.parametrize("url_name", ["suggestions:workspace", "suggestions:work_item"])
def test_only_department_handlers_may_open_the_department_workspace(
    routed, url_name, deputy_user, county_clerk, admin_user
):
    lonely_handler = make_user("dave", role="department")  # in no department
    args = [routed.pk] if url_name == "suggestions:work_item" else []
    for user in (deputy_user, county_clerk, admin_user, lonely_handler):
        assert client_for(user).get(reverse(url_name, args=args)).status_code == 403, user


@pytest.mark.parametrize("url_name", ["suggestions:deputy_items", "suggestions:deputy_item"])
def test_only_deputies_with_a_deputy_record_may_open_the_deputy_pages(
    addressed, url_name, department_user, county_clerk
):
    unlinked_deputy = make_user("derek", role="deputy")  # an account without a Deputy
    args = [addressed.pk] if url_name == "suggestions:deputy_item" else []
    for user in (department_user, county_clerk, unlinked_deputy):
        assert client_for(user).get(reverse(url_name, args=args)).status_code == 403, user


# --- Department handlers ----------------------------------------------------------------


def test_department_handler_sees_his_assigned_item_and_can_open_it(dan, routed):
    response = dan.get(reverse("suggestions:workspace"))
    assert response.status_code == 200
    [row] = response.context["rows"]
    assert row.assignment.case_id == routed.pk
    assert row.assignment.role == Assignment.Role.LEAD
    # The tracking code is the constituent's credential: handlers see the number.
    assert row.reference == f"#{routed.pk}"
    assert routed.tracking_code not in response.content.decode()
    page = response.content.decode()
    for text in (routed.title, "道路交通", "西渡镇", work_item(routed)):
        assert text in page

    response = dan.get(work_item(routed))
    assert response.status_code == 200
    page = response.content.decode()
    assert routed.content in page
    assert "西渡镇人大代表联络站" in page
    assert "衡阳县交通运输局" in page
    assert 'name="action" value="reply"' in page
    assert 'name="action" value="return"' in page
    assert 'name="action" value="spot"' in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_department_handler_cannot_open_another_departments_item(routed, other_bureau):
    frank = client_for(other_bureau.users.get())
    assert frank.get(work_item(routed)).status_code == 404
    assert frank.post(work_item(routed), {"action": "reply", "public_text": "x"}).status_code == 404
    response = frank.get(reverse("suggestions:workspace"))
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert routed.title not in response.content.decode()
    assert refreshed(routed).status == Case.Status.ASSIGNED


def test_a_department_that_no_longer_holds_an_item_cannot_open_it(
    routed, dan, water_bureau, county_clerk
):
    services.case_assign(case=routed, lead=water_bureau, actor=county_clerk)
    assert dan.get(reverse("suggestions:workspace")).context["rows"] == []
    # After re-assignment the new department's notes are not the old one's business.
    assert dan.get(work_item(routed)).status_code == 404
    assert (
        dan.post(work_item(routed), {"action": "reply", "public_text": "已处理"}).status_code == 404
    )
    assert not Reply.objects.filter(case=routed).exists()


def test_a_department_that_replied_can_still_read_the_item(routed, dan, transport_bureau):
    services.case_reply(case=routed, department=transport_bureau, author=None, public_text="已修")
    response = dan.get(work_item(routed))
    assert response.status_code == 200
    assert response.context["reply_form"] is None


def test_co_handler_sees_the_item_as_co_handler(
    submit, transport_bureau, water_bureau, county_clerk
):
    suggestion = submit()
    services.case_assign(
        case=suggestion, lead=transport_bureau, co_handlers=[water_bureau], actor=county_clerk
    )
    erin = client_for(water_bureau.users.get())
    [row] = erin.get(reverse("suggestions:workspace")).context["rows"]
    assert row.assignment.role == Assignment.Role.CO

    response = erin.get(work_item(suggestion))
    assert response.status_code == 200
    assert response.context["held"].department == water_bureau
    assert response.context["spot_form"] is None  # only the lead may close it on the spot

    response = erin.post(
        work_item(suggestion), {"action": "reply", "public_text": "水管由我局配合维修"}
    )
    assert response.status_code == 302
    assert refreshed(suggestion).status == Case.Status.ASSIGNED  # the lead still answers
    assert not Notification.objects.filter(kind="rate").exists()
    assert (
        erin.post(
            work_item(suggestion), {"action": "spot", "public_text": "已当面答复"}
        ).status_code
        == 302
    )
    assert refreshed(suggestion).status == Case.Status.ASSIGNED


def test_reply_changes_the_status_to_replied_and_sends_the_rating_sms(dan, routed):
    response = dan.post(
        work_item(routed),
        {"action": "reply", "public_text": "已安排施工队本周修复。", "internal_note": "预算已批"},
        follow=True,
    )
    assert response.redirect_chain == [(work_item(routed), 302)]
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    suggestion = refreshed(routed)
    assert suggestion.status == Case.Status.REPLIED
    reply = Reply.objects.get(case=routed)
    assert reply.public_text == "已安排施工队本周修复。"
    assert reply.internal_note == "预算已批"
    assert reply.author.username == "dan"
    sms = Notification.objects.get(kind="rate")
    assert sms.channel == Notification.Channel.SMS and sms.address == PHONE
    page = response.content.decode()
    assert "已安排施工队本周修复。" in page and "预算已批" in page
    assert response.context["reply_form"] is None  # nothing left to do


def test_an_empty_reply_shows_an_error_keeps_the_input_and_changes_nothing(dan, routed):
    response = dan.post(
        work_item(routed), {"action": "reply", "public_text": "   ", "internal_note": "先记下来"}
    )
    assert response.status_code == 200
    form = response.context["reply_form"]
    assert form.errors["public_text"]
    assert "先记下来" in response.content.decode()
    assert refreshed(routed).status == Case.Status.ASSIGNED
    assert not Reply.objects.exists()
    assert not Notification.objects.filter(kind="rate").exists()


def test_a_service_refusal_is_shown_on_the_form_and_the_input_is_escaped(dan, routed):
    response = dan.post(
        work_item(routed), {"action": "reply", "public_text": "<script>alert(1)</script>已修"}
    )
    assert response.status_code == 200
    assert response.context["reply_form"].errors["public_text"]
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;已修" in page
    assert refreshed(routed).status == Case.Status.ASSIGNED


def test_return_with_a_reason_sends_the_item_back_to_the_office(dan, routed, county_clerk):
    assert dan.post(work_item(routed), {"action": "return", "reason": " "}).status_code == 200
    assert refreshed(routed).status == Case.Status.ASSIGNED

    response = dan.post(work_item(routed), {"action": "return", "reason": "属镇政府职责"})
    assert response.status_code == 302
    suggestion = refreshed(routed)
    assert suggestion.status == Case.Status.RECEIVED and suggestion.due_date is None
    assignment = Assignment.objects.get(case=routed)
    assert assignment.status == Assignment.Status.RETURNED
    assert assignment.return_reason == "属镇政府职责"
    assert Notification.objects.filter(kind="returned", recipient=county_clerk).exists()
    assert dan.get(reverse("suggestions:workspace")).context["rows"] == []


def test_answered_on_the_spot(dan, routed):
    response = dan.post(work_item(routed), {"action": "spot", "public_text": "已当面解释维修计划"})
    assert response.status_code == 302
    assert refreshed(routed).status == Case.Status.ANSWERED_ON_SPOT
    reply = Reply.objects.get(case=routed)
    assert reply.department.name == "衡阳县交通运输局"
    assert Notification.objects.filter(kind="rate").exists()


def test_an_unknown_action_is_a_bad_request(dan, routed):
    assert dan.post(work_item(routed), {"action": "close"}).status_code == 400
    assert refreshed(routed).status == Case.Status.ASSIGNED


def test_the_forms_need_a_csrf_token(department_user, transport_bureau, routed):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(department_user)
    response = strict.post(work_item(routed), {"action": "reply", "public_text": "已修"})
    assert response.status_code == 403
    assert refreshed(routed).status == Case.Status.ASSIGNED


def test_the_full_phone_and_name_never_appear(dan, routed, addressed, dora):
    for client, url in (
        (dan, reverse("suggestions:workspace")),
        (dan, work_item(routed)),
        (dora, reverse("suggestions:deputy_items")),
        (dora, deputy_item(addressed)),
    ):
        page = client.get(url).content.decode()
        assert PHONE not in page, url
        assert "张三" not in page, url
    for client, url in ((dan, work_item(routed)), (dora, deputy_item(addressed))):
        page = client.get(url).content.decode()
        assert MASKED_PHONE in page
        assert "张*" in page


def test_handlers_see_internal_notes_in_the_timeline(submit, transport_bureau, dan, county_clerk):
    suggestion = submit()
    services.case_assign(
        case=suggestion, lead=transport_bureau, actor=county_clerk, reason="上次交办给了水利局"
    )
    page = dan.get(work_item(suggestion)).content.decode()
    assert "上次交办给了水利局" in page
    assert "alice" in page  # who assigned it


def test_photos_are_shown(dan, routed, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="JPEG")
    photo = Photo.objects.create(suggestion=routed, image=ContentFile(buffer.getvalue(), "p.jpg"))
    page = dan.get(work_item(routed)).content.decode()
    assert f'src="{photo.image.url}"' in page


def test_the_nearest_deadline_comes_first_and_the_order_can_be_reversed(submit, roads_rule, dan):
    today = timezone.localdate()
    due = {"远期": today + dt.timedelta(days=20), "逾期": today - dt.timedelta(days=1)}
    due |= {"临期": today + dt.timedelta(days=1)}
    for title, date in due.items():
        suggestion = submit(title=title)
        services.case_route(case_id=suggestion.pk)
        Assignment.objects.filter(case=suggestion).update(due_date=date)

    response = dan.get(reverse("suggestions:workspace"))
    rows = response.context["rows"]
    assert [r.assignment.case.title for r in rows] == ["逾期", "临期", "远期"]
    assert [r.deadline for r in rows] == ["overdue", "soon", ""]
    assert response.context["overdue_count"] == 1 and response.context["soon_count"] == 1
    assert 'class="is-overdue"' in response.content.decode()

    response = dan.get(reverse("suggestions:workspace"), {"sort": "-due"})
    assert [r.assignment.case.title for r in response.context["rows"]] == ["远期", "临期", "逾期"]
    assert response.context["sort"] == "-due"


@pytest.mark.parametrize("count", [3, 30])
def test_the_work_list_runs_a_bounded_number_of_queries(
    submit, roads_rule, dan, count, django_assert_max_num_queries
):
    for number in range(count):
        services.case_route(case_id=submit(title=f"道路问题{number}").pk)
    with django_assert_max_num_queries(8):
        response = dan.get(reverse("suggestions:workspace"))
    assert len(response.context["rows"]) == min(count, 25)
    if count > 25:
        page_two = dan.get(reverse("suggestions:workspace"), {"page": 2})
        assert len(page_two.context["rows"]) == count - 25


def test_the_item_page_runs_a_bounded_number_of_queries(dan, routed, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        assert dan.get(work_item(routed)).status_code == 200


# --- Deputies ------------------------------------------------------------------------


def test_deputy_sees_the_item_addressed_to_her_and_passes_it_on(dora, addressed, roads_rule):
    response = dora.get(reverse("suggestions:deputy_items"))
    assert response.status_code == 200
    [row] = response.context["rows"]
    assert row.suggestion.pk == addressed.pk and row.waiting
    assert response.context["waiting_count"] == 1
    assert addressed.title in response.content.decode()

    response = dora.get(deputy_item(addressed))
    assert response.status_code == 200
    assert response.context["form"] is not None
    assert addressed.content in response.content.decode()

    response = dora.post(
        deputy_item(addressed), {"decision": "pass_on", "text": "请交通局处理"}, follow=True
    )
    assert response.redirect_chain == [(deputy_item(addressed), 302)]
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    assert response.context["form"] is None
    assert refreshed(addressed).deputy_decision == "pass_on"

    assignment = services.case_route(case_id=addressed.pk)
    assert assignment.department == roads_rule.department
    page = dora.get(deputy_item(addressed)).content.decode()
    assert "衡阳县交通运输局" in page  # the public timeline says who handles it now
    assert "请交通局处理" not in page  # the deputy's note is internal


def test_another_deputy_gets_404_for_an_opinion_not_addressed_to_him(addressed, xidu):
    other = make_user("deng", role="deputy")
    DeputyFactory(code="DENG01", name="邓代表", region=xidu, user=other)
    client = client_for(other)
    assert client.get(deputy_item(addressed)).status_code == 404
    assert client.post(deputy_item(addressed), {"decision": "promote"}).status_code == 404
    assert client.get(reverse("suggestions:deputy_items")).context["rows"] == []
    assert refreshed(addressed).deputy_decision == ""


def test_a_deputy_cannot_open_an_opinion_sent_to_a_station(dora, submit):
    assert dora.get(deputy_item(submit())).status_code == 404


def test_an_answer_on_the_spot_needs_the_answer(dora, addressed):
    response = dora.post(deputy_item(addressed), {"decision": "on_spot", "text": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["text"]  # the service's error, on the field
    assert refreshed(addressed).status == Case.Status.RECEIVED

    response = dora.post(deputy_item(addressed), {"decision": "on_spot", "text": "已当面解释"})
    assert response.status_code == 302
    suggestion = refreshed(addressed)
    assert suggestion.status == Case.Status.ANSWERED_ON_SPOT
    assert suggestion.deputy_decision == "on_spot"


def test_a_deputy_marks_an_opinion_for_a_formal_suggestion(dora, addressed):
    response = dora.post(deputy_item(addressed), {"decision": "promote"}, follow=True)
    assert response.redirect_chain == [(deputy_item(addressed), 302)]
    assert refreshed(addressed).status == Case.Status.PROMOTED
    assert response.context["form"] is None
    # Decided once: the form is gone, and a second decision changes nothing.
    response = dora.post(deputy_item(addressed), {"decision": "pass_on"}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    suggestion = refreshed(addressed)
    assert suggestion.status == Case.Status.PROMOTED
    assert suggestion.deputy_decision == "promote"
    rows = dora.get(reverse("suggestions:deputy_items")).context["rows"]
    assert [row.waiting for row in rows] == [False]


def test_an_invalid_decision_is_refused(dora, addressed):
    response = dora.post(deputy_item(addressed), {"decision": "delete"})
    assert response.status_code == 200
    assert response.context["form"].errors["decision"]
    assert refreshed(addressed).deputy_decision == ""


def test_the_waiting_filter(dora, addressed, submit, addressed_deputy, deputy_user):
    decided = submit(deputy=addressed_deputy, title="已处理的意见")
    services.suggestion_deputy_decide(suggestion=decided, user=deputy_user, decision="promote")
    response = dora.get(reverse("suggestions:deputy_items"))
    assert len(response.context["rows"]) == 2 and response.context["waiting_count"] == 1
    response = dora.get(reverse("suggestions:deputy_items"), {"show": "waiting"})
    assert [row.suggestion.pk for row in response.context["rows"]] == [addressed.pk]


@pytest.mark.parametrize("count", [3, 30])
def test_the_deputy_list_runs_a_bounded_number_of_queries(
    dora, submit, addressed_deputy, count, django_assert_max_num_queries
):
    for number in range(count):
        submit(deputy=addressed_deputy, title=f"意见{number}")
    with django_assert_max_num_queries(8):
        response = dora.get(reverse("suggestions:deputy_items"))
    assert len(response.context["rows"]) == min(count, 25)
