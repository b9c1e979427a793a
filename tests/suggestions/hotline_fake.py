"""A local stand-in for the 12345 hotline platform, speaking real HTTP.

It receives our callbacks on 127.0.0.1, checks each one's signature with the shared
secret (and that its timestamp is fresh), records them, and can be told to fail the
next N calls (503) or hang up on them. It also signs and posts work orders the way
the platform does, to the test client or to a live server.
"""

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def signature_of(secret: str, timestamp: str, body: bytes) -> str:
    """Written here from the protocol in docs/hotline.md, not imported from our code."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signed_headers(key: str, secret: str, body: bytes, *, timestamp: int | None = None) -> dict:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "X-Liaison-Key": key,
        "X-Liaison-Timestamp": stamp,
        "X-Liaison-Signature": signature_of(secret, stamp, body),
    }


def order_body(**overrides) -> bytes:
    order = {
        "external_id": "HY12345-20261101-0001",
        "caller": {"name": "李四", "phone": "13700137000"},
        "content": "西渡镇梅花村村口道路坑洼积水，雨天无法通行。",
        "category": "roads",
        "location": {"address": "西渡镇梅花村村口", "lat": 26.97, "lon": 112.37},
        "deadline": "2026-12-15",
    } | overrides
    return json.dumps(order, ensure_ascii=False).encode()


class FakeHotline:
    """The hotline's callback receiver. ``callbacks``: what it accepted, in order."""

    def __init__(self, secret: str = ""):
        self.secret = secret
        self.callbacks: list[dict] = []
        self.calls = 0
        self.fail_next = 0
        hotline = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                hotline.calls += 1
                if hotline.fail_next > 0:
                    hotline.fail_next -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                timestamp = self.headers.get("X-Liaison-Timestamp", "")
                expected = signature_of(hotline.secret, timestamp, body)
                signed = hmac.compare_digest(expected, self.headers.get("X-Liaison-Signature", ""))
                fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < 300
                if not (signed and fresh):
                    self.send_response(401)
                    self.end_headers()
                    return
                hotline.callbacks.append(
                    {
                        "json": json.loads(body),
                        "delivery": self.headers.get("X-Liaison-Delivery"),
                        "verified": True,
                    }
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/callback"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def stages(self) -> list[str]:
        return [callback["json"]["stage"] for callback in self.callbacks]

    @staticmethod
    def post_order(
        url: str, key: str, secret: str, body: bytes, headers: dict | None = None
    ) -> tuple[int, dict]:
        """Post a signed work order over HTTP, as the platform does."""
        request = urllib.request.Request(  # noqa: S310 (a local test server)
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                **signed_headers(key, secret, body),
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")
