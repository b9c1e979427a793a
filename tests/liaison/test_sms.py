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


def test_a_failed_send_is_recorded_before_the_task_retries(db, settings):
    from liaison import notifications
    from tests.fakes import closed_port

    settings.SMS_BACKEND = "liaison.sms.HttpSmsBackend"
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{closed_port()}/sms"
    sms = notifications.notification_create(
        channel="sms", kind="receipt", subject="回执", body="已受理", address="13800138000"
    )
    for attempt in range(1, notifications.MAX_ATTEMPTS):
        with pytest.raises(notifications.DeliveryFailed):
            notifications.notification_deliver(notification_id=sms.pk)
        sms.refresh_from_db()
        assert (sms.status, sms.attempts) == ("pending", attempt) and sms.error
    assert notifications.notification_deliver(notification_id=sms.pk) is False
    sms.refresh_from_db()
    assert sms.status == "failed"


def test_stale_pending_messages_are_queued_again(db):
    import datetime as dt

    from liaison import notifications
    from liaison.models import Notification, OutboxMessage

    sms = notifications.notification_create(
        channel="sms", kind="receipt", subject="回执", body="已受理", address="13800138000"
    )
    assert notifications.notifications_retry_stale() == 0
    Notification.objects.filter(pk=sms.pk).update(created_at=sms.created_at - dt.timedelta(hours=1))
    assert notifications.notifications_retry_stale() == 1
    assert OutboxMessage.objects.filter(kwargs={"notification_id": sms.pk}).count() == 2
