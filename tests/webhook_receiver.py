"""A real HTTP server for tests that receives signed alert webhooks, on a loopback port bound to 0.

It checks each POST as a receiver should (HMAC-SHA256 over ``X-Timestamp + "." + body``, compared in constant
time, the timestamp within five minutes) and keeps what came: the JSON body, whether its signature held, and when
it arrived (monotonic). ``fail_next`` answers that many POSTs with 503 first, as a receiver restarting would.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_SKEW_S = 300


@dataclass
class Received:
    body: dict[str, Any]
    signed: bool  # the signature and timestamp held
    headers: dict[str, str]
    at: float  # time.monotonic()


def signature_holds(secret: str, headers: dict[str, str], raw: bytes, now: float | None = None) -> bool:
    stamp, got = headers.get("X-Timestamp", ""), headers.get("X-Signature", "")
    if not stamp.isdigit() or abs((now or time.time()) - int(stamp)) > MAX_SKEW_S:
        return False
    want = "sha256=" + hmac.new(secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, got)


class WebhookReceiver:
    def __init__(self, secret: str, path: str = "/alerts") -> None:
        self.secret = secret
        self.path = path
        self.received: list[Received] = []
        self.fail_next = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items()}
                status = receiver._take(self.path, headers, raw)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}{path}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)

    def _take(self, path: str, headers: dict[str, str], raw: bytes) -> int:
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return 503
            if path != self.path:
                return 404
            signed = signature_holds(self.secret, headers, raw)
            self.received.append(Received(json.loads(raw), signed, headers, time.monotonic()))
            return 200 if signed else 401

    def matching(self, match: Callable[[dict[str, Any]], bool]) -> list[Received]:
        with self._lock:
            return [r for r in self.received if match(r.body)]

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)
