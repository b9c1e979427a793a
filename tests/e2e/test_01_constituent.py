"""Journey 1: a constituent scans the station's QR code on a phone, sends an opinion with
a photo, keeps the tracking code, and later follows the opinion and rates the reply.

The real worker routes the opinion (to the transport bureau, by the roads rule) and
sends the SMS to the fake gateway; the department's reply comes through the service.
"""

import pytest
import zxingcpp
from PIL import Image

from suggestions import services
from suggestions.models import Assignment, Case, FollowUp, Suggestion
from tests.e2e.checks import look
from tests.e2e.helpers import sms_to
from tests.e2e.town import photo_file
from tests.workers import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_a_constituent_sends_an_opinion_from_the_qr_code_then_tracks_and_rates_it(
    routed, phone, shots, site, town, tmp_path
):
    gateway = routed
    page = phone()

    # The poster's QR code, read as a phone's camera would: it leads to the station page.
    qr = page.request.get(f"/stations/{town.station.code}/qr.png")
    assert qr.ok
    (tmp_path / "qr.png").write_bytes(qr.body())
    [code] = zxingcpp.read_barcodes(Image.open(tmp_path / "qr.png"))
    assert code.text == f"{site}/stations/XD001/"
    page.goto(code.text)
    page.get_by_role("heading", name="西渡镇人大代表联络站").wait_for()
    assert page.get_by_text("刘晓梅").first.is_visible()
    look(page, shots, "01-constituent-station")

    page.get_by_role("link", name="向本联络站反映意见").click()
    page.get_by_role("heading", name="提交意见建议").wait_for()
    look(page, shots, None)
    page.get_by_label("类别").select_option(label="道路交通")
    page.get_by_label("标题").fill("村口道路坑洼积水")
    page.get_by_label("具体内容").fill(
        "西渡镇梅花村村口到小学的道路坑洼积水，雨天孩子上学要绕行，请尽快修复。"
    )
    page.get_by_label("照片（选填）").set_input_files(str(photo_file(tmp_path)))
    page.get_by_label("您的姓名（选填）").fill("张三")
    page.get_by_label("手机号码").fill("13800138000")
    page.get_by_label("我已阅读并同意个人信息处理告知。").check()
    look(page, shots, "01-constituent-form-filled", full_page=True)

    page.get_by_role("button", name="提交").click()
    page.get_by_role("heading", name="谢谢！您的意见已受理").wait_for()
    tracking_code = page.locator(".tracking-code").inner_text().strip()
    suggestion = Suggestion.objects.get(tracking_code=tracking_code)
    assert suggestion.photos.count() == 1
    assert suggestion.phone == "13800138000" and suggestion.name == "张三"
    look(page, shots, "01-constituent-receipt")

    # The worker routes it by the roads rule and texts the code to the constituent.
    assert wait_for(lambda: Assignment.objects.filter(case=suggestion).exists(), 30)
    assert Assignment.objects.get(case=suggestion).department == town.transport
    assert wait_for(lambda: sms_to(gateway, "13800138000"), 30)
    assert tracking_code in sms_to(gateway, "13800138000")[0]

    # Days later the bureau replies (journey 2 shows its page).
    services.case_reply(
        case=Case.objects.get(pk=suggestion.pk),
        department=town.transport,
        author=town.transport.users.get(),
        public_text="已安排养护队于本周内填补坑洼并疏通排水沟，感谢您的反映。",
    )

    # The constituent follows it with the code and the phone's last four digits.
    page.get_by_role("link", name="立即查询").click()
    assert page.get_by_label("查询码").input_value() == tracking_code
    page.get_by_label("手机号码后4位").fill("8000")
    page.get_by_role("button", name="查询").click()
    page.get_by_role("heading", name="村口道路坑洼积水").wait_for()
    assert page.locator(".reply blockquote").inner_text().startswith("已安排养护队")
    look(page, shots, "01-constituent-tracking", full_page=True)

    page.get_by_role("link", name="评价答复").click()
    page.get_by_role("heading", name="评价答复").wait_for()
    look(page, shots, None)
    page.get_by_label("满意", exact=True).check()
    page.get_by_label("补充说明（选填）").fill("修得很快，谢谢！")
    page.get_by_role("button", name="提交评价").click()
    page.locator("h1").wait_for()
    look(page, shots, "01-constituent-rated")

    follow_up = FollowUp.objects.get(case=suggestion)
    assert follow_up.rating == FollowUp.Rating.SATISFIED
    assert follow_up.comment == "修得很快，谢谢！"
    suggestion.refresh_from_db()
    assert suggestion.status == Case.Status.CLOSED
