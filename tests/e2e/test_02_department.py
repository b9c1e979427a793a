"""Journey 2: a department handler signs in on a phone, finds the item the worker routed
to the bureau, reads it with its photo, and replies; the constituent's tracking page
then shows the reply."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from suggestions import services
from suggestions.models import Assignment, Case, Reply
from tests.e2e.checks import look, scroll_to
from tests.e2e.helpers import sign_in
from tests.e2e.town import photo_file
from tests.workers import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def routed_opinion(routed, town, tmp_path):
    """An opinion with a photo, sent at the station and routed by the worker."""
    suggestion = services.suggestion_submit(
        channel="web",
        station=town.station,
        category=town.roads,
        title="梅花村桥头护栏损坏",
        content="梅花村桥头的护栏被货车撞坏，已有一个多月，晚上经过很危险，请尽快修复。",
        name="李四",
        phone="13900139000",
        consent=True,
        photos=[
            SimpleUploadedFile(
                "rail.jpg", photo_file(tmp_path).read_bytes(), content_type="image/jpeg"
            )
        ],
    )
    assert wait_for(lambda: Assignment.objects.filter(case=suggestion).exists(), 30)
    return suggestion


def test_a_handler_finds_the_routed_item_and_replies(
    routed_opinion, phone, shots, town, department_user
):
    page = phone()
    sign_in(page, department_user.username)
    page.goto("/work/")
    page.get_by_role("heading", name="待办事项").wait_for()
    item = page.get_by_role("link", name="梅花村桥头护栏损坏")
    assert item.is_visible()
    look(page, shots, "02-department-list")

    item.click()
    page.get_by_role("heading", name="梅花村桥头护栏损坏").wait_for()
    photo = page.locator(".photos img").first
    scroll_to(page, ".photos", "center")
    assert photo.evaluate("img => img.complete && img.naturalWidth > 0"), "the photo is not shown"
    # The constituent's name and phone are masked for the department.
    assert "李*" in page.locator(".facts").inner_text()
    assert "13900139000" not in page.content()
    look(page, shots, "02-department-item")

    page.get_by_label("答复群众").fill(
        "已通知公路养护中心，本周五前更换损坏护栏，并在桥头增设警示标志。"
    )
    scroll_to(page, "#reply")
    look(page, shots, "02-department-reply-form")
    page.get_by_role("button", name="提交答复").click()
    page.locator(".messages").wait_for()
    look(page, shots, "02-department-replied")

    reply = Reply.objects.get(case=routed_opinion)
    assert reply.department == town.transport and reply.author == department_user
    assert reply.public_text.startswith("已通知公路养护中心")
    assert Case.objects.get(pk=routed_opinion.pk).status == Case.Status.REPLIED
    assert page.locator(".badge", has_text="已答复").first.is_visible()
