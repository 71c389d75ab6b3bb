"""Shared helpers for the control-plane tests: a real service on a loopback port, a small brief, polling.

Collected by pytest but holds no tests; the control tests import it (tests/ is on sys.path).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import websockets
from ports import bound_socket, port_of

from streamer.control import ServiceSettings, create_app

ADMIN = "st_test_admin_token"
SMALL = {"size": "320x180", "fps": 15, "voice": "espeak:en-us", "preset": "ultrafast"}

BRIEF: dict[str, Any] = {
    "language": "en",
    "room": {"host_name": "Robin"},
    "products": [
        {"id": "lamp-2", "name": "Folding Desk Lamp", "price": 24, "list_price": 32, "currency": "USD", "stock": 40,
         "link": 2, "selling_points": ["three brightness levels", "folds flat into a bag"],
         "faq": [{"q": "does it need batteries", "a": "No, it charges over USB-C."}]},
        {"id": "mat-5", "name": "Cork Yoga Mat", "price": 39, "currency": "USD", "stock": 12, "link": 5,
         "selling_points": ["grips better when you sweat"]},
    ],
}


def wait_for(check: Callable[[], Any], timeout_s: float, what: str, every_s: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(every_s)


class LiveServer:
    """The real app under uvicorn in a thread, on a loopback port it holds from the start (bound to port 0 here and
    handed to uvicorn, so no other server can take it in between)."""

    def __init__(self, tmp: Path, **overrides: Any) -> None:
        defaults = {"db_url": f"sqlite:///{tmp / 'control.db'}", "data_dir": tmp / "data", "admin_token": ADMIN,
                    "scheduler_tick_s": 0.5, "preview_fps": 8, "preview_width": 320,
                    "restart_backoff_s": (0.5, 1.0), "announce_admin_token": False,
                    # workers outlive a service; one of a test process that died stops soon, not after 5 minutes
                    "worker_orphan_s": 10.0}
        self.settings = ServiceSettings(**{**defaults, **overrides})
        self._socket = bound_socket()
        self.port = port_of(self._socket)
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_app(self.settings)
        self._server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                                     timeout_graceful_shutdown=10))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name="test-uvicorn", daemon=True)
        self.client = httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        wait_for(lambda: self._server.started, 30, "the server to start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        self._server.should_exit = True
        self._thread.join(30)
        self._socket.close()

    @property
    def services(self) -> Any:
        return self.app.state.services

    # --- conveniences ----------------------------------------------------------------------------------------
    def create_stream(self, name: str = "lamp room", brief: dict[str, Any] | None = None, **settings: Any) -> str:
        r = self.client.post("/api/streams", json={"name": name, "brief": brief or BRIEF,
                                                   "settings": {**SMALL, **settings}})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def state(self, stream_id: str) -> str:
        return self.client.get(f"/api/streams/{stream_id}").json()["state"]

    def health(self, stream_id: str) -> dict[str, Any]:
        return self.client.get(f"/api/streams/{stream_id}/health").json()

    def wait_state(self, stream_id: str, state: str, timeout_s: float = 20) -> None:
        wait_for(lambda: self.state(stream_id) == state, timeout_s, f"{stream_id} to be {state}")

    def start_live(self, stream_id: str) -> None:
        assert self.client.post(f"/api/streams/{stream_id}/start").status_code == 202
        self.wait_state(stream_id, "live")

    def ws_url(self, token: str | None = ADMIN) -> str:
        return f"ws://127.0.0.1:{self.port}/ws" + (f"?token={token}" if token else "")


class WsClient:
    """A /ws connection with timeouts, for tests (async). ``until`` also finds messages that arrived while an
    earlier ``until`` waited for something else (an event can overtake the result of the command that caused it)."""

    def __init__(self, conn: websockets.ClientConnection) -> None:
        self.conn = conn
        self.backlog: list[dict[str, Any]] = []

    async def send(self, message: dict[str, Any] | str) -> None:
        await self.conn.send(message if isinstance(message, str) else json.dumps(message))

    async def recv(self, timeout_s: float = 10) -> dict[str, Any]:
        return json.loads(await asyncio.wait_for(self.conn.recv(), timeout_s))

    async def until(self, match: Callable[[dict[str, Any]], bool], timeout_s: float = 15) -> dict[str, Any]:
        for i, msg in enumerate(self.backlog):
            if match(msg):
                return self.backlog.pop(i)
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no matching message in time")
            msg = await self.recv(left)
            if match(msg):
                return msg
            self.backlog = [*self.backlog[-500:], msg]
