"""Secrets stay secret: a developer token never sees a stream key (not in a stream, its health, its runs or on
/ws, while it streams); only an admin reads the keys back; and no token reaches the logs of `streamer serve`,
uvicorn's access and WebSocket lines included."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from conftest import ROOT
from ports import PortTaken, listens, on_a_free_port, refused_port
from test_control_support import ADMIN, LiveServer, WsClient, wait_for

KEY = "sk_live_9f3c2a7d11"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("secrets")) as s:
        yield s


def token_for(server: LiveServer, role: str) -> str:
    return server.client.post("/api/tokens", json={"name": f"a {role}", "role": role}).json()["token"]


async def test_a_developer_never_sees_a_stream_key_while_the_stream_runs(server: LiveServer) -> None:
    with refused_port() as port:  # the output reconnects and reports errors: those must not carry the key
        sid = server.create_stream("keyed", outputs=[f"rtmp://127.0.0.1:{port}/live/{KEY}"])
        dev = token_for(server, "developer")
        headers = {"Authorization": f"Bearer {dev}"}
        seen: list[str] = []
        async with websockets.connect(server.ws_url(dev)) as conn:
            ws = WsClient(conn)
            assert server.client.post(f"/api/streams/{sid}/start", headers=headers).status_code == 202
            await ws.until(lambda m: m.get("type") == "health" and m["stream"] == sid
                           and any(o.get("last_error") for o in m.get("outputs", {}).values()), timeout_s=60)
            seen += [json.dumps(m) for m in ws.backlog]
            for path in (f"/api/streams/{sid}", "/api/streams", f"/api/streams/{sid}/health",
                         f"/api/streams/{sid}/runs"):
                seen.append(server.client.get(path, headers=headers).text)
        server.client.post(f"/api/streams/{sid}/stop")
    assert any("/live/****" in text for text in seen)
    assert not [text for text in seen if KEY in text]


@pytest.mark.parametrize("role", ["operator", "developer"])
def test_only_an_admin_reads_the_stream_keys_back(server: LiveServer, role: str) -> None:
    sid = server.create_stream("keys", outputs=[f"rtmp://ingest.example/live/{KEY}"])
    assert server.client.get(f"/api/streams/{sid}/secrets").json()["outputs"] == [
        f"rtmp://ingest.example/live/{KEY}"]
    r = server.client.get(f"/api/streams/{sid}/secrets", headers={"Authorization": f"Bearer {token_for(server, role)}"})
    assert r.status_code == 403 and KEY not in r.text


def test_a_token_passed_as_a_log_argument_is_masked_and_the_line_still_formats() -> None:
    from streamer.control.log_redaction import install

    install()
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(handler.format(record))  # type: ignore[method-assign]
    logger = logging.getLogger("test.secrets")
    logger.addHandler(handler)
    try:
        logger.warning("GET /ws?token=%s from %s", ADMIN, "127.0.0.1")
        logger.warning("Authorization: Bearer %s", "abc.def")
        logger.warning("plain Authorization: Bearer abc.def and ?token=xyz&t=1")
    finally:
        logger.removeHandler(handler)
    assert lines == ["GET /ws?token=*** from 127.0.0.1", "Authorization: Bearer ***",
                     "plain Authorization: Bearer *** and ?token=***&t=1"]


class Serve:
    """`streamer serve` in a subprocess with its log (stdout and stderr) in a file."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.log = tmp / "serve.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = on_a_free_port(self._start)

    def _start(self, port: int) -> int:
        env = {**os.environ, "STREAMER_ADMIN_TOKEN": ADMIN, "PYTHONUNBUFFERED": "1"}
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "streamer.cli", "serve", "--port", str(port),
                                          "--db", f"sqlite:///{self.tmp / 'control.db'}",
                                          "--data-dir", str(self.tmp / "data")],
                                         cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        proc = self.proc
        try:
            wait_for(lambda: proc.poll() is not None or listens(proc.pid, port), 30, "streamer serve to listen")
        except AssertionError:
            self.close()
            raise
        if proc.poll() is not None:
            if "address already in use" in self.log.read_text(errors="replace").lower():
                raise PortTaken(port)
            raise AssertionError(f"streamer serve exited: {self.log.read_text(errors='replace')[-800:]}")
        return port

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    s = Serve(tmp_path)
    yield s
    s.close()


async def test_no_token_reaches_the_log_of_streamer_serve(serve: Serve) -> None:
    base = f"127.0.0.1:{serve.port}"
    async with websockets.connect(f"ws://{base}/ws?token={ADMIN}") as conn:
        assert (await WsClient(conn).recv())["type"] == "hello"
    async with httpx.AsyncClient(base_url=f"http://{base}", timeout=20) as client:
        assert (await client.get(f"/api/me?token={ADMIN}")).status_code == 200
        assert (await client.get("/api/me", headers={"Authorization": f"Bearer {ADMIN}"})).status_code == 200
        assert (await client.get("/api/me?token=st_wrong_but_secret")).status_code == 401
    await asyncio.to_thread(wait_for, lambda: "/api/me?token=" in serve.log.read_text(errors="replace"), 10,
                            "the access log line")
    serve.close()
    log = serve.log.read_text(errors="replace")
    assert '"WebSocket /ws?token=***"' in log and "/api/me?token=***" in log
    assert ADMIN not in log and "st_wrong_but_secret" not in log
