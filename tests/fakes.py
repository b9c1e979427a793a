"""Local stand-ins for what cannot run here (an SMS gateway), speaking real HTTP."""

import hashlib
import hmac
import json
import socket
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeGateway:
    """An HTTP server on 127.0.0.1 that records signed JSON posts.

    ``fail_next`` makes the next N requests answer 503, to exercise retries.
    ``hold_next`` makes the next N requests wait, after the gateway took the message,
    until ``release`` is set (``arrived`` is set when one does): a sender dies there.
    Like a real gateway, it sends a message once per ``Idempotency-Key``: a repeat is
    answered with the first one's id and not sent again. ``requests`` are the messages
    sent, ``received`` every request that came in.
    """

    def __init__(self, token: str = "gateway-secret"):
        self.token = token
        self.requests: list[dict] = []
        self.received: list[dict] = []
        self.fail_next = 0
        self.hold_next = 0
        self.arrived = threading.Event()
        self.release = threading.Event()
        sent_ids: dict[str, str] = {}
        lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                timestamp = self.headers.get("X-Liaison-Timestamp", "")
                expected = hmac.new(
                    gateway.token.encode(), timestamp.encode() + b"." + body, hashlib.sha256
                ).hexdigest()
                signed = hmac.compare_digest(expected, self.headers.get("X-Liaison-Signature", ""))
                if gateway.fail_next > 0:
                    gateway.fail_next -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                record = {"json": json.loads(body), "signed": signed}
                key = self.headers.get("Idempotency-Key")
                with lock:
                    gateway.received.append(record)
                    if key and key in sent_ids:
                        message_id = sent_ids[key]
                    else:
                        gateway.requests.append(record)
                        message_id = f"msg-{len(gateway.requests)}"
                        if key and signed:
                            sent_ids[key] = message_id
                    hold = gateway.hold_next > 0
                    gateway.hold_next -= hold
                if hold:
                    gateway.arrived.set()
                    gateway.release.wait(60)
                payload = json.dumps({"id": message_id}).encode()
                try:
                    self.send_response(200 if signed else 401)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the sender died while it waited

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    """A local port nothing listens on: a broker that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def silent_server():
    """A local port that accepts connections and never says a word: a hung broker."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()
