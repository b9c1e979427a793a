"""The in-app inbox: one's own messages only, read marks, and no open redirect."""

import pytest
from django.test import Client
from django.urls import reverse

from liaison.models import Notification
from liaison.notifications import notification_create

INBOX = "/inbox/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def message(user, subject: str, *, link: str = "", **extra) -> Notification:
    return Notification.objects.create(
        channel=Notification.Channel.INBOX,
        kind="test",
        subject=subject,
        recipient=user,
        link=link,
        status=Notification.Status.SENT,
        **extra,
    )


def test_the_inbox_is_at_inbox():
    assert reverse("inbox") == INBOX


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    for response in (client.get(INBOX), client.post(INBOX, {"action": "mark_all_read"})):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")


def test_the_inbox_lists_only_ones_own_inbox_messages_newest_first(department_user, deputy_user):
    older = message(department_user, "旧消息")
    newer = message(department_user, "新消息")
    message(deputy_user, "别人的消息")
    notification_create(
        channel=Notification.Channel.SMS,
        kind="test",
        subject="短信",
        body="短信正文",
        recipient=department_user,
        address="13800138000",
    )
    response = client_for(department_user).get(INBOX)
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [newer, older]
    page = response.content.decode()
    assert "别人的消息" not in page and "短信" not in page


def test_unread_messages_are_bold_and_counted_in_the_title(department_user):
    message(department_user, "未读消息")
    message(department_user, "已读消息", read_at="2026-01-01T08:00:00+08:00")
    response = client_for(department_user).get(INBOX)
    assert response.context["unread_count"] == 1
    page = response.content.decode()
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "1" in title
    assert "<strong>未读消息</strong>" in page
    assert "<strong>已读消息</strong>" not in page


def test_mark_all_read_touches_only_ones_own_messages(department_user, deputy_user):
    mine = [message(department_user, f"消息{n}") for n in range(3)]
    theirs = message(deputy_user, "别人的消息")
    response = client_for(department_user).post(INBOX, {"action": "mark_all_read"}, follow=True)
    assert response.redirect_chain == [(INBOX, 302)]
    assert response.context["unread_count"] == 0
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    assert all(Notification.objects.get(pk=m.pk).read_at for m in mine)
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_an_unknown_post_is_a_bad_request(department_user):
    message(department_user, "消息")
    response = client_for(department_user).post(INBOX, {"action": "delete_all"})
    assert response.status_code == 400
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_mark_all_read_needs_a_csrf_token(department_user):
    message(department_user, "消息")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(department_user)
    assert strict.post(INBOX, {"action": "mark_all_read"}).status_code == 403
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_opening_a_message_marks_it_read_and_follows_its_local_link(department_user):
    notification = message(department_user, "新交办", link="/work/items/5/")
    response = client_for(department_user).get(INBOX, {"open": notification.pk})
    assert response.status_code == 302
    assert response["Location"] == "/work/items/5/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_a_message_without_a_link_returns_to_the_inbox(department_user):
    notification = message(department_user, "通知")
    response = client_for(department_user).get(INBOX, {"open": notification.pk})
    assert response["Location"] == INBOX
    notification.refresh_from_db()
    assert notification.read_at is not None


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example",
        "https://evil.example/work/items/5/",
        "//evil.example",
        "/\\evil.example",
        "///evil.example",
        "javascript:alert(1)",
        "work/items/5/",
    ],
)
def test_a_link_to_another_site_is_never_followed(department_user, link):
    notification = message(department_user, "可疑链接", link=link)
    response = client_for(department_user).get(INBOX, {"open": notification.pk})
    assert response.status_code == 302
    assert response["Location"] == INBOX
    notification.refresh_from_db()
    assert notification.read_at is not None


@pytest.mark.parametrize("value", ["abc", "-1", "", "99999999999999999999999", "²"])
def test_a_bad_message_number_is_not_found(department_user, value):
    assert client_for(department_user).get(INBOX, {"open": value}).status_code == 404


def test_nobody_opens_another_persons_message(department_user, deputy_user):
    theirs = message(deputy_user, "别人的消息", link="/deputy/addressed/1/")
    response = client_for(department_user).get(INBOX, {"open": theirs.pk})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_text_is_escaped(department_user):
    message(department_user, "<img src=x onerror=alert(1)>", body="<b>正文</b>")
    page = client_for(department_user).get(INBOX).content.decode()
    assert "<img src=x" not in page and "<b>正文</b>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


@pytest.mark.parametrize("count", [3, 45])
def test_the_inbox_runs_a_bounded_number_of_queries(
    department_user, count, django_assert_max_num_queries
):
    for number in range(count):
        message(department_user, f"消息{number}", link=f"/work/items/{number}/")
    client = client_for(department_user)
    with django_assert_max_num_queries(6):
        response = client.get(INBOX)
    assert len(response.context["page"].object_list) == min(count, 30)
    if count > 30:
        assert len(client.get(INBOX, {"page": 2}).context["page"].object_list) == count - 30


def test_a_department_handler_signs_in_on_the_site_and_lands_in_the_workspace(
    client, department_user
):
    response = client.post(
        reverse("login"), {"username": "dan", "password": "correct horse battery"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("start")
    assert client.get(reverse("start"))["Location"] == reverse("suggestions:workspace")


def test_a_deputy_lands_on_the_opinions_addressed_to_them(client, deputy_user):
    client.force_login(deputy_user)
    assert client.get(reverse("start"))["Location"] == reverse("suggestions:deputy_home")


def test_office_staff_land_in_the_admin(client, county_clerk):
    client.force_login(county_clerk)
    assert client.get(reverse("start"))["Location"] == reverse("admin:index")
