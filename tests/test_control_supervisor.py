"""Sessions run in supervised worker processes: one crash never touches another stream, and comes back."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from faults import figure
from test_control_support import LiveServer, WsClient, wait_for


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("supervisor")) as s:
        yield s


def frames(server: LiveServer, sid: str) -> int:
    h = server.health(sid)["health"]
    return h["frames"] if h else -1


def test_killing_one_worker_restarts_it_and_leaves_the_other_stream_alone(server: LiveServer) -> None:
    a, b = server.create_stream("a"), server.create_stream("b")
    for sid in (a, b):
        assert server.client.post(f"/api/streams/{sid}/start").status_code == 202
    for sid in (a, b):
        server.wait_state(sid, "live")
    pid_a, pid_b = server.health(a)["pid"], server.health(b)["pid"]
    assert pid_a != pid_b and os.getpid() not in (pid_a, pid_b)  # each stream is its own process
    # a worker runs for days: its malloc arenas are capped so its RSS stays flat (docs/reliability.md, the soak)
    assert b"MALLOC_ARENA_MAX=2" in Path(f"/proc/{pid_a}/environ").read_bytes().split(b"\0")
    wait_for(lambda: frames(server, b) > 0, 10, "b's first health report")
    b_before = frames(server, b)

    os.kill(pid_a, signal.SIGKILL)

    wait_for(lambda: server.state(a) == "restarting" or server.health(a)["restarts"] > 0, 10, "a's crash noticed")
    server.wait_state(a, "live", 20)
    assert server.health(a)["pid"] not in (pid_a, None)
    # b never noticed: same process, frames kept coming, no restart
    assert server.health(b)["pid"] == pid_b and server.state(b) == "live"
    wait_for(lambda: frames(server, b) > b_before + 15, 10, "b to keep streaming")
    assert server.health(b)["restarts"] == 0
    run_a = server.client.get(f"/api/streams/{a}/runs").json()[0]
    assert run_a["restarts"] == 1 and run_a["ended_at"] is None and "exited with status -9" in run_a["last_error"]

    for sid in (a, b):
        assert server.client.post(f"/api/streams/{sid}/stop").json()["state"] == "stopped"
    for sid in (a, b):
        run = server.client.get(f"/api/streams/{sid}/runs").json()[0]
        assert run["end_reason"] == "manual" and run["ended_at"] is not None
    assert server.services.backend.running() == []


def checkpointed(server: LiveServer, sid: str) -> str | None:
    """The product the recorder's checkpoint holds (what a restarted stream resumes on)."""
    checkpoint = server.services.store.get_checkpoint(sid)
    return checkpoint.product_id if checkpoint is not None else None


def test_a_worker_killed_mid_sentence_restarts_on_the_product_it_was_on(server: LiveServer) -> None:
    sid = server.create_stream("checkpointed")
    server.start_live(sid)

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with websockets.connect(server.ws_url()) as conn:
            ws = WsClient(conn)
            await ws.recv()  # hello
            await ws.send({"type": "subscribe", "streams": [sid], "events": ["speech_start", "speech_end", "state"]})
            await ws.until(lambda m: m["type"] == "result")
            r = await asyncio.to_thread(server.client.post, f"/api/streams/{sid}/commands",
                                        json={"type": "switch_product", "product_id": "mat-5"})
            assert r.status_code == 200, r.text
            said = await ws.until(lambda m: m["type"] == "speech_start" and m["product_id"] == "mat-5", 30)
            await asyncio.to_thread(wait_for, lambda: checkpointed(server, sid) == "mat-5", 10,
                                    "the recorder to checkpoint the product")
            os.kill(server.health(sid)["pid"], signal.SIGKILL)  # mid-sentence: its speech_end never comes
            killed = time.monotonic()
            await ws.until(lambda m: m["type"] == "state" and m["state"] == "restarting", 10)
            ws.backlog.clear()  # what the killed worker said before: the next speech_start must be the new worker's
            await ws.until(lambda m: m["type"] == "state" and m["state"] == "live", 30)
            back_s = time.monotonic() - killed
            first = await ws.until(lambda m: m["type"] == "speech_start", 30)
            figure("worker_sigkill", back_on_air_s=round(back_s, 2), restart_backoff_s=0.5)
            return said, first

    cut, first = asyncio.run(scenario())
    assert cut["product_id"] == "mat-5"
    assert first["product_id"] == "mat-5" and first["source"] == "script"  # the script goes on where it was
    assert server.health(sid)["restarts"] == 1
    server.client.post(f"/api/streams/{sid}/stop")


def test_a_stream_that_cannot_start_is_failed_not_restarted_forever(server: LiveServer) -> None:
    sid = server.create_stream("broken")
    # the brief went bad behind the API's back (edited in the database): the worker refuses it
    server.services.store.update_stream(sid, brief={"language": "en", "products": []})
    server.client.post(f"/api/streams/{sid}/start")
    server.wait_state(sid, "failed", 20)
    info = server.health(sid)
    assert info["restarts"] == 0 and "products" in info["error"]
    run = server.client.get(f"/api/streams/{sid}/runs").json()[0]
    assert run["end_reason"] == "failed" and "products" in run["last_error"]


def test_a_full_server_refuses_to_start_another_stream(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server.services.backend, "max_streams", len(server.services.backend.running()))
    sid = server.create_stream("one too many")
    r = server.client.post(f"/api/streams/{sid}/start")
    assert r.status_code == 429 and "at most" in r.json()["detail"]
    assert server.state(sid) == "stopped"
    assert server.client.get(f"/api/streams/{sid}/runs").json()[0]["end_reason"] == "refused"
