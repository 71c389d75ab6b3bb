"""The /ws API: hello first, events as they happen, commands with results, errors that keep the connection."""

from __future__ import annotations

from collections.abc import Iterator

import av
import pytest
import websockets
from test_control_support import LiveServer, WsClient


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("ws")) as s:
        s.live_id = s.create_stream("live room", record=True)  # type: ignore[attr-defined]
        s.idle_id = s.create_stream("idle room")  # type: ignore[attr-defined]
        yield s


async def connect(server: LiveServer, token: str | None = None) -> tuple[websockets.ClientConnection, WsClient]:
    conn = await websockets.connect(server.ws_url(token) if token else server.ws_url())
    return conn, WsClient(conn)


async def test_hello_comes_first_with_the_protocol_and_visible_streams(server: LiveServer) -> None:
    conn, ws = await connect(server)
    async with conn:
        hello = await ws.recv()
    assert hello["type"] == "hello" and hello["v"] == 1 and hello["protocol"] == 1 and hello["role"] == "admin"
    assert {s["id"] for s in hello["streams"]} == {server.live_id, server.idle_id}  # type: ignore[attr-defined]
    assert "say" in hello["commands"] and "health" in hello["events"]


async def test_malformed_messages_get_errors_and_the_connection_stays_usable(server: LiveServer) -> None:
    idle = server.idle_id  # type: ignore[attr-defined]
    conn, ws = await connect(server)
    async with conn:
        await ws.recv()  # hello
        cases = [
            ("{not json", "bad_json"),
            ("[1, 2]", "bad_message"),
            ('{"type": "dance", "id": "u1"}', "unknown_type"),
            ('{"type": "say", "id": "s1"}', "bad_message"),  # no stream
            ('{"type": "say", "id": "s2", "stream": "' + idle + '"}', "bad_message"),  # no text
            ('{"type": "say", "id": "s3", "stream": "' + idle + '", "text": "hi", "volume": 11}', "bad_message"),
            ('{"type": "interrupt", "id": "n1", "stream": "no-such-stream"}', "not_found"),
            ('{"type": "interrupt", "id": "n2", "stream": "' + idle + '"}', "command_failed"),  # not running
        ]
        for raw, code in cases:
            await ws.send(raw)
            err = await ws.until(lambda m: m["type"] == "error")
            assert err["code"] == code, (raw, err)
        await conn.send(b"\x00binary")
        assert (await ws.until(lambda m: m["type"] == "error"))["code"] == "bad_message"
        await ws.send('{"type": "say", "id": "s2", "stream": "' + idle + '"}')
        errors = await ws.until(lambda m: m["type"] == "error")
        assert errors["id"] == "s2" and "text" in errors["message"]
        await ws.send({"type": "ping", "id": 7})
        pong = await ws.until(lambda m: m["type"] == "result")
        assert pong == {"v": 1, "type": "result", "id": 7, "ok": True, "pong": True}


