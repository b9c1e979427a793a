"""Journey 3: a deputy, on a phone, logs a reception at the station with two matters
and watches the worker route both; then drafts a formal deputy suggestion and invites a
fellow deputy to co-sign it."""

import pytest

from stations.models import Reception
from suggestions.models import Assignment, Case, CoSigner, DeputySuggestion
from tests.e2e.checks import look
from tests.e2e.helpers import sign_in, sms_to
from tests.workers import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

MATTERS = [
    {
        "content": "梅花村到镇中学的公交车每天只有两班，学生放学后没有车回家，希望增加班次。",
        "category": "道路交通",
        "name": "赵六",
        "phone": "13700137000",
    },
    {
        "content": "新塘组自来水管网老化，入夏以来经常停水，请水利部门检修。",
        "category": "饮水与水利",
        "name": "",
        "phone": "",
    },
]


def test_a_deputy_logs_a_reception_with_two_matters_and_sees_them_routed(
    routed, phone, shots, town, deputy_user
):
    gateway = routed
    page = phone()
    sign_in(page, deputy_user.username)
    look(page, shots, None)

    page.goto("/deputy/receptions/new/")
    page.get_by_role("heading", name="登记接待").wait_for()
    page.get_by_label("来访人数").fill("12")
    page.get_by_label("接待情况（选填）").fill("与镇政府联合接待，集中听取梅花村、新塘组群众意见。")
    colleague = page.get_by_label("王建国")
    colleague.check()
    rows = page.locator("fieldset.matter")
    for index, matter in enumerate(MATTERS):
        row = rows.nth(index)
        row.get_by_label("反映内容").fill(matter["content"])
        row.get_by_label("类别").select_option(label=matter["category"])
        row.get_by_label("转交办理").check()
        if matter["name"]:
            row.get_by_label("来访群众姓名（选填）").fill(matter["name"])
            row.get_by_label("来访群众手机号（选填）").fill(matter["phone"])
    look(page, shots, "03-deputy-reception-form", full_page=True)

    page.get_by_role("button", name="保存接待记录").click()
    page.get_by_text("接待记录已保存。").wait_for()
    reception = Reception.objects.get()
    assert set(reception.deputies.all()) == {town.dora, town.wang}
    assert reception.visitors == 12
    matters = list(reception.matters.order_by("position"))
    assert [m.content for m in matters] == [m["content"] for m in MATTERS]

    # Each matter became an opinion; the worker routes them by the rules, and the
    # visitor who left a number gets the tracking code.
    cases = [matter.suggestion for matter in matters]
    assert all(cases)
    assert wait_for(lambda: Assignment.objects.filter(case__in=cases).count() == 2, 30), list(
        Case.objects.filter(pk__in=[c.pk for c in cases]).values("status")
    )
    assert {a.department for a in Assignment.objects.filter(case__in=cases)} == {
        town.transport,
        town.water_bureau,
    }
    assert wait_for(lambda: sms_to(gateway, "13700137000"), 30)
    assert cases[0].tracking_code in sms_to(gateway, "13700137000")[0]

    page.reload()
    statuses = page.locator(".matters .facts .badge")
    assert statuses.all_inner_texts() == ["已交办", "已交办"]
    for case in cases:
        assert page.get_by_text(case.tracking_code).is_visible()
    look(page, shots, "03-deputy-reception-routed", full_page=True)

    page.get_by_role("link", name="我的接待记录").first.click()
    page.locator("h1").wait_for()
    look(page, shots, None)


def test_a_deputy_drafts_a_suggestion_and_invites_a_co_signer(phone, shots, town, deputy_user):
    page = phone()
    sign_in(page, deputy_user.username)
    page.goto("/deputy/suggestions/")
    look(page, shots, None)

    page.goto("/deputy/suggestions/new/")
    page.get_by_role("heading", name="新建议").wait_for()
    page.get_by_label("标题").fill("关于增开镇村公交班次方便学生出行的建议")
    page.get_by_label("建议", exact=True).fill(
        "梅花村、新塘村等村到镇中学的公交车每天仅两班，学生放学后无车可乘。"
        "建议县交通运输局优化线路，在上下学时段增开班次，并落实学生乘车补贴。"
    )
    page.get_by_label("类别").select_option(label="道路交通")
    page.get_by_label("闭会期间").check()
    look(page, shots, None)
    page.get_by_role("button", name="保存草稿").click()
    page.get_by_text("草稿已保存").wait_for()
    suggestion = DeputySuggestion.objects.get()
    assert suggestion.author == town.dora and suggestion.status == Case.Status.DRAFT

    page.locator("#invite summary").click()
    page.get_by_label("邀请的代表").select_option(label="王建国（西渡镇）")
    page.get_by_role("button", name="邀请", exact=True).click()
    page.get_by_text("已邀请代表：1 位。").wait_for()
    assert list(CoSigner.objects.filter(suggestion=suggestion).values_list("deputy", "status")) == [
        (town.wang.pk, CoSigner.Status.INVITED)
    ]
    assert page.get_by_text("王建国").first.is_visible()
    look(page, shots, "03-deputy-suggestion-draft", full_page=True)

    # Wang sees the invitation on his own phone.
    other = phone()
    sign_in(other, "wang")
    other.goto(f"/deputy/suggestions/{suggestion.pk}/")
    other.get_by_role("button", name="联名").wait_for()
    look(other, shots, "03-deputy-cosigner-invited")
