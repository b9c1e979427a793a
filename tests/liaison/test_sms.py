import pytest

from liaison.sms import ConsoleSmsBackend, HttpSmsBackend, SmsError
from tests.fakes import FakeGateway


def test_http_backend_posts_signed_json_and_returns_the_gateway_id(settings):
    settings.SMS_SIGN_NAME = "衡阳人大"
    with FakeGateway() as gateway:
        message_id = HttpSmsBackend(url=gateway.url, token="gateway-secret").send(
            phone="13800138000", text="您的意见已受理"
        )
    assert message_id == "msg-1"
    assert gateway.requests == [
        {
            "json": {"phone": "13800138000", "text": "您的意见已受理", "sign": "衡阳人大"},
            "signed": True,
        }
    ]


def test_http_backend_raises_on_a_failing_gateway():
    with FakeGateway() as gateway:
        gateway.fail_next = 1
        with pytest.raises(SmsError, match="503"):
            HttpSmsBackend(url=gateway.url, token="gateway-secret").send(phone="1", text="x")


def test_http_backend_raises_when_the_signature_is_wrong():
    with FakeGateway() as gateway, pytest.raises(SmsError, match="401"):
        HttpSmsBackend(url=gateway.url, token="wrong").send(phone="1", text="x")


def test_http_backend_raises_when_nobody_listens():
    with pytest.raises(SmsError, match="unreachable"):
        HttpSmsBackend(url="http://127.0.0.1:9/sms", token="t", timeout=1).send(phone="1", text="x")


def test_console_backend_masks_the_number_in_the_log(caplog):
    caplog.set_level("INFO")
    ConsoleSmsBackend().send(phone="13800138000", text="hello")
    assert "138****8000" in caplog.text
    assert "13800138000" not in caplog.text