async def test_a_live_stream_reports_speech_health_comments_replies_and_metrics(server: LiveServer) -> None:
    sid = server.live_id  # type: ignore[attr-defined]
    conn, ws = await connect(server)
    async with conn:
        await ws.recv()  # hello
        await ws.send({"type": "subscribe", "id": "sub", "streams": [sid]})
        await ws.until(lambda m: m["type"] == "result" and m["id"] == "sub")
        await ws.send({"type": "start", "id": "go", "stream": sid})
        live = await ws.until(lambda m: m["type"] == "state" and m["state"] == "live", 20)
        assert live["first_frame_ms"] > 0 and live["stream"] == sid
        first = await ws.until(lambda m: m["type"] == "speech_start")
        assert first["source"] == "script" and first["text"]

        h1 = await ws.until(lambda m: m["type"] == "health")
        h2 = await ws.until(lambda m: m["type"] == "health")
        assert 0.5 < h2["at"] - h1["at"] < 3  # about once a second (loose: a busy CI delays a report)
        assert h2["fps_now"] > 10 and "late_frames" in h2 and "av_offset_ms" in h2 and "outputs" in h2

        await ws.send({"type": "comment", "id": "c1", "stream": sid, "user": "<b>Kim</b>",
                       "text": "how much is the lamp?"})
        result = await ws.until(lambda m: m["type"] == "result" and m["id"] == "c1")
        ref = result["ref"]
        comment = await ws.until(lambda m: m["type"] == "comment" and m["ref"] == ref)
        assert comment["user"] == "<b>Kim</b>"  # passed through as data; the panel escapes it
        decision = await ws.until(lambda m: m["type"] == "decision" and m["ref"] == ref)
        assert decision["action"] == "reply" and "24" in decision["text"]
        said = await ws.until(lambda m: m["type"] == "speech_start" and m["source"] == "reply", 20)
        assert decision["text"].startswith(said["text"])  # replies are voiced sentence by sentence

        await ws.send({"type": "switch_product", "id": "p1", "stream": sid, "product_id": "mat-5"})
        await ws.until(lambda m: m["type"] == "product" and m["product_id"] == "mat-5")
        long_line = "This is a long announcement that the operator will cut short before it is finished, " * 2
        await ws.send({"type": "say", "id": "s1", "stream": sid, "text": long_line, "urgent": True})
        await ws.until(lambda m: m["type"] == "speech_start" and m["source"] == "say", 20)
        await ws.send({"type": "interrupt", "id": "i1", "stream": sid})
        assert (await ws.until(lambda m: m.get("id") == "i1"))["type"] == "result"
        cut = await ws.until(lambda m: m["type"] == "speech_end" and m["source"] == "say")
        assert cut["complete"] is False and cut["played_s"] < 5

        await ws.send({"type": "switch_product", "id": "p2", "stream": sid, "product_id": "nope"})
        err = await ws.until(lambda m: m.get("id") == "p2")
        assert err["type"] == "error" and err["code"] == "command_failed" and "nope" in err["message"]

        metrics = server.client.get("/metrics").text
        assert f'streamer_stream_fps{{stream="{sid}"}}' in metrics
        assert f'streamer_comments_total{{action="reply",stream="{sid}"}} 1.0' in metrics
        assert 'streamer_http_request_seconds_count{method="POST",route="/api/streams",status="201"}' in metrics

        await ws.send({"type": "stop", "id": "end", "stream": sid})
        await ws.until(lambda m: m["type"] == "state" and m["state"] == "stopped", 20)

    stored = server.client.get(f"/api/streams/{sid}/comments").json()
    assert stored[-1]["ref"] == ref and stored[-1]["action"] == "reply" and stored[-1]["reply"] == decision["text"]
    run = server.client.get(f"/api/streams/{sid}/runs").json()[0]
    recording = server.settings.data_dir / "recordings" / f"{sid}-run{run['id']}.mkv"
    with av.open(str(recording)) as container:  # the run was recorded, and the file is complete
        assert container.duration and container.duration / 1e6 > 1
    lines = server.client.get(f"/api/streams/{sid}/transcript").json()
    assert any(line["source"] == "reply" and decision["text"].startswith(line["text"]) for line in lines)
    assert all(line["said_at"] for line in lines)


async def test_a_limited_token_sees_and_steers_only_its_streams(server: LiveServer) -> None:
    r = server.client.post("/api/tokens", json={"name": "dev", "role": "developer",
                                                "streams": [server.idle_id]})  # type: ignore[attr-defined]
    conn, ws = await connect(server, r.json()["token"])
    async with conn:
        hello = await ws.recv()
        assert [s["id"] for s in hello["streams"]] == [server.idle_id]  # type: ignore[attr-defined]
        await ws.send({"type": "interrupt", "id": 1, "stream": server.live_id})  # type: ignore[attr-defined]
        assert (await ws.until(lambda m: m.get("id") == 1))["code"] == "not_found"
