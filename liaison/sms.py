"""SMS sending behind one interface: a console backend for development and tests of the
flow, and an HTTP backend for a real gateway (the operator's or a cloud SMS service).

Choose with ``SMS_BACKEND`` (a dotted path); the HTTP backend reads ``SMS_HTTP_URL``,
``SMS_HTTP_TOKEN`` and ``SMS_SIGN_NAME``.
"""

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The gateway did not accept the message; the caller may retry."""


class SmsBackend:
    def send(self, *, phone: str, text: str, key: str = "") -> str:
        """Send one message; return the gateway's message id.

        ``key`` names the message for good: a send that is repeated because the sender
        died before it heard the answer carries the same key, and the gateway sends the
        message once per key.
        """
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    """Writes messages to the log instead of sending them (development)."""

    def send(self, *, phone: str, text: str, key: str = "") -> str:
        masked = phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"
        logger.info("SMS to %s: %s", masked, text)
        return f"console-{int(time.time() * 1000)}"


class HttpSmsBackend(SmsBackend):
    """POSTs JSON to a gateway, signed with HMAC-SHA256 over timestamp and body.

    The message's key goes in the ``Idempotency-Key`` header: the gateway must send a
    message once per key (a worker killed after the gateway took a message, before it
    heard back, sends it again with the same key)."""

    def __init__(self, url: str | None = None, token: str | None = None, timeout: float = 5):
        self.url = url or settings.SMS_HTTP_URL
        self.token = token if token is not None else settings.SMS_HTTP_TOKEN
        self.timeout = timeout

    def send(self, *, phone: str, text: str, key: str = "") -> str:
        if not self.url:
            raise SmsError("SMS_HTTP_URL is not set")
        body = json.dumps(
            {"phone": phone, "text": text, "sign": settings.SMS_SIGN_NAME}, ensure_ascii=False
        ).encode()
        timestamp = str(int(time.time()))
        signature = hmac.new(
            self.token.encode(), timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Liaison-Timestamp": timestamp,
            "X-Liaison-Signature": signature,
        }
        if key:
            headers["Idempotency-Key"] = key
        request = urllib.request.Request(  # noqa: S310 (the URL is the operator's setting)
            self.url, data=body, method="POST", headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                payload = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise SmsError(f"gateway answered {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            raise SmsError(f"gateway unreachable: {exc}") from exc
        return str(payload.get("id", ""))


def get_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()
